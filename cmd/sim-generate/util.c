/*
 * sim-generate: the random streams (a GSL generator type) and the row
 * writers.
 */
#include <string.h>

#include "ndjson.h"
#include "sim.h"
#include "timefmt.h"
#include "xoshiro.h"

/* ---- xoshiro256** as a gsl_rng_type ---- */

struct xo_state { uint64_t s[4]; };

static uint64_t xo_next(struct xo_state *st)
{
	return xoshiro_next(st->s);
}

static void xo_set(void *v, unsigned long seed)
{
	struct xo_state *st = v;

	xoshiro_seed(st->s, (uint64_t)seed);
}

static unsigned long xo_get(void *v)
{
	return (unsigned long)(xo_next(v) >> 32);
}

static double xo_get_double(void *v)
{
	return (double)(xo_next(v) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xo_type = {
	"xoshiro256**", 0xffffffffUL, 0, sizeof(struct xo_state),
	xo_set, xo_get, xo_get_double
};
const gsl_rng_type *sim_rng_type = &xo_type;

static uint64_t fmix(uint64_t z)
{
	return splitmix64(&z);
}

void sim_stream(gsl_rng *r, uint64_t seed, int kind, long long a, long long b)
{
	uint64_t h = fmix(seed ^ ((uint64_t)kind * 0xD6E8FEB86659FD93ULL));
	h = fmix(h ^ (uint64_t)a);
	h = fmix(h ^ ((uint64_t)b * 0xA0761D6478BD642FULL));
	gsl_rng_set(r, (unsigned long)h);
}

/* ---- rows ---- */

void sim_date(long long origin, long long t, char *buf)
{
	long long y;
	unsigned m, d;

	civil_from_days(origin + t, &y, &m, &d);
	snprintf(buf, 16, "%04u-%02u-%02u", (unsigned)(y % 10000), m % 100, d % 100);
}

void row_begin(FILE *f, const char *table)
{
	fputs("{\"_table\":", f);
	jw_str(f, table, strlen(table));
}

void row_str(FILE *f, const char *key, const char *v)
{
	fputc(',', f);
	jw_key(f, key);
	jw_str(f, v, strlen(v));
}

void row_int(FILE *f, const char *key, long long v)
{
	fputc(',', f);
	jw_key(f, key);
	jw_int(f, v);
}

void row_real(FILE *f, const char *key, double v)
{
	fputc(',', f);
	jw_key(f, key);
	jw_real(f, v);
}

void row_bool(FILE *f, const char *key, int v)
{
	fputc(',', f);
	jw_key(f, key);
	fputs(v ? "true" : "false", f);
}

void row_ts(FILE *f, const char *key, long long origin, long long secs)
{
	char buf[32];
	long long day = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	unsigned s = (unsigned)(secs - day * 86400) % 86400;

	sim_date(origin, day, buf);
	snprintf(buf + 10, sizeof buf - 10, "T%02u:%02u:%02uZ", s / 3600, s / 60 % 60, s % 60);
	fputc(',', f);
	jw_key(f, key);
	fputc('"', f);
	fputs(buf, f);
	fputc('"', f);
}

void row_end(FILE *f)
{
	fputs("}\n", f);
}
