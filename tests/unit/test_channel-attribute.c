/*
 * channel-attribute's models: fractribution's transforms and expected
 * outputs (Snowplow's CSVs), Zhao's simplified Shapley against a brute-force
 * classic Shapley value, the ordered value's positions, position and linear
 * weights by hand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../cmd/channel-attribute/models.h"
#include "../../cmd/channel-attribute/paths.h"

static const char *data_dir(void)
{
	const char *e = getenv("AELP2_SHARED_DATA");
	return e && *e ? e : "../shared/data";
}

static FILE *open_expected(const char *name)
{
	char fn[512];
	FILE *f;
	snprintf(fn, sizeof fn, "%s/attribution/fractribution_expected/%s", data_dir(), name);
	f = fopen(fn, "r");
	if (!f)
		fprintf(stderr, "FAIL: %s: cannot open (set AELP2_SHARED_DATA)\n", fn);
	CHECK(f != NULL);
	return f;
}

/* split a CSV line with optional double quotes into fields (in place) */
static int csv_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line, *w;
	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		if (n == max)
			return n;
		if (*p == '"') {
			f[n++] = w = ++p;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"')
					p++;
				*w++ = *p++;
			}
			if (*p == '"')
				p++;
			*w = '\0';
			if (*p == ',') { *p = '\0'; p++; continue; }
			return n;
		}
		f[n++] = p;
		p += strcspn(p, ",");
		if (!*p)
			return n;
		*p++ = '\0';
	}
}

static void test_transforms(void)
{
	static const char *spec[] = { "trimLongPath(1)", "trimLongPath(2)", "unique", "frequency",
				      "exposure", "first", "removeIfNotAll(Direct)",
				      "removeIfLastAndNotAll(Direct)" };
	FILE *f = open_expected("path_transformations_expected.csv");
	char line[2048], *fl[16];
	int rows = 0;

	if (!f)
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	while (fgets(line, sizeof line, f)) {
		int n = csv_fields(line, fl, 16);
		CHECK_INT(n, 9);
		if (n != 9)
			continue;
		for (int i = 0; i < 8; i++) {
			char *got = ptrans_string(spec[i], fl[0]);
			if (!got || strcmp(got, fl[i + 1]) != 0)
				fprintf(stderr, "  %s of \"%s\": \"%s\", expected \"%s\"\n", spec[i], fl[0],
					got ? got : "(null)", fl[i + 1]);
			CHECK_STR(got, fl[i + 1]);
			free(got);
		}
		rows++;
	}
	fclose(f);
	CHECK_INT(rows, 7);
	/* the reference's own example (D,A,B,B,C,D,C,C) */
	{
		char *s = ptrans_string("exposure", "D>A>B>B>C>D>C>C");
		CHECK_STR(s, "D > A > B > C > D > C");
		free(s);
		s = ptrans_string("frequency", "D>A>B>B>C>D>C>C");
		CHECK_STR(s, "D(2) > A(1) > B(2) > C(3)");
		free(s);
		CHECK(ptrans_string("nosuch", "a") == NULL);
		CHECK(ptrans_string("trimLongPath(0)", "a") == NULL);
	}
}

static void add_path(struct intern *ch, struct pathset *ps, const char *path, double conv,
		     double value, double nulls)
{
	int *ids = NULL;
	size_t cap = 0;
	int k = split_path(ch, path, strlen(path), '>', &ids, &cap);
	ps_add(ps, ids, k, conv, value, nulls);
	free(ids);
}

/* paths_to_conversion + paths_to_non_conversion -> exposure -> path_summary,
 * then fractribution and last touch against channel_attribution_expected */
static void test_fractribution(void)
{
	struct intern ch = { 0 };
	struct pathset raw = { 0 }, tp = { 0 };
	struct ptrans expo = { .kind = PT_EXPOSURE, .ch = -1 };
	FILE *f;
	char line[2048], *fl[16];
	double conv[32] = { 0 }, val[32] = { 0 }, lconv[32] = { 0 }, lval[32] = { 0 };
	int n, rows = 0;

	if (!(f = open_expected("paths_to_conversion_expected.csv")))
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	while (fgets(line, sizeof line, f))
		if (csv_fields(line, fl, 16) == 5)
			add_path(&ch, &raw, fl[3], 1, atof(fl[2]), 0);
	fclose(f);
	if (!(f = open_expected("paths_to_non_conversion_expected.csv")))
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	while (fgets(line, sizeof line, f))
		if (csv_fields(line, fl, 16) == 3)
			add_path(&ch, &raw, fl[1], 0, 0, 1);
	fclose(f);
	ps_transform(&raw, &expo, 1, &tp);

	/* the transformed aggregate is path_summary_expected, row for row */
	if (!(f = open_expected("path_summary_expected.csv")))
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	while (fgets(line, sizeof line, f)) {
		int *ids = NULL;
		size_t cap = 0;
		long i;
		if (csv_fields(line, fl, 16) != 4)
			continue;
		n = split_path(&ch, fl[0], strlen(fl[0]), '>', &ids, &cap);
		i = ps_find(&tp, ids, n);
		CHECK(i >= 0);
		if (i >= 0) {
			CHECK(tp.p[i].conv == atof(fl[1]));
			CHECK(tp.p[i].nulls == atof(fl[2]));
			CHECK(fabs(tp.p[i].value - atof(fl[3])) < 1e-9);
		}
		free(ids);
		rows++;
	}
	fclose(f);
	CHECK_INT(rows, 9);
	CHECK_INT(tp.n, 9);

	fractribution(&tp, conv, val);
	heuristic(M_LAST, &tp, lconv, lval);
	rows = 0;
	if (!(f = open_expected("channel_attribution_expected.csv")))
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	while (fgets(line, sizeof line, f)) {
		int id;
		double *c, *v;
		if (csv_fields(line, fl, 16) != 6)
			continue;
		id = (int)intern_find(&ch, fl[2], strlen(fl[2]));
		CHECK(id >= 0);
		if (id < 0)
			continue;
		c = strcmp(fl[5], "shapley") == 0 ? conv : lconv;
		v = strcmp(fl[5], "shapley") == 0 ? val : lval;
		if (fabs(c[id] - atof(fl[3])) > 1e-9 || fabs(v[id] - atof(fl[4])) > 1e-9)
			fprintf(stderr, "  %s %s: %.17g %.17g, expected %s %s\n", fl[5], fl[2], c[id],
				v[id], fl[3], fl[4]);
		CHECK(fabs(c[id] - atof(fl[3])) < 1e-9);
		CHECK(fabs(v[id] - atof(fl[4])) < 1e-9);
		rows++;
	}
	fclose(f);
	CHECK_INT(rows, 12);
	/* Organic_Search > Direct splits 0.459 / 0.541 (path_summary_with_channels) */
	{
		double o = ((1.0 / 2) - 3.0 / 28) / ((1.0 / 2 - 3.0 / 28) + (1.0 / 2 - 1.0 / 27));
		int d = (int)intern_find(&ch, "Direct", 6);
		CHECK(fabs(o - 0.459) < 5e-4);
		CHECK(fabs(conv[d] - (3 + (1 - o))) < 1e-12);
	}
	ps_free(&raw);
	ps_free(&tp);
	intern_free(&ch);
}

/* classic Shapley of v(S) = sum over T subset of S of R(T), by brute force */
static void test_shapley(void)
{
	static const char *paths[] = { "a>b>a", "b", "c>a", "a>b>c>d", "d>d", "b>c", "a", "c>b>a" };
	static const double convs[] = { 3, 2, 1, 4, 2, 1, 5, 2 };
	struct intern ch = { 0 };
	struct pathset ps = { 0 };
	double conv[8] = { 0 }, val[8] = { 0 }, oc[8] = { 0 }, ov[8] = { 0 }, pos[8 * 4] = { 0 };
	double R[16] = { 0 }, v[16] = { 0 }, fact[5] = { 1, 1, 2, 6, 24 };
	int N = 4;

	for (int i = 0; i < 8; i++)
		add_path(&ch, &ps, paths[i], convs[i], 10 * convs[i], 1);
	CHECK_INT(intern_count(&ch), 4);
	for (size_t k = 0; k < ps.n; k++) {
		unsigned s = 0;
		for (int i = 0; i < ps.p[k].len; i++)
			s |= 1u << ps.p[k].ch[i];
		R[s] += ps.p[k].conv;
	}
	for (unsigned s = 0; s < 16; s++)
		for (unsigned t = 0; t < 16; t++)
			if ((t & s) == t)
				v[s] += R[t];
	shapley_simplified(&ps, conv, val);
	shapley_ordered(&ps, oc, ov, pos, 4);
	for (int i = 0; i < N; i++) {
		double phi = 0;
		for (unsigned s = 0; s < 16; s++) {
			int sz = __builtin_popcount(s);
			if (s & (1u << i))
				continue;
			phi += fact[sz] * fact[N - sz - 1] / fact[N] * (v[s | (1u << i)] - v[s]);
		}
		CHECK(fabs(conv[i] - phi) < 1e-12);
		CHECK(fabs(val[i] - 10 * phi) < 1e-11);
		CHECK(fabs(oc[i] - phi) < 1e-12);   /* positions sum to the simplified value */
	}
	/* a>b>a (3 conversions), S = {a,b}: positions 0.25, 0.5, 0.25 of each */
	{
		int a = (int)intern_find(&ch, "a", 1), b = (int)intern_find(&ch, "b", 1);
		/* position 0 of a: a>b>a 3 x 1/4, a>b>c>d 4 x 1/4, a 5 x 1 */
		CHECK(fabs(pos[a * 4 + 0] - (0.75 + 1 + 5)) < 1e-12);
		/* position 1 of b: a>b>a 3 x 1/2, a>b>c>d 4 x 1/4, c>b>a 2 x 1/3 */
		CHECK(fabs(pos[b * 4 + 1] - (1.5 + 1 + 2.0 / 3)) < 1e-12);
	}
	ps_free(&ps);
	intern_free(&ch);
}

static void test_heuristics(void)
{
	struct intern ch = { 0 };
	struct pathset ps = { 0 };
	double c[4] = { 0 }, v[4] = { 0 };

	CHECK(position_weight(0, 1) == 1);
	CHECK(position_weight(1, 2) == 0.5);
	CHECK(position_weight(0, 3) == 0.4 && position_weight(1, 3) == 0.2 && position_weight(2, 3) == 0.4);
	CHECK(fabs(position_weight(2, 5) - 0.2 / 3) < 1e-17);
	add_path(&ch, &ps, "a > b > a > c", 4, 8, 0);
	add_path(&ch, &ps, "a>b>a>c", 4, 8, 2);   /* the same path after trimming */
	CHECK_INT(ps.n, 1);
	heuristic(M_LINEAR, &ps, c, v);
	CHECK(c[0] == 4 && c[1] == 2 && c[2] == 2);
	CHECK(v[0] == 8 && v[1] == 4 && v[2] == 4);
	memset(c, 0, sizeof c);
	memset(v, 0, sizeof v);
	heuristic(M_POSITION, &ps, c, v);   /* a: 0.4 + 0.1, b 0.1, c 0.4 of 8 */
	CHECK(fabs(c[0] - 4) < 1e-12 && fabs(c[1] - 0.8) < 1e-12 && fabs(c[2] - 3.2) < 1e-12);
	memset(c, 0, sizeof c);
	heuristic(M_FIRST, &ps, c, v);
	CHECK(c[0] == 8 && c[1] == 0 && c[2] == 0);
	memset(c, 0, sizeof c);
	heuristic(M_LAST, &ps, c, v);
	CHECK(c[0] == 0 && c[2] == 8);
	CHECK_INT(ca_model_parse("shapley-ordered", 15), M_SHAPLEY_ORDERED);
	CHECK_INT(ca_model_parse("time-decay", 10), M_TIME_DECAY);
	CHECK_INT(ca_model_parse("markow", 6), -1);
	ps_free(&ps);
	intern_free(&ch);
}

int main(void)
{
	test_transforms();
	test_fractribution();
	test_shapley();
	test_heuristics();
	return h_done("channel-attribute");
}
