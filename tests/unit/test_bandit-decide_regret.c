/*
 * bandit-decide's policies at work: cumulative regret in simulated
 * Bernoulli environments (mab.c, linear.c).  Thompson sampling, served one
 * pull at a time through mab_sample_slate, must beat epsilon-greedy
 * (mab_pick_slate, eps 0.1) and uniform random by several standard errors,
 * and its regret must grow sublinearly; LinTS with the context must beat
 * context-free Thompson sampling where the best arm depends on the context.
 *
 * Regret is the pseudo-regret sum_t (mu* - mu_chosen(t)), which has less
 * noise than the realised one and the same expectation.  Every environment
 * is replicated with fixed seeds; comparisons use the mean over
 * replications and its standard error.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "../../cmd/bandit-decide/mab.h"
#include "../../cmd/bandit-decide/linear.h"

enum { REPS = 16 };
enum pol { TS, EPS, UNIF, NPOL };
static const char *const pol_name[] = { "thompson", "epsilon_greedy", "uniform" };

struct stats { double mean, se; };

static struct stats summarise(const double *x, int n)
{
	struct stats s = { 0, 0 };
	double v = 0;
	int i;

	for (i = 0; i < n; i++)
		s.mean += x[i];
	s.mean /= n;
	for (i = 0; i < n; i++)
		v += (x[i] - s.mean) * (x[i] - s.mean);
	s.se = sqrt(v / (n - 1) / n);
	return s;
}

/*
 * One run of T rounds of policy pol on arms mu[0..n); regret at T/8 into
 * *early and at T returned.
 */
static double run(enum pol pol, const double *mu, size_t n, long T, uint64_t seed, double *early)
{
	struct mab_rng r, env;
	double *al = malloc(n * sizeof *al), *be = malloc(n * sizeof *be);
	double *score = malloc(n * sizeof *score), *scratch = malloc(n * sizeof *scratch);
	double *pulls = calloc(n, sizeof *pulls), *wins = calloc(n, sizeof *wins);
	double best = 0, regret = 0;
	size_t i, pick;
	long t;

	for (i = 0; i < n; i++) {
		al[i] = be[i] = 1;
		score[i] = 0;
		if (mu[i] > best)
			best = mu[i];
	}
	mab_rng_seed(&r, seed);
	mab_rng_seed(&env, seed ^ 0x5eed5eed5eedULL);
	for (t = 0; t < T; t++) {
		int win;
		if (t == T / 8)
			*early = regret;
		switch (pol) {
		case TS:
			mab_sample_slate(al, be, NULL, n, 1, &r, scratch, &pick);
			break;
		case EPS:
			mab_pick_slate(score, NULL, n, 1, 0.1, &r, scratch, &pick);
			break;
		default:
			pick = (size_t)(mab_uniform(&r) * (double)n);
			break;
		}
		regret += best - mu[pick];
		win = mab_uniform(&env) < mu[pick];
		al[pick] += win;
		be[pick] += !win;
		pulls[pick] += 1;
		wins[pick] += win;
		score[pick] = wins[pick] / pulls[pick];   /* MABWiser's mean */
	}
	free(al);
	free(be);
	free(score);
	free(scratch);
	free(pulls);
	free(wins);
	return regret;
}

static void environment(const char *name, const double *mu, size_t n, long T, uint64_t seed)
{
	double R[NPOL][REPS], E[NPOL][REPS];
	struct stats s[NPOL], e;
	int p, k;
	clock_t t0 = clock();

	for (p = 0; p < NPOL; p++)
		for (k = 0; k < REPS; k++)
			R[p][k] = run((enum pol)p, mu, n, T, seed + 1000 * (uint64_t)k, &E[p][k]);
	for (p = 0; p < NPOL; p++) {
		s[p] = summarise(R[p], REPS);
		fprintf(stderr, "regret %s, %zu arms, T = %ld: %-14s %8.1f +- %6.1f\n", name, n, T,
			pol_name[p], s[p].mean, s[p].se);
	}
	e = summarise(E[TS], REPS);
	fprintf(stderr, "regret %s: thompson R(T)/R(T/8) = %.2f / %.2f = %.2f (%.2f s)\n", name, s[TS].mean,
		e.mean, s[TS].mean / e.mean, (double)(clock() - t0) / CLOCKS_PER_SEC);
	/* Thompson below the others by 3 standard errors of the difference */
	CHECK(s[EPS].mean - s[TS].mean > 3 * sqrt(s[EPS].se * s[EPS].se + s[TS].se * s[TS].se));
	CHECK(s[UNIF].mean - s[TS].mean > 3 * sqrt(s[UNIF].se * s[UNIF].se + s[TS].se * s[TS].se));
	/*
	 * Sublinear: Thompson's regret is O(log T) (Agrawal and Goyal 2012;
	 * Kaufmann et al. 2012), so 8 times the horizon adds a bounded amount:
	 * R(T)/R(T/8) is about 1 to 2 once past the first exploration; linear
	 * regret (e.g. uniform play) gives 8.  Below 4 separates them with room.
	 */
	CHECK(s[TS].mean / e.mean < 4);
	/* and uniform play is linear: its ratio is 8 within noise */
	e = summarise(E[UNIF], REPS);
	CHECK(s[UNIF].mean / e.mean > 6);
}

static void test_regret(void)
{
	double mu2[2] = { 0.10, 0.15 }, mu10[10], mu100[100];
	struct mab_rng g;
	size_t i;

	environment("two", mu2, 2, 20000, 1);
	for (i = 0; i < 10; i++)
		mu10[i] = 0.05 + 0.01 * (double)i;    /* best 0.14, gaps 0.01 .. 0.09 */
	environment("ten", mu10, 10, 160000, 2);
	mab_rng_seed(&g, 3);
	for (i = 0; i < 100; i++)
		mu100[i] = 0.02 + 0.10 * mab_uniform(&g);
	mu100[37] = 0.20;                             /* one clearly best arm */
	environment("hundred", mu100, 100, 100000, 3);
}

/*
 * Two contexts, three arms, the best arm depends on the context (0.6 for
 * arm 0 in context 0, for arm 2 in context 1; arm 1 is 0.4 in both):
 * context-free Thompson sampling sees three arms of mean 0.4 and regrets
 * about 0.2 per round forever; LinTS on x = (1, context) learns each
 * arm's line and the regret flattens.
 */
static double lin_run(int linear, long T, uint64_t seed)
{
	static const double mu[2][3] = { { 0.6, 0.4, 0.2 }, { 0.2, 0.4, 0.6 } };
	struct lin_arm arm[3], *arms[3];
	double al[3] = { 1, 1, 1 }, be[3] = { 1, 1, 1 }, scratch[3 + 2], regret = 0;
	struct mab_rng r, env;
	size_t i, pick;
	long t;

	for (i = 0; i < 3; i++) {
		lin_init(&arm[i], 2, 1);
		lin_finish(&arm[i]);
		arms[i] = &arm[i];
	}
	mab_rng_seed(&r, seed);
	mab_rng_seed(&env, seed ^ 0xc0ffeeULL);
	for (t = 0; t < T; t++) {
		int ctx = mab_uniform(&env) < 0.5, win;
		double x[2] = { 1, (double)ctx };
		if (linear)
			lin_pick_slate(arms, 3, x, MAB_LIN_TS, 1, NULL, 1, &r, scratch, &pick);
		else
			mab_sample_slate(al, be, NULL, 3, 1, &r, scratch, &pick);
		regret += 0.6 - mu[ctx][pick];
		win = mab_uniform(&env) < mu[ctx][pick];
		al[pick] += win;
		be[pick] += !win;
		lin_add(&arm[pick], x, 1, win);
		if (lin_finish(&arm[pick]) != 0)
			regret = NAN;
	}
	for (i = 0; i < 3; i++)
		lin_free(&arm[i]);
	return regret;
}

static void test_lin_regret(void)
{
	double R[2][REPS];
	struct stats s[2];
	int k, l;
	const long T = 5000;

	for (l = 0; l < 2; l++)
		for (k = 0; k < REPS; k++)
			R[l][k] = lin_run(l, T, 50 + (uint64_t)k);
	s[0] = summarise(R[0], REPS);
	s[1] = summarise(R[1], REPS);
	fprintf(stderr, "contextual regret, T = %ld: thompson %.1f +- %.1f, lin_ts %.1f +- %.1f\n", T,
		s[0].mean, s[0].se, s[1].mean, s[1].se);
	CHECK(s[0].mean - s[1].mean > 3 * sqrt(s[0].se * s[0].se + s[1].se * s[1].se));
	/* context-free TS is near 0.2 T / ... at least a tenth of T; LinTS a small fraction */
	CHECK(s[0].mean > 0.1 * (double)T);
	CHECK(s[1].mean < 0.05 * (double)T);
}

int main(void)
{
	test_regret();
	test_lin_regret();
	return h_done("bandit-decide regret");
}
