/* Unit tests of sim-generate's model: the transforms, the streams, the
 * journey matrix, the window independence of a day's rows and the repeat
 * customers' BG/NBD and Gamma-Gamma truth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_hyperg.h>

#include "harness.h"
#include "../../cmd/sim-generate/sim.h"
#include "timefmt.h"

static void test_hill(void)
{
	CHECK(sim_hill(0, 100, 1.5) == 0);
	CHECK(sim_hill(-3, 100, 1.5) == 0);
	CHECK(fabs(sim_hill(100, 100, 1.5) - 0.5) < 1e-15);      /* half saturation at K */
	CHECK(fabs(sim_hill(250, 100, 1) - 250.0 / 350.0) < 1e-15);
	CHECK(sim_hill(1e9, 100, 2.385) > 0.999999);
}

static void test_streams(void)
{
	gsl_rng *r = gsl_rng_alloc(sim_rng_type);
	double a, b, c;

	sim_stream(r, 7, K_USER, 12, 3);
	a = gsl_rng_uniform(r);
	sim_stream(r, 7, K_USER, 12, 4);
	b = gsl_rng_uniform(r);
	sim_stream(r, 7, K_USER, 12, 3);
	c = gsl_rng_uniform(r);
	CHECK(a == c);               /* a stream is a pure function of its key */
	CHECK(a != b);
	CHECK(a >= 0 && a < 1);
	gsl_rng_free(r);
}

static void test_matrix(void)
{
	double m[SIM_NJCH + 3][SIM_NJCH + 3];
	int i, j;

	journey_matrix(m);
	for (i = 0; i < SIM_NJCH + 3; i++) {
		double sum = 0;
		for (j = 0; j < SIM_NJCH + 3; j++) {
			CHECK(m[i][j] >= 0);
			sum += m[i][j];
		}
		CHECK(fabs(sum - 1) < 1e-12);
	}
	CHECK(m[0][SIM_NJCH + 1] == 0);   /* no conversion before a session */
	CHECK(m[SIM_NJCH + 1][SIM_NJCH + 1] == 1);
	CHECK(m[SIM_NJCH + 2][SIM_NJCH + 2] == 1);
}

/* The rows of day D written by a window, as text. */
static char *day_rows(long long start, long long days, long long day)
{
	struct sim_config cfg = { .seed = 11, .origin = days_from_civil(2024, 1, 1),
				  .start = start, .days = days, .users = 20, .campaigns = 2,
				  .ads = 3, .tables = (1u << T_COUNT) - 1 - (1u << T_CANARY) };
	struct sim *s = sim_new(&cfg);
	char *buf = NULL, *out, date[16], *line, *save;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);

	sim_run(s, f);
	fclose(f);
	out = calloc(len + 1, 1);
	sim_date(cfg.origin, day, date);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *keys[] = { "\"date\":\"", "\"session_start\":\"", "\"touched_at\":\"",
				       "\"occurred_at\":\"" };
		int k;
		for (k = 0; k < 4; k++) {
			char *p = strstr(line, keys[k]);
			if (p && strncmp(p + strlen(keys[k]), date, 10) == 0) {
				n += (size_t)sprintf(out + n, "%s\n", line);
				break;
			}
			if (p)
				break;
		}
	}
	free(buf);
	sim_free(s);
	return out;
}

static void test_window(void)
{
	char *a = day_rows(40, 20, 52), *b = day_rows(52, 1, 52);

	CHECK(strlen(a) > 1000);
	CHECK_STR(a, b);
	free(a);
	free(b);
}

static void test_window_customers(void)
{
	/* Day 300: repeat purchases of customers acquired long before a
	 * one-day window, the same as in a window that saw them acquired. */
	char *a = day_rows(200, 120, 300), *b = day_rows(300, 1, 300);

	CHECK_HAS(a, "\"_table\":\"customer_transactions\"");
	CHECK_HAS(a, "\"first_purchase\":false");
	CHECK_STR(a, b);
	free(a);
	free(b);
}

/* E[X(t)] of FHL 2005 eq. 9 with GSL's 2F1. */
static double ex_gsl(const struct ltv_params *m, double t)
{
	return (m->a + m->b - 1) / (m->a - 1) *
	       (1 - pow(m->alpha / (m->alpha + t), m->r) *
		gsl_sf_hyperg_2F1(m->r, m->b, m->a + m->b - 1, t / (m->alpha + t)));
}

static void test_bgnbd_expected(void)
{
	int ch;

	for (ch = 0; ch < SIM_NJCH; ch++) {
		const struct ltv_params *m = &sim_ltv[ch];
		CHECK(fabs(sim_bgnbd_expected(m, 4) - ex_gsl(m, 4)) < 1e-9);
		CHECK(fabs(sim_bgnbd_expected(m, 52) - ex_gsl(m, 52)) < 1e-9);
		CHECK(sim_bgnbd_expected(m, 0) == 0);
		CHECK(m->a != 1 && m->q > 1);
		/* A mean repeat value within 65-120 USD of the sim's 85 per conversion. */
		CHECK(m->p * m->gamma / (m->q - 1) >= 65 && m->p * m->gamma / (m->q - 1) <= 120);
	}
	/* FHL 2005's CDNOW fit (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426):
	 * a slower series (z = 52/56.4). */
	{
		const struct ltv_params cd = { 0.243, 4.414, 0.793, 2.426, 0, 0, 0 };
		CHECK(fabs(sim_bgnbd_expected(&cd, 52) - ex_gsl(&cd, 52)) < 1e-9);
	}
}

/* The latent traits: lambda ~ Gamma(r, alpha), p ~ Beta(a, b), nu ~
 * Gamma(q, gamma): the sample means within 4 standard errors of the true
 * ones (a fair draw falls outside with probability 6e-5 per check). */
static void test_latent(void)
{
	enum { N = 100000 };
	gsl_rng *r = gsl_rng_alloc(sim_rng_type);
	int ch, i;

	for (ch = 0; ch < SIM_NJCH; ch += 4) {
		const struct ltv_params *m = &sim_ltv[ch];
		double sl = 0, sp = 0, sn = 0;
		double el = m->r / m->alpha, vl = m->r / (m->alpha * m->alpha);
		double ep = m->a / (m->a + m->b),
		       vp = m->a * m->b / ((m->a + m->b) * (m->a + m->b) * (m->a + m->b + 1));
		double en = m->q / m->gamma, vn = m->q / (m->gamma * m->gamma);
		for (i = 0; i < N; i++) {
			struct cust_latent l;
			sim_cust_latent(r, 5, 7, i, ch, &l);
			sl += l.lambda;
			sp += l.p;
			sn += l.nu;
		}
		CHECK(fabs(sl / N - el) < 4 * sqrt(vl / N));
		CHECK(fabs(sp / N - ep) < 4 * sqrt(vp / N));
		CHECK(fabs(sn / N - en) < 4 * sqrt(vn / N));
	}
	gsl_rng_free(r);
}

/*
 * The generator end to end: n customers of channel ch acquired at the
 * origin's midnight, a window of 52 weeks; the mean number of repeat rows
 * in the first t weeks against E[X(t)] and the mean first repeat value
 * against p gamma / (q - 1), each within 4 Monte Carlo standard errors
 * (the sample standard deviation over customers, who are independent).
 */
struct mc {
	double x4, sx4, x52, sx52, v, sv;   /* means and standard errors */
};

static void customers_mc(int ch, long long i0, long long n, struct mc *out)
{
	struct sim_config cfg = { .seed = 3, .origin = days_from_civil(2024, 1, 1), .start = 0,
				  .days = 364, .users = 0, .campaigns = 1, .ads = 1,
				  .tables = 1u << T_CUSTTX };
	struct sim *s = sim_new(&cfg);
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long long i, *k4 = calloc((size_t)n, sizeof *k4), *k52 = calloc((size_t)n, sizeof *k52);
	double *v1 = calloc((size_t)n, sizeof *v1);
	double s4 = 0, q4 = 0, s52 = 0, q52 = 0, sv = 0, qv = 0;
	long long nv = 0, rows = 0, firsts = 0;

	for (i = 0; i < n; i++)
		customers_add(s->cust, 0, i0 + i, ch, 0, 50.0);
	sim_run(s, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long long a, u, j;
		unsigned y, mo, d, hh, mm, ss;
		double v, secs;
		const char *p = strstr(line, "\"transaction_id\":\"tx-u-");
		const char *q = strstr(line, "\"occurred_at\":\"");
		const char *w = strstr(line, "\"value\":");
		rows++;
		if (!p || !q || !w || sscanf(p + 23, "%lld-%lld-%lld", &a, &u, &j) != 3 ||
		    sscanf(q + 15, "%4u-%2u-%2uT%2u:%2u:%2u", &y, &mo, &d, &hh, &mm, &ss) != 6 ||
		    sscanf(w + 8, "%lf", &v) != 1 || a != 0 || u < i0 || u >= i0 + n) {
			CHECK(0);
			continue;
		}
		if (j == 1) {
			firsts++;
			continue;
		}
		secs = (double)(days_from_civil(y, mo, d) - cfg.origin) * 86400 + hh * 3600 + mm * 60 + ss;
		if (secs < 4 * SIM_LTV_UNIT)
			k4[u - i0]++;
		k52[u - i0]++;
		if (j == 2)
			v1[u - i0] = v;
	}
	CHECK_INT(firsts, n);
	for (i = 0; i < n; i++) {
		s4 += (double)k4[i];
		q4 += (double)k4[i] * (double)k4[i];
		s52 += (double)k52[i];
		q52 += (double)k52[i] * (double)k52[i];
		if (k52[i] > 0) {
			nv++;
			sv += v1[i];
			qv += v1[i] * v1[i];
		}
	}
	out->x4 = s4 / (double)n;
	out->sx4 = sqrt((q4 / (double)n - out->x4 * out->x4) / (double)(n - 1));
	out->x52 = s52 / (double)n;
	out->sx52 = sqrt((q52 / (double)n - out->x52 * out->x52) / (double)(n - 1));
	out->v = sv / (double)nv;
	out->sv = sqrt((qv / (double)nv - out->v * out->v) / (double)(nv - 1));
	free(k4);
	free(k52);
	free(v1);
	free(buf);
	sim_free(s);
}

static void test_customers_bgnbd(void)
{
	/* email: the most repeat purchases; tiktok: the fewest. */
	static const int chs[2] = { 8, 4 };
	struct mc m[2];
	int k;

	for (k = 0; k < 2; k++) {
		const struct ltv_params *p = &sim_ltv[chs[k]];
		double e52 = sim_bgnbd_expected(p, 52), ev = p->p * p->gamma / (p->q - 1);
		int failed = h_fail;
		customers_mc(chs[k], 1000000LL * k, 20000, &m[k]);
		CHECK(fabs(m[k].x52 - e52) < 4 * m[k].sx52);
		CHECK(fabs(m[k].x4 - sim_bgnbd_expected(p, 4)) < 4 * m[k].sx4);
		CHECK(fabs(m[k].v - ev) < 4 * m[k].sv);
		if (h_fail > failed)
			fprintf(stderr, "  %s: X(52) %.4f +- %.4f vs %.4f; X(4) %.4f +- %.4f vs %.4f; "
				"value %.3f +- %.3f vs %.3f\n", sim_chan[chs[k]].name, m[k].x52, m[k].sx52,
				e52, m[k].x4, m[k].sx4, sim_bgnbd_expected(p, 4), m[k].v, m[k].sv, ev);
	}
	/* The channels differ, far beyond the Monte Carlo error. */
	CHECK(m[0].x52 - m[1].x52 > 4 * sqrt(m[0].sx52 * m[0].sx52 + m[1].sx52 * m[1].sx52));
	CHECK(m[0].v - m[1].v > 4 * sqrt(m[0].sv * m[0].sv + m[1].sv * m[1].sv));
}

static void test_adstock(void)
{
	/* Constant spend x from the origin on: after the max lag, adstock = x. */
	struct sim_config cfg = { .seed = 1, .origin = days_from_civil(2024, 1, 1), .start = 60,
				  .days = 1, .users = 0, .campaigns = 1, .ads = 1, .tables = 0 };
	struct sim *s = sim_new(&cfg);
	long long t;

	for (t = s->s0; t <= s->end; t++)
		s->chspend[0][t - s->s0] = 123.5;
	CHECK(fabs(sim_adstock(s, 0, 60) - 123.5) < 1e-9);
	s->chspend[0][60 - s->s0] = 0;   /* a dark day lowers it by the lag-0 weight */
	CHECK(fabs(sim_adstock(s, 0, 60) - 123.5 * (1 - (1 - 0.2) / (1 - pow(0.2, 28)))) < 1e-9);
	sim_free(s);
}

int main(void)
{
	test_hill();
	test_streams();
	test_matrix();
	test_window();
	test_window_customers();
	test_adstock();
	test_bgnbd_expected();
	test_latent();
	test_customers_bgnbd();
	return h_done("sim-generate");
}
