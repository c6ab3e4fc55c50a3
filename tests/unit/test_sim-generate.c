/* Unit tests of sim-generate's model: the transforms, the streams, the
 * journey matrix and the window independence of a day's rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
		const char *keys[] = { "\"date\":\"", "\"session_start\":\"", "\"touched_at\":\"" };
		int k;
		for (k = 0; k < 3; k++) {
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
	test_adstock();
	return h_done("sim-generate");
}
