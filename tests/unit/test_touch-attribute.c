/*
 * touch-attribute (credit.c, attrib.c): each model's credit on a hand-made
 * journey against hand-computed values, net_reward = value - spend, the
 * lookback windows at their edges, the data-driven split from exact removal
 * effects, and the refusals.
 */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "../../cmd/touch-attribute/attrib.h"
#include "../../cmd/touch-attribute/credit.h"
#include "timefmt.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-12)
#define CHECK_NEAR(a, b) do { \
	double h_x = (a), h_y = (b); \
	if (NEAR(h_x, h_y)) h_pass++; \
	else { h_fail++; fprintf(stderr, "FAIL %s:%d: %s == %.17g, expected %.17g\n", \
				 __FILE__, __LINE__, #a, h_x, h_y); } \
} while (0)

static const long IX[F_N] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static struct value txt(const char *s)
{
	struct value v = { V_NULL, 0, 0, NULL, 0 };
	if (s) {
		v.kind = V_TEXT;
		v.s = s;
		v.n = strlen(s);
	}
	return v;
}

static struct value num(double d)
{
	struct value v = { V_REAL, 0, d, NULL, 0 };
	if (isnan(d))
		v.kind = V_NULL;
	return v;
}

/* A touch `days` before (negative: after) BASE, ISO text built from epoch. */
#define BASE 1742472000.0   /* 2025-03-20T12:00:00Z */

static int add(struct ta_input *in, const char *id, const char *user, double days_before,
	       const char *type, const char *channel, double cost, const char *conv_type, double value)
{
	char ts[TS_CANON_MAX], err[256];
	struct value v[F_N];
	static unsigned long line;
	timestamp_from_epoch(BASE - days_before * 86400.0, ts);
	v[F_ID] = txt(id);
	v[F_USER] = txt(user);
	v[F_AT] = txt(ts);
	v[F_TYPE] = txt(type);
	v[F_CHANNEL] = txt(channel);
	v[F_CAMPAIGN] = txt(strcmp(channel, "organic") ? "camp-1" : NULL);
	v[F_COST] = num(cost);
	v[F_CONVID] = txt(strcmp(type, "conversion") == 0 ? id : NULL);
	v[F_CONVTYPE] = txt(conv_type);
	v[F_VALUE] = num(value);
	return ta_input_add(in, v, IX, "test.ndjson", ++line, err, sizeof err);
}

static struct ta_opts all_models(void)
{
	struct ta_opts o;
	int m;
	memset(&o, 0, sizeof o);
	o.acq_days = 30;
	o.other_days = 90;
	o.half_life = 7;
	for (m = 0; m < TA_NMODELS; m++)
		o.model[m] = (enum ta_model)m;
	o.nmodels = TA_NMODELS;
	return o;
}

static const struct ta_conv *conv_of(const struct ta_result *r, const char *id)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->c[i].conv->conv_id, id) == 0)
			return &r->c[i];
	return NULL;
}

/* The credit of touch `id` under model m (NaN when the touch has no row). */
static double credit(const struct ta_input *in, const struct ta_result *r, const struct ta_opts *o,
		     const char *conv, enum ta_model m, const char *id)
{
	const struct ta_conv *c = conv_of(r, conv);
	size_t k, j;
	if (!c)
		return NAN;
	for (k = 0; k < o->nmodels && o->model[k] != m; k++)
		;
	if (k == o->nmodels)
		return NAN;
	if (strcmp(id, "(direct)") == 0)
		return c->direct[k];
	for (j = 0; j < c->n; j++)
		if (strcmp(in->t[c->touch[j]].id, id) == 0)
			return c->credit[k * c->n + j];
	return NAN;
}

static double credit_sum(const struct ta_result *r, size_t ci, size_t k)
{
	const struct ta_conv *c = &r->c[ci];
	double s = c->direct[k];
	size_t j;
	for (j = 0; j < c->n; j++)
		s += c->credit[k * c->n + j];
	return s;
}

/* The seed's journey: an impression and clicks before a purchase, a touch
 * outside the window and one after the conversion. */
static void test_journey(void)
{
	struct ta_input in = { 0 };
	struct ta_opts o = all_models();
	struct ta_result r;
	char err[512];
	const struct ta_conv *c;
	size_t k, i;

	CHECK_INT(add(&in, "t15", "u1", 15, "impression", "meta", 2.0, NULL, NAN), 0);
	CHECK_INT(add(&in, "t8", "u1", 8, "click", "google_search", 3.0, NULL, NAN), 0);
	CHECK_INT(add(&in, "t1", "u1", 1, "click", "meta", 0.5, NULL, NAN), 0);
	CHECK_INT(add(&in, "tout", "u1", 91, "click", "tiktok", 10.0, NULL, NAN), 0);
	CHECK_INT(add(&in, "tafter", "u1", -1.0 / 24, "click", "youtube", 7.0, NULL, NAN), 0);
	CHECK_INT(add(&in, "cv1", "u1", 0, "conversion", "meta", NAN, "purchase", 100.0), 0);
	/* u2 converts after one meta click; u3 clicks google_search and does not */
	CHECK_INT(add(&in, "u2c", "u2", 2, "click", "meta", 1.0, NULL, NAN), 0);
	CHECK_INT(add(&in, "cv2", "u2", 0.25, "conversion", "meta", NAN, "lead", 25.0), 0);
	CHECK_INT(add(&in, "u3c", "u3", 10, "click", "google_search", 4.0, NULL, NAN), 0);

	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_INT(r.n, 2);
	c = conv_of(&r, "cv1");
	CHECK(c != NULL);
	if (!c)
		return;
	/* window: the three touches of the last 90 days, not the one 91 days
	 * before nor the one after the conversion */
	CHECK_INT(c->n, 3);
	CHECK_INT(c->window_days, 90);
	CHECK(isnan(credit(&in, &r, &o, "cv1", TA_LINEAR, "tout")));
	CHECK(isnan(credit(&in, &r, &o, "cv1", TA_LAST_CLICK, "tafter")));
	/* net_reward = 100 - (2 + 3 + 0.5) */
	CHECK_NEAR(c->spend, 5.5);
	CHECK_NEAR(100.0 - c->spend, 94.5);

	/* last click: the last click; first click: the first click (the impression
	 * 15 days before is not a click) */
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LAST_CLICK, "t1"), 1);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LAST_CLICK, "t8"), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LAST_CLICK, "t15"), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_FIRST_CLICK, "t8"), 1);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_FIRST_CLICK, "t15"), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_FIRST_CLICK, "(direct)"), 0);
	/* linear: a third each */
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LINEAR, "t15"), 1.0 / 3);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LINEAR, "t8"), 1.0 / 3);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LINEAR, "t1"), 1.0 / 3);
	/* position: 40 / 20 / 40 */
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_POSITION, "t15"), 0.4);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_POSITION, "t8"), 0.2);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_POSITION, "t1"), 0.4);
	/* time decay, half-life 7: weights 1, 0.5, 0.25 at 1, 8, 15 days */
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_TIME_DECAY, "t1"), 4.0 / 7);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_TIME_DECAY, "t8"), 2.0 / 7);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_TIME_DECAY, "t15"), 1.0 / 7);
	/* data-driven.  Paths: meta > google_search > meta (conv), meta (conv),
	 * youtube (u1 after converting: null), google_search (u3: null).
	 * Chain: start -> meta 2/4, gs 1/4, yt 1/4; meta -> gs 1/3, conv 2/3;
	 * gs -> meta 1/2, null 1/2; yt -> null.  h_meta = 4/5, h_gs = 2/5,
	 * P = 1/2.  Without meta P = 0: RE 1; without gs h_meta = 2/3, P = 1/3:
	 * RE 1/3.  cv1: meta 1 / (4/3) = 3/4 over two touches, gs 1/4. */
	CHECK_INT(r.dd_conv_paths, 2);
	CHECK_INT(r.dd_null_paths, 2);
	CHECK_NEAR(r.dd_p_conv, 0.5);
	for (i = 0; i < r.dd_nchannels; i++) {
		if (strcmp(r.dd_channel[i], "meta") == 0)
			CHECK_NEAR(r.dd_re[i], 1);
		else if (strcmp(r.dd_channel[i], "google_search") == 0)
			CHECK_NEAR(r.dd_re[i], 1.0 / 3);
		else
			CHECK_NEAR(r.dd_re[i], 0);
	}
	CHECK_INT(r.dd_nchannels, 3);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_DATA_DRIVEN, "t15"), 3.0 / 8);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_DATA_DRIVEN, "t1"), 3.0 / 8);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_DATA_DRIVEN, "t8"), 1.0 / 4);
	CHECK_NEAR(credit(&in, &r, &o, "cv2", TA_DATA_DRIVEN, "u2c"), 1);
	/* every conversion's credits sum to 1 under every model */
	for (i = 0; i < r.n; i++)
		for (k = 0; k < o.nmodels; k++)
			CHECK_NEAR(credit_sum(&r, i, k), 1);

	/* the rows: per model, 3 touches + (direct) for cv1, 1 + 1 for cv2 */
	{
		char *buf = NULL;
		size_t len = 0, rows;
		FILE *f = open_memstream(&buf, &len);
		rows = ta_write(f, &in, &r, &o, "run-1", "2025-03-21T00:00:00Z");
		fclose(f);
		CHECK_INT(rows, 6 * 4 + 6 * 2);
		CHECK_HAS(buf, "\"conversion_id\":\"cv1\",\"touchpoint_id\":\"t1\",\"model\":\"last_click\"");
		CHECK_HAS(buf, "\"credit\":1.0,\"value_credit\":100.0,\"cost\":0.5,\"conversion_value\":100.0,"
			  "\"net_reward\":94.5,\"run_id\":\"run-1\"");
		CHECK_HAS(buf, "\"touchpoint_id\":\"(direct)\",\"model\":\"data_driven\",\"user_id\":\"u1\","
			  "\"channel\":\"direct\",\"campaign_id\":null,\"touched_at\":null");
		CHECK(strstr(buf, "\"tout\"") == NULL);
		CHECK(strstr(buf, "\"tafter\"") == NULL);
		free(buf);
	}
	ta_result_free(&r);

	/* --touches clicks: the impression drops out of every model */
	o.touches = TA_TOUCHES_CLICKS;
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LINEAR, "t15"), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_LINEAR, "t8"), 0.5);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_POSITION, "t1"), 0.5);
	CHECK_NEAR(r.c[0].spend + r.c[1].spend, 5.5 + 1.0);   /* spend still counts every touch */
	ta_result_free(&r);
	/* --touches all: the impression is cv1's first click-model touch */
	o.touches = TA_TOUCHES_ALL;
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_NEAR(credit(&in, &r, &o, "cv1", TA_FIRST_CLICK, "t15"), 1);
	ta_result_free(&r);
	ta_input_free(&in);
}

/* The window's edges: exactly the window before counts, a second more does
 * not; first_visit takes the acquisition window. */
static void test_windows(void)
{
	struct ta_input in = { 0 };
	struct ta_opts o = all_models();
	struct ta_result r;
	char err[512];

	o.model[0] = TA_LINEAR;
	o.nmodels = 1;
	add(&in, "a-edge", "a", 90, "click", "meta", 0, NULL, NAN);
	add(&in, "a-out", "a", 90 + 1.0 / 86400, "click", "meta", 0, NULL, NAN);
	add(&in, "a-cv", "a", 0, "conversion", "meta", NAN, "purchase", 10);
	add(&in, "b-8", "b", 8, "click", "meta", 1, NULL, NAN);
	add(&in, "b-7", "b", 7, "click", "tiktok", 2, NULL, NAN);
	add(&in, "b-cv", "b", 0, "conversion", "meta", NAN, "first_visit", 0);
	add(&in, "c-same", "c", 0, "click", "meta", 0, NULL, NAN);
	add(&in, "c-cv", "c", 0, "conversion", "meta", NAN, NULL, NAN);

	o.acq_days = 7;
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_NEAR(credit(&in, &r, &o, "a-cv", TA_LINEAR, "a-edge"), 1);
	CHECK(isnan(credit(&in, &r, &o, "a-cv", TA_LINEAR, "a-out")));
	CHECK_INT(conv_of(&r, "b-cv")->window_days, 7);
	CHECK_NEAR(credit(&in, &r, &o, "b-cv", TA_LINEAR, "b-7"), 1);
	CHECK(isnan(credit(&in, &r, &o, "b-cv", TA_LINEAR, "b-8")));
	CHECK_NEAR(conv_of(&r, "b-cv")->spend, 2);
	/* a touch at the conversion's instant counts; a null type takes the other window */
	CHECK_NEAR(credit(&in, &r, &o, "c-cv", TA_LINEAR, "c-same"), 1);
	CHECK_INT(conv_of(&r, "c-cv")->window_days, 90);
	ta_result_free(&r);

	o.acq_days = 30;
	o.other_days = 60;
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_NEAR(credit(&in, &r, &o, "b-cv", TA_LINEAR, "b-8"), 0.5);
	CHECK_NEAR(conv_of(&r, "b-cv")->spend, 3);
	CHECK_INT(conv_of(&r, "a-cv")->n, 0);
	CHECK_NEAR(credit(&in, &r, &o, "a-cv", TA_LINEAR, "(direct)"), 1);
	ta_result_free(&r);

	/* a period: only conversions of from_day..to_day */
	o.have_period = 1;
	o.from_day = o.to_day = ta_day("2025-03-19");
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_INT(r.n, 0);
	ta_result_free(&r);
	o.from_day = ta_day("2025-03-17");
	o.to_day = ta_day("2025-03-20");
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_INT(r.n, 3);
	ta_result_free(&r);
	ta_input_free(&in);
}

/* The rules alone: position for 1, 2 and 5 touches, time decay under
 * another half-life, data-driven with repeats. */
static void test_rules(void)
{
	struct ta_ctouch t[5];
	double c[5];
	int i;

	for (i = 0; i < 5; i++) {
		t[i].at = BASE - (5 - i) * 86400.0;
		t[i].channel = i % 2 ? "b" : "a";
		t[i].re = i % 2 ? 0.25 : 0.75;
	}
	CHECK_INT(ta_credit(TA_POSITION, t, 1, BASE, 7, c), 0);
	CHECK_NEAR(c[0], 1);
	CHECK_INT(ta_credit(TA_POSITION, t, 2, BASE, 7, c), 0);
	CHECK_NEAR(c[0], 0.5);
	CHECK_NEAR(c[1], 0.5);
	CHECK_INT(ta_credit(TA_POSITION, t, 5, BASE, 7, c), 0);
	CHECK_NEAR(c[0], 0.4);
	CHECK_NEAR(c[1], 0.2 / 3);
	CHECK_NEAR(c[2], 0.2 / 3);
	CHECK_NEAR(c[3], 0.2 / 3);
	CHECK_NEAR(c[4], 0.4);
	/* half-life 2 days, touches 5..1 days before: weights 2^(-d/2) */
	CHECK_INT(ta_credit(TA_TIME_DECAY, t, 5, BASE, 2, c), 0);
	{
		double s = 0, w[5];
		for (i = 0; i < 5; i++)
			s += w[i] = exp2(-(5 - i) / 2.0);
		for (i = 0; i < 5; i++)
			CHECK_NEAR(c[i], w[i] / s);
		CHECK_NEAR(c[4] / c[2], 2);
	}
	/* a, b, a, b, a with RE 0.75 and 0.25: a gets 3/4 over 3 touches */
	CHECK_INT(ta_credit(TA_DATA_DRIVEN, t, 5, BASE, 7, c), 0);
	CHECK_NEAR(c[0], 0.25);
	CHECK_NEAR(c[1], 0.125);
	CHECK_NEAR(c[4], 0.25);
	t[1].re = t[3].re = 0;
	t[0].re = t[2].re = t[4].re = 0;
	CHECK_INT(ta_credit(TA_DATA_DRIVEN, t, 5, BASE, 7, c), -1);
	CHECK_INT(ta_credit(TA_LINEAR, t, 0, BASE, 7, c), -1);
	CHECK_INT(ta_model_parse("position_based"), TA_POSITION);
	CHECK_INT(ta_model_parse("dda"), TA_DATA_DRIVEN);
	CHECK_INT(ta_model_parse("u_shaped"), -1);
	CHECK_STR(ta_model_name(TA_TIME_DECAY), "time_decay");
}

/* Refusals: bad rows, duplicate ids, data-driven without a converting path. */
static void test_refusals(void)
{
	struct ta_input in = { 0 };
	struct ta_opts o = all_models();
	struct ta_result r;
	char err[512];

	CHECK_INT(add(&in, "x", "u", 1, "view", "meta", 0, NULL, NAN), -1);
	CHECK_INT(add(&in, "x", "u", 1, "click", "meta", -1, NULL, NAN), -1);
	CHECK_INT(add(&in, "x", "u", 0, "conversion", "meta", NAN, "purchase", -5), -1);
	CHECK_INT(in.n, 0);

	/* data-driven: conversions, none with a touch in its window */
	add(&in, "old", "u", 200, "click", "meta", 0, NULL, NAN);
	add(&in, "cv", "u", 0, "conversion", "meta", NAN, "purchase", 5);
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 65);
	CHECK_HAS(err, "data_driven cannot run");
	CHECK_HAS(err, "no fallback");
	ta_result_free(&r);
	o.nmodels = 5;   /* without data_driven: (direct) gets the credit */
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 0);
	CHECK_INT(r.direct[TA_LAST_CLICK], 1);
	ta_result_free(&r);

	add(&in, "old", "v", 3, "click", "meta", 0, NULL, NAN);
	CHECK_INT(ta_attribute(&in, &o, &r, err, sizeof err), 65);
	CHECK_HAS(err, "touchpoint_id 'old' again (first at test.ndjson:");
	ta_result_free(&r);
	ta_input_free(&in);
}

int main(void)
{
	test_journey();
	test_windows();
	test_rules();
	test_refusals();
	return h_done("touch-attribute");
}
