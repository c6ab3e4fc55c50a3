/*
 * journey-summarize's model (journey.c) and external sort (xsort.c): the
 * journey cut, ends and days, the lookback bound to the second, collapsing
 * and trimLongPath, the transition counts and probabilities of a hand-made
 * day, the channel rules, and the external sort against the in-memory one.
 */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "die.h"
#include "../../cmd/journey-summarize/journey.h"
#include "../../cmd/journey-summarize/xsort.h"

#define T0 (20000.0 * JS_DAY)   /* midnight of day 20000 (2024-10-04) */

static struct js_session S(const char *user, const char *sid, const char *ch, double start,
			   int conv, double conv_at, double value)
{
	struct js_session s = { (char *)user, (char *)sid, (char *)ch, start, conv_at, value, conv };
	return s;
}

struct seen { int n; size_t len[8]; double end[8]; long long day[8]; int conv[8]; };

static void on_j(const struct js_session *j, size_t n, double end, long long day, int conv, void *ctx)
{
	struct seen *s = ctx;
	(void)j;
	s->len[s->n] = n;
	s->end[s->n] = end;
	s->day[s->n] = day;
	s->conv[s->n++] = conv;
}

static void test_journeys(void)
{
	struct js_opts o = { 20000, 20010, 30, 0, 0 };
	struct js_session v[5] = {
		S("u", "1", "meta", T0 + 100, 0, NAN, 0),
		S("u", "2", "email", T0 + 200, 1, T0 + 2 * JS_DAY + 5, 40),  /* converts 2 days later */
		S("u", "3", "direct", T0 + 300, 1, NAN, 10),                /* converted_at null */
		S("u", "4", "organic", T0 + JS_DAY, 0, NAN, 0),
		S("u", "5", "organic", T0 + 3 * JS_DAY + 1, 0, NAN, 0),
	};
	struct seen s = { 0 };

	js_journeys(&o, v, 5, on_j, &s);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.len[0], 2);
	CHECK(s.end[0] == T0 + 2 * JS_DAY + 5 && s.day[0] == 20002 && s.conv[0]);
	CHECK_INT(s.len[1], 1);
	CHECK(s.end[1] == T0 + 300 && s.day[1] == 20000 && s.conv[1]);
	CHECK_INT(s.len[2], 2);
	CHECK(s.end[2] == T0 + 3 * JS_DAY + 1 && s.day[2] == 20003 && !s.conv[2]);
}

static void test_path(void)
{
	struct js_opts o = { 0, 0, 2, 0, 0 };
	const char *out[8];
	double end = T0 + 10 * JS_DAY;
	struct js_session v[6] = {
		S("u", "1", "a", end - 3 * JS_DAY, 0, NAN, 0),        /* floor = 3 > L: out */
		S("u", "2", "b", end - 3 * JS_DAY + 1, 0, NAN, 0),    /* floor(2.99..) = 2: in */
		S("u", "3", "b", end - JS_DAY, 0, NAN, 0),
		S("u", "4", "c", end - 10, 0, NAN, 0),
		S("u", "5", "c", end - 5, 0, NAN, 0),
		S("u", "6", "b", end, 1, end, 0),
	};
	size_t k = js_path(&o, v, 6, end, out);
	CHECK_INT(k, 5);
	CHECK_STR(out[0], "b");
	CHECK_STR(out[4], "b");
	o.collapse = 1;
	k = js_path(&o, v, 6, end, out);
	CHECK_INT(k, 3);
	CHECK(k == 3 && !strcmp(out[0], "b") && !strcmp(out[1], "c") && !strcmp(out[2], "b"));
	o.max_len = 2;   /* trimLongPath keeps the last 2 */
	k = js_path(&o, v, 6, end, out);
	CHECK(k == 2 && !strcmp(out[0], "c") && !strcmp(out[1], "b"));
	/* the last session is kept even beyond the lookback (a lag longer than L) */
	o = (struct js_opts){ 0, 0, 0, 0, 0 };
	k = js_path(&o, v, 1, end, out);
	CHECK(k == 1 && !strcmp(out[0], "a"));
	/* the last session is kept even when it started after the end */
	k = js_path(&o, v + 5, 1, end - 1, out);
	CHECK_INT(k, 1);
}

/* A day by hand: 3 journeys a>b (2 convert, values 5 and 7), 1 journey a
 * (null), 1 journey b>b>(conversion) with value 1. */
static void test_day(void)
{
	struct js_opts o = { 20000, 20000, 30, 0, 0 };
	struct js_summary *s = js_new(&o);
	struct js_session u1[2] = { S("1", "x1", "a", T0 + 1, 0, NAN, 0), S("1", "x2", "b", T0 + 2, 1, T0 + 3, 5) };
	struct js_session u2[2] = { S("2", "y2", "b", T0 + 9, 1, NAN, 7), S("2", "y1", "a", T0 + 8, 0, NAN, 0) };
	struct js_session u3[2] = { S("3", "z1", "a", T0 + 1, 0, NAN, 0), S("3", "z2", "b", T0 + 2, 0, NAN, 0) };
	struct js_session u4[1] = { S("4", "w1", "a", T0 + 1, 0, NAN, 0) };
	struct js_session u5[3] = { S("5", "v1", "b", T0 + 1, 0, NAN, 0), S("5", "v2", "b", T0 + 2, 1, NAN, 1),
				    S("5", "v3", "a", T0 + JS_DAY, 0, NAN, 0) };  /* next day: not written */
	double p;
	char *buf = NULL;
	size_t len = 0, rows;
	FILE *f;

	js_user(s, u1, 2);
	js_user(s, u2, 2);   /* unsorted: sorted inside */
	js_user(s, u3, 2);
	js_user(s, u4, 1);
	js_user(s, u5, 3);
	CHECK_INT(js_stats(s)->journeys, 6);
	CHECK_INT(js_stats(s)->out_of_window, 1);
	CHECK(js_transition(s, 20000, "(start)", "a", &p) == 4 && fabs(p - 0.8) < 1e-15);
	CHECK(js_transition(s, 20000, "a", "b", &p) == 3 && fabs(p - 0.75) < 1e-15);
	CHECK(js_transition(s, 20000, "a", "(null)", &p) == 1 && fabs(p - 0.25) < 1e-15);
	CHECK(js_transition(s, 20000, "b", "(conversion)", &p) == 3 && fabs(p - 0.6) < 1e-15);
	CHECK(js_transition(s, 20000, "b", "b", &p) == 1 && fabs(p - 0.2) < 1e-15);
	CHECK(js_transition(s, 20000, "b", "(null)", &p) == 1 && fabs(p - 0.2) < 1e-15);
	CHECK(js_transition(s, 20000, "b", "a", &p) == 0 && fabs(p) < 1e-15);
	f = open_memstream(&buf, &len);
	rows = js_write(s, f, "r1", "2024-10-05T00:00:00Z");
	fclose(f);
	CHECK_INT(rows, 3 + 7);
	CHECK_HAS(buf, "{\"_table\":\"journey_paths_daily\",\"date\":\"2024-10-04\",\"path\":\"a > b\","
		  "\"path_length\":2,\"journeys\":3,\"conversions\":2,\"non_conversions\":1,"
		  "\"conversion_value\":12.0,\"lookback_days\":30,\"collapsed\":false,\"run_id\":\"r1\"");
	CHECK_HAS(buf, "\"path\":\"b > b\",\"path_length\":2,\"journeys\":1,\"conversions\":1");
	CHECK_HAS(buf, "\"from_state\":\"(start)\",\"to_state\":\"a\",\"transitions\":4,\"from_total\":5,"
		  "\"probability\":0.8");
	/* rows by path, then transitions by from, to */
	CHECK(strstr(buf, "\"path\":\"a\"") < strstr(buf, "\"path\":\"a > b\""));
	CHECK(strstr(buf, "\"from_state\":\"(start)\"") < strstr(buf, "\"from_state\":\"a\""));
	free(buf);
	js_free(s);
}

static void test_channels(void)
{
	CHECK(js_channel_problem("meta") == NULL);
	CHECK(js_channel_problem("") != NULL);
	CHECK(js_channel_problem("a > b") != NULL);
	CHECK(js_channel_problem("a>b") == NULL);
	CHECK(js_channel_problem("(null)") != NULL);
	CHECK(js_channel_problem("a\nb") != NULL);
}

/* The external sort with a budget of one byte (a run per session) gives the
 * same sums as the in-memory sort. */
static void test_xsort(void)
{
	struct js_opts o = { 20000, 20003, 2, 1, 3 };
	struct js_summary *a = js_new(&o), *b = js_new(&o);
	struct xsort *x = xs_new(1), *y = xs_new(1u << 30);
	static const char *const ch[] = { "a", "b", "c", "d" };
	char *ba = NULL, *bb = NULL, user[16], sid[16];
	size_t la = 0, lb = 0;
	unsigned long long r = 12345;
	FILE *fa, *fb;
	int i;

	for (i = 0; i < 400; i++) {
		struct js_session s;
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(user, sizeof user, "u%llu", (r >> 33) % 37);
		snprintf(sid, sizeof sid, "s%d", i);
		s = S(user, sid, ch[(r >> 20) % 4], T0 + (double)((r >> 40) % 400000), (r >> 10) % 7 == 0, NAN,
		      (double)(i % 5));
		xs_add(x, &s);
		xs_add(y, &s);
	}
	CHECK(xs_runs(x) >= 399);
	CHECK_INT(xs_runs(y), 0);
	xs_drain(x, a);
	xs_drain(y, b);
	fa = open_memstream(&ba, &la);
	fb = open_memstream(&bb, &lb);
	CHECK(js_write(a, fa, "r", "2024-10-05T00:00:00Z") > 10);
	js_write(b, fb, "r", "2024-10-05T00:00:00Z");
	fclose(fa);
	fclose(fb);
	CHECK(la == lb && memcmp(ba, bb, la) == 0);
	CHECK_INT(js_stats(a)->users, 37);
	CHECK_INT(js_stats(a)->sessions, 400);
	free(ba);
	free(bb);
	xs_free(x);
	xs_free(y);
	js_free(a);
	js_free(b);
}

int main(void)
{
	aelp_progname = "test_journey-summarize";
	test_journeys();
	test_path();
	test_day();
	test_channels();
	test_xsort();
	printf("unit journey-summarize: %d passed, %d failed\n", h_pass, h_fail);
	return h_fail ? 1 : 0;
}
