/* bandit-decide's inputs: arms from the warehouse or from NDJSON rows (arms.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "arms.h"
#include "die.h"
#include "intern.h"
#include "ndjson.h"
#include "schema.h"
#include "timefmt.h"
#include "warehouse.h"

const char *bd_metric_name(enum bd_metric m)
{
	return m == BD_CTR ? "ctr" : "cvr";
}

uint64_t bd_fnv1a64(const char *s)
{
	return fnv1a64(s, strlen(s));
}

void bd_context_id(const char *text, size_t len, char out[24])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 8)
		die(AELP_EXIT_SOFTWARE, "SHA-256 failed (OpenSSL)");
	memcpy(out, "ctx-", 4);
	for (i = 0; i < 8; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", md[i]);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void arm_free(struct bd_arm *a)
{
	free(a->arm_id);
	free(a->customer_id);
	free(a->ad_group_id);
	free(a->platform);
	free(a->channel);
}

static void campaign_free(struct bd_campaign *c)
{
	size_t j;
	free(c->campaign_id);
	for (j = 0; j < c->narms; j++)
		arm_free(&c->arms[j]);
	free(c->arms);
	for (j = 0; j < c->nfeats; j++) {
		free(c->feats[j].key);
		free(c->feats[j].value);
	}
	free(c->feats);
	for (j = 0; j < c->nctx; j++) {
		free(c->ctxs[j].json);
		free(c->ctxs[j].x);
	}
	free(c->ctxs);
	free(c->cells);
	memset(c, 0, sizeof *c);
}

void bd_input_free(struct bd_input *in)
{
	size_t i;
	for (i = 0; i < in->n; i++)
		campaign_free(&in->c[i]);
	free(in->c);
	memset(in, 0, sizeof *in);
}

static int camp_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bd_campaign *)elem)->campaign_id);
}

struct bd_campaign *bd_find_campaign(const struct bd_input *in, const char *id)
{
	return in->n ? bsearch(id, in->c, in->n, sizeof *in->c, camp_cmp) : NULL;
}

static int arm_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bd_arm *)elem)->arm_id);
}

long bd_find_arm(const struct bd_campaign *c, const char *id)
{
	const struct bd_arm *a = c->narms ? bsearch(id, c->arms, c->narms, sizeof *c->arms, arm_cmp)
					  : NULL;
	return a ? (long)(a - c->arms) : -1;
}

static struct bd_campaign *add_campaign(struct bd_input *in, size_t *cap, const char *id)
{
	struct bd_campaign *c;
	if (in->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		in->c = xrealloc(in->c, *cap * sizeof *in->c);
	}
	c = &in->c[in->n++];
	memset(c, 0, sizeof *c);
	c->campaign_id = xstrdup(id);
	return c;
}

static struct bd_arm *add_arm(struct bd_campaign *c, size_t *cap)
{
	struct bd_arm *a;
	if (c->narms == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		c->arms = xrealloc(c->arms, *cap * sizeof *c->arms);
	}
	a = &c->arms[c->narms++];
	memset(a, 0, sizeof *a);
	return a;
}

/* ---- the warehouse ---- */

static char *text_or_null(const struct value *v)
{
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

/*
 * One arm per (campaign_id, ad_id) over the window, with the status of its
 * latest day in the window: available unless every row of that day says
 * PAUSED or REMOVED.  Summed in the warehouse (BigQuery does it at scale);
 * the SQL is plain enough for both backends.
 */
static const char ARMS_SQL[] =
	"WITH w AS (SELECT * FROM ads_ad_performance WHERE date >= @a AND date <= @b%s), "
	"l AS (SELECT campaign_id, ad_id, MAX(date) AS last_day FROM w GROUP BY campaign_id, ad_id) "
	"SELECT w.campaign_id AS campaign_id, w.ad_id AS ad_id, "
	"COALESCE(SUM(w.impressions), 0) AS impressions, COALESCE(SUM(w.clicks), 0) AS clicks, "
	"COALESCE(SUM(w.conversions), 0) AS conversions, "
	"COALESCE(SUM(w.cost_micros), 0) AS cost_micros, "
	"MAX(w.customer_id) AS customer_id, MAX(w.ad_group_id) AS ad_group_id, "
	"MAX(w.platform) AS platform, MAX(w.channel) AS channel, "
	"MAX(CASE WHEN w.date = l.last_day AND COALESCE(w.ad_status, '') NOT IN ('PAUSED', 'REMOVED') "
	"THEN 1 ELSE 0 END) AS available, COUNT(*) AS nrows "
	"FROM w JOIN l ON w.campaign_id = l.campaign_id AND w.ad_id = l.ad_id "
	"GROUP BY w.campaign_id, w.ad_id ORDER BY w.campaign_id, w.ad_id";

static int nothing(struct bd_input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int nothing(struct bd_input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->empty, sizeof in->empty, fmt, ap);
	va_end(ap);
	return 0;
}

int bd_read_warehouse(const struct bd_read_opts *o, struct bd_input *in, char *err, size_t errsz)
{
	struct schema_set *set = schema_load(NULL);
	struct wh_err we = { 0 };
	struct wh *w;
	struct wh_query *q = NULL;
	const struct value *v;
	struct wh_param pp[3];
	char sql[sizeof ARMS_SQL + 64], *end = NULL;
	size_t ccap = 0, acap = 0;
	long long y, z;
	unsigned mo, d;
	int rc = 0, got;

	memset(in, 0, sizeof *in);
	in->from_warehouse = 1;
	in->lookback = o->lookback;
	w = wh_open_env(set, WH_OPEN_READ, &we);
	if (!w) {
		schema_free(set);
		if (we.missing == WH_NO_WAREHOUSE)
			return nothing(in, "%s: no arms to decide on", we.msg);
		return errorf(err, errsz, we.code, "%s", we.msg);
	}
	if (o->date) {
		end = xstrdup(o->date);
	} else {
		q = wh_query_open(w, "SELECT MAX(date) AS d FROM ads_ad_performance", NULL, 0, &we);
		if (!q) {
			if (we.missing == WH_NO_TABLE)
				nothing(in, "no table ads_ad_performance in %s: no arms to decide on",
					wh_describe(w));
			else
				rc = errorf(err, errsz, we.code, "reading ads_ad_performance: %s", we.msg);
			goto out;
		}
		if ((got = wh_query_next(q, &v, &we)) < 0) {
			rc = errorf(err, errsz, we.code, "reading ads_ad_performance: %s", we.msg);
			goto out;
		}
		end = got == 1 ? text_or_null(&v[0]) : NULL;
		wh_query_close(q);
		q = NULL;
		if (!end) {
			nothing(in, "no rows in ads_ad_performance (%s): no arms to decide on",
				wh_describe(w));
			goto out;
		}
	}
	snprintf(in->end, sizeof in->end, "%s", end);
	sscanf(in->end, "%lld-%u-%u", &y, &mo, &d);
	z = days_from_civil(y, mo, d) - (o->lookback - 1);
	civil_from_days(z, &y, &mo, &d);
	snprintf(in->start, sizeof in->start, "%04lld-%02u-%02u", y, mo, d);

	pp[0] = (struct wh_param){ "a", T_DATE, in->start };
	pp[1] = (struct wh_param){ "b", T_DATE, in->end };
	pp[2] = (struct wh_param){ "c", T_STRING, o->campaign_id };
	snprintf(sql, sizeof sql, ARMS_SQL, o->campaign_id ? " AND campaign_id = @c" : "");
	q = wh_query_open(w, sql, pp, o->campaign_id ? 3 : 2, &we);
	if (!q) {
		if (we.missing == WH_NO_TABLE)
			nothing(in, "no table ads_ad_performance in %s: no arms to decide on",
				wh_describe(w));
		else
			rc = errorf(err, errsz, we.code, "reading ads_ad_performance: %s", we.msg);
		goto out;
	}
	while ((got = wh_query_next(q, &v, &we)) == 1) {
		struct bd_campaign *c = in->n ? &in->c[in->n - 1] : NULL;
		struct bd_arm *a;
		double imp = value_num(&v[2]), clicks = value_num(&v[3]), conv = value_num(&v[4]);
		double cost = value_num(&v[5]);
		char *cid = value_str(&v[0]);

		in->rows += (size_t)value_num(&v[11]);
		if (value_num(&v[10]) < 1) {
			in->unavailable++;
			free(cid);
			continue;
		}
		if (!c || strcmp(c->campaign_id, cid) != 0) {
			c = add_campaign(in, &ccap, cid);
			acap = 0;
		}
		free(cid);
		a = add_arm(c, &acap);
		a->arm_id = value_str(&v[1]);
		a->customer_id = text_or_null(&v[6]);
		a->ad_group_id = text_or_null(&v[7]);
		a->platform = text_or_null(&v[8]);
		a->channel = text_or_null(&v[9]);
		if (o->metric == BD_CTR) {
			a->m.trials = imp;
			a->m.successes = clicks;
		} else {
			a->m.trials = clicks;
			a->m.successes = conv;
		}
		if (!(a->m.trials >= 0))
			a->m.trials = 0;
		if (!(a->m.successes >= 0))
			a->m.successes = 0;
		if (a->m.successes > a->m.trials) {
			a->m.successes = a->m.trials;
			in->clamped++;
		}
		a->m.spend = cost / 1e6;
		a->m.conversions = conv >= 0 ? conv : NAN;
		in->arms++;
	}
	if (got < 0)
		rc = errorf(err, errsz, we.code, "reading ads_ad_performance: %s", we.msg);
	else if (in->n == 0 && o->campaign_id)
		nothing(in, "no available arms of campaign '%s' in ads_ad_performance over %s: "
			"nothing to decide on", o->campaign_id, in->start);
	else if (in->n == 0)
		nothing(in, "no available arms in ads_ad_performance over the window from %s: "
			"nothing to decide on", in->start);
out:
	wh_query_close(q);
	free(end);
	wh_close(w);
	schema_free(set);
	if (rc)
		bd_input_free(in);
	return rc;
}

/* ---- NDJSON rows ---- */

struct raw {
	char *campaign_id, *arm_id;
	double trials, successes, spend, conversions;
	int available;
	char *customer_id, *ad_group_id, *platform, *channel;
	json_t *ctx;               /* a context object or a features array, or NULL */
	char *ctxjson;             /* its canonical JSON */
	size_t file, seq;
	unsigned long line;
};

struct rows {
	struct raw *r;
	size_t n, cap;
	char *const *files;
	size_t nfiles;
};

static const char *file_name(const struct rows *rs, size_t file)
{
	return rs->nfiles ? rs->files[file] : "<stdin>";
}

static void raw_free(struct raw *r)
{
	free(r->campaign_id);
	free(r->arm_id);
	free(r->customer_id);
	free(r->ad_group_id);
	free(r->platform);
	free(r->channel);
	json_decref(r->ctx);
	free(r->ctxjson);
}

static char *opt_string(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

/* A number field: 1 when present (in *out), 0 when missing or null, -1 when not a number. */
static int num_field(json_t *o, const char *k, double *out)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 1;
}

/* Check a context value: a string, number, boolean or null; else a reason. */
static const char *context_check(json_t *ctx)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(ctx)) {
		json_object_foreach(ctx, k, v)
			if (json_is_object(v) || json_is_array(v))
				return "a \"context\" value must be a string, a number or a boolean";
		return NULL;
	}
	if (!json_is_array(ctx) || json_array_size(ctx) == 0)
		return "\"features\" must be a non-empty array of numbers";
	json_array_foreach(ctx, i, v)
		if (!json_is_number(v))
			return "\"features\" must be a non-empty array of numbers";
	return NULL;
}

/* Parse and check one arm row into r; 0, or -1 with the reason in why. */
static int parse_row(const struct bd_read_opts *o, const char *text, size_t len, struct raw *r,
		     char *why, size_t whysz)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *v, *cx, *fe;
	double t;
	int bad = 0, got, rc = -1;
	const char *reason;

	memset(r, 0, sizeof *r);
	if (!j || !json_is_object(j)) {
		snprintf(why, whysz, "%s", j ? "not a JSON object" : je.text);
		json_decref(j);
		return -1;
	}
	v = json_object_get(j, "campaign_id");
	if (!json_is_string(v) || !*json_string_value(v)) {
		snprintf(why, whysz, "%s \"campaign_id\" (a non-empty string)", v ? "bad" : "missing");
		goto out;
	}
	r->campaign_id = xstrdup(json_string_value(v));
	v = json_object_get(j, "arm_id");
	if (!json_is_string(v) || !*json_string_value(v)) {
		snprintf(why, whysz, "%s \"arm_id\" (a non-empty string)", v ? "bad" : "missing");
		goto out;
	}
	r->arm_id = xstrdup(json_string_value(v));

	v = json_object_get(j, "trials");
	if (!v || json_is_null(v)) {
		snprintf(why, whysz, "missing \"trials\" (a whole number >= 0)");
		goto out;
	}
	t = json_is_number(v) ? json_number_value(v) : NAN;
	if (!json_is_number(v) || !isfinite(t) || t != floor(t) || t > 9007199254740992.0) {
		snprintf(why, whysz, "\"trials\" must be a whole number >= 0");
		goto out;
	}
	if (t < 0) {
		snprintf(why, whysz, "negative \"trials\" (%.0f)", t);
		goto out;
	}
	r->trials = t;
	got = num_field(j, "successes", &r->successes);
	if (got == 0) {
		snprintf(why, whysz, "missing \"successes\" (a number from 0 to trials)");
		goto out;
	}
	if (got < 0 || !isfinite(r->successes) || r->successes < 0) {
		snprintf(why, whysz, "\"successes\" must be a number >= 0");
		goto out;
	}
	if (r->successes > r->trials) {
		snprintf(why, whysz, "\"successes\" (%g) above \"trials\" (%.0f)", r->successes, r->trials);
		goto out;
	}
	r->spend = NAN;
	got = num_field(j, "spend", &r->spend);
	if (got < 0 || (got > 0 && !(isfinite(r->spend) && r->spend >= 0))) {
		snprintf(why, whysz, "\"spend\" must be a number >= 0 (or null: unknown)");
		goto out;
	}
	r->conversions = o->metric == BD_CVR ? r->successes : NAN;
	got = num_field(j, "conversions", &r->conversions);
	if (got < 0 || (got > 0 && !(isfinite(r->conversions) && r->conversions >= 0))) {
		snprintf(why, whysz, "\"conversions\" must be a number >= 0 (or null: unknown)");
		goto out;
	}
	v = json_object_get(j, "available");
	r->available = 1;
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			snprintf(why, whysz, "\"available\" must be true or false");
			goto out;
		}
		r->available = json_is_true(v);
	}
	r->customer_id = opt_string(j, "customer_id", &bad);
	r->ad_group_id = opt_string(j, "ad_group_id", &bad);
	r->platform = opt_string(j, "platform", &bad);
	r->channel = opt_string(j, "channel", &bad);
	if (bad) {
		snprintf(why, whysz, "customer_id, ad_group_id, platform and channel must be strings");
		goto out;
	}

	cx = json_object_get(j, "context");
	fe = json_object_get(j, "features");
	if (json_is_null(cx))
		cx = NULL;
	if (json_is_null(fe))
		fe = NULL;
	if (!o->contextual) {
		if (cx || fe) {
			snprintf(why, whysz, "a row with \"%s\" needs a contextual policy (--policy lin_ts "
				 "or lin_ucb)", cx ? "context" : "features");
			goto out;
		}
	} else {
		if (!cx && !fe) {
			snprintf(why, whysz, "missing \"context\" (an object) or \"features\" (an array of "
				 "numbers): the contextual policies decide per context");
			goto out;
		}
		if (cx && fe) {
			snprintf(why, whysz, "both \"context\" and \"features\": give one");
			goto out;
		}
		if (cx && !json_is_object(cx)) {
			snprintf(why, whysz, "\"context\" must be an object");
			goto out;
		}
		if ((reason = context_check(cx ? cx : fe)) != NULL) {
			snprintf(why, whysz, "%s", reason);
			goto out;
		}
		r->ctx = json_incref(cx ? cx : fe);
		r->ctxjson = json_dumps(r->ctx, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!r->ctxjson)
			die(AELP_EXIT_SOFTWARE, "out of memory");
	}
	rc = 0;
out:
	json_decref(j);
	if (rc)
		raw_free(r);
	return rc;
}

static int by_campaign_seq(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;
	int c = strcmp(a->campaign_id, b->campaign_id);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static int by_arm_ctx_seq(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;
	int c = strcmp(a->arm_id, b->arm_id);
	if (c)
		return c;
	if (a->ctxjson && b->ctxjson && (c = strcmp(a->ctxjson, b->ctxjson)) != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

struct pair {
	const char *key, *value;   /* value NULL: numeric */
	size_t seq;
	const struct raw *r;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	if (c)
		return c;
	if (!a->value || !b->value) {
		if (a->value != b->value)
			return a->value ? 1 : -1;
	} else if ((c = strcmp(a->value, b->value)) != 0) {
		return c;
	}
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int feat_cmp(const void *x, const void *y)
{
	const struct bd_feat *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	if (c)
		return c;
	if (!a->value || !b->value)
		return a->value == b->value ? 0 : a->value ? 1 : -1;
	return strcmp(a->value, b->value);
}

int bd_context_x(const struct bd_campaign *c, json_t *context, double *x, char *why,
		 size_t whysz)
{
	const char *k;
	json_t *v;
	size_t i;

	memset(x, 0, c->d * sizeof *x);
	if (c->kind == BD_CONTEXT_FEATURES) {
		if (!json_is_array(context) || json_array_size(context) != c->d) {
			snprintf(why, whysz, "campaign '%s' takes \"features\" arrays of %zu numbers",
				 c->campaign_id, c->d);
			return -1;
		}
		json_array_foreach(context, i, v) {
			if (!json_is_number(v)) {
				snprintf(why, whysz, "\"features\" must be numbers");
				return -1;
			}
			x[i] = json_number_value(v);
		}
		return 0;
	}
	if (!json_is_object(context)) {
		snprintf(why, whysz, "campaign '%s' takes a \"context\" object", c->campaign_id);
		return -1;
	}
	x[0] = 1;
	json_object_foreach(context, k, v) {
		struct bd_feat key = { (char *)k, NULL }, *f;
		if (json_is_null(v))
			continue;
		if (json_is_object(v) || json_is_array(v)) {
			snprintf(why, whysz, "context value of '%s' must be a string, a number or a boolean", k);
			return -1;
		}
		if (json_is_string(v)) {
			key.value = (char *)json_string_value(v);
			f = c->nfeats ? bsearch(&key, c->feats, c->nfeats, sizeof *c->feats, feat_cmp) : NULL;
			if (f) {
				x[1 + (f - c->feats)] = 1;
				continue;
			}
			key.value = NULL;
			if (c->nfeats && bsearch(&key, c->feats, c->nfeats, sizeof *c->feats, feat_cmp)) {
				snprintf(why, whysz, "context key '%s' is a number in campaign '%s''s rows, "
					 "not a string", k, c->campaign_id);
				return -1;
			}
			continue;
		}
		f = c->nfeats ? bsearch(&key, c->feats, c->nfeats, sizeof *c->feats, feat_cmp) : NULL;
		if (f) {
			x[1 + (f - c->feats)] = json_is_number(v) ? json_number_value(v) : json_is_true(v);
			continue;
		}
		/* a key the rows have only as strings sorts its one-hots after (key, NULL) */
		for (i = 0; i < c->nfeats; i++)
			if (strcmp(c->feats[i].key, k) == 0) {
				snprintf(why, whysz, "context key '%s' is a string in campaign '%s''s rows, "
					 "not a number", k, c->campaign_id);
				return -1;
			}
	}
	return 0;
}

static int bad_row(const struct rows *rs, const struct raw *r, char *err, size_t errsz,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int bad_row(const struct rows *rs, const struct raw *r, char *err, size_t errsz,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", file_name(rs, r->file), r->line, msg);
}

/*
 * The campaign's feature encoding and its contexts; 65 with err filled for
 * rows that mix context objects and features arrays, arrays of unequal
 * length, or a key with numbers in some rows and strings in others.
 * raw[0..n) are the campaign's rows in input order (all of them, available
 * or not: the checks do not depend on availability).
 */
static int campaign_contexts(struct rows *rs, struct raw *raw, size_t n, struct bd_campaign *c,
			     char *err, size_t errsz)
{
	struct pair *p = NULL;
	size_t np = 0, cap = 0, i, j;
	int rc = 0;

	c->kind = json_is_array(raw[0].ctx) ? BD_CONTEXT_FEATURES : BD_CONTEXT_OBJECT;
	for (i = 1; i < n; i++) {
		int arr = json_is_array(raw[i].ctx);
		if (arr != (c->kind == BD_CONTEXT_FEATURES))
			return bad_row(rs, &raw[i], err, errsz, "campaign '%s' mixes \"context\" objects "
				       "and \"features\" arrays (the first row has %s)", c->campaign_id,
				       c->kind == BD_CONTEXT_FEATURES ? "features" : "context");
		if (arr && json_array_size(raw[i].ctx) != json_array_size(raw[0].ctx)) {
			char len[64];
			snprintf(len, sizeof len, "%zu, the campaign's first row %zu",
				 json_array_size(raw[i].ctx), json_array_size(raw[0].ctx));
			return bad_row(rs, &raw[i], err, errsz, "\"features\" arrays of unequal length in "
				       "campaign '%s' (%s)", c->campaign_id, len);
		}
	}
	if (c->kind == BD_CONTEXT_FEATURES) {
		c->d = json_array_size(raw[0].ctx);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *k;
		json_t *v;
		json_object_foreach(raw[i].ctx, k, v) {
			if (json_is_null(v))
				continue;
			if (np == cap) {
				cap = cap ? 2 * cap : 64;
				p = xrealloc(p, cap * sizeof *p);
			}
			p[np++] = (struct pair){ k, json_is_string(v) ? json_string_value(v) : NULL,
						 raw[i].seq, &raw[i] };
		}
	}
	if (np)
		qsort(p, np, sizeof *p, pair_cmp);
	for (i = 0; i < np; i = j) {
		/* one key: a numeric entry (sorted first) and string ones may not mix */
		int num = !p[i].value, str = 0;
		const struct pair *late = NULL;
		for (j = i; j < np && strcmp(p[j].key, p[i].key) == 0; j++)
			if (p[j].value && !str) {
				str = 1;
				late = p[j].seq > p[i].seq ? &p[j] : &p[i];
			}
		if (num && str) {
			rc = bad_row(rs, late->r, err, errsz, "context key '%s' has numbers in some rows "
				     "and strings in others", p[i].key);
			goto out;
		}
	}
	/* features: one per numeric key, one per (key, string value), from the available rows */
	for (i = 0; i < np; i++) {
		if (!p[i].r->available)
			continue;
		if (c->nfeats && strcmp(c->feats[c->nfeats - 1].key, p[i].key) == 0 &&
		    (c->feats[c->nfeats - 1].value == p[i].value ||
		     (c->feats[c->nfeats - 1].value && p[i].value &&
		      strcmp(c->feats[c->nfeats - 1].value, p[i].value) == 0)))
			continue;
		c->feats = xrealloc(c->feats, (c->nfeats + 1) * sizeof *c->feats);
		c->feats[c->nfeats].key = xstrdup(p[i].key);
		c->feats[c->nfeats].value = dup_or_null(p[i].value);
		c->nfeats++;
	}
	c->d = 1 + c->nfeats;
out:
	free(p);
	return rc;
}

static int ctx_cmp(const void *x, const void *y)
{
	return strcmp(((const struct bd_ctx *)x)->id, ((const struct bd_ctx *)y)->id);
}

/* Build campaign c from its rows raw[0..n) (input order); 0, or 65 with err filled. */
static int build_campaign(struct rows *rs, struct raw *raw, size_t n, const struct bd_read_opts *o,
			  struct bd_input *in, struct bd_campaign *c, char *err, size_t errsz)
{
	const struct raw *dup = NULL, *first = NULL;
	size_t i, j, k, acap = 0;
	unsigned char *keep;
	int rc;

	if (o->contextual && (rc = campaign_contexts(rs, raw, n, c, err, errsz)) != 0)
		return rc;
	qsort(raw, n, sizeof *raw, by_arm_ctx_seq);
	/* duplicates: report the one that comes first in the input */
	for (i = 1; i < n; i++)
		if (by_arm_ctx_seq(&raw[i - 1], &raw[i]) != 0 && strcmp(raw[i - 1].arm_id, raw[i].arm_id) == 0 &&
		    (!o->contextual || strcmp(raw[i - 1].ctxjson, raw[i].ctxjson) == 0)) {
			if (!dup || raw[i].seq < dup->seq) {
				dup = &raw[i];
				first = &raw[i - 1];
			}
		}
	if (dup) {
		char where[600];
		snprintf(where, sizeof where, "%s:%lu", file_name(rs, first->file), first->line);
		if (o->contextual)
			return bad_row(rs, dup, err, errsz, "duplicate arm '%.200s' in the same context "
				       "(first at %.300s)", dup->arm_id, where);
		return bad_row(rs, dup, err, errsz, "duplicate arm '%.200s' of the campaign (first at %.300s)",
			       dup->arm_id, where);
	}

	/* an arm is available unless one of its rows says "available": false */
	keep = xcalloc(n + 1, 1);
	for (i = 0; i < n; i = j) {
		int avail = 1;
		for (j = i; j < n && strcmp(raw[j].arm_id, raw[i].arm_id) == 0; j++)
			avail &= raw[j].available;
		if (!avail) {
			in->unavailable++;
			continue;
		}
		struct bd_arm *a = add_arm(c, &acap);
		a->arm_id = xstrdup(raw[i].arm_id);
		a->m.spend = NAN;
		a->m.conversions = NAN;
		for (k = i; k < j; k++) {
			const struct raw *r = &raw[k];
			keep[k] = 1;
			a->m.trials += r->trials;
			a->m.successes += r->successes;
			if (!isnan(r->spend))
				a->m.spend = (isnan(a->m.spend) ? 0 : a->m.spend) + r->spend;
			if (!isnan(r->conversions))
				a->m.conversions = (isnan(a->m.conversions) ? 0 : a->m.conversions) + r->conversions;
			if (!a->customer_id)
				a->customer_id = dup_or_null(r->customer_id);
			if (!a->ad_group_id)
				a->ad_group_id = dup_or_null(r->ad_group_id);
			if (!a->platform)
				a->platform = dup_or_null(r->platform);
			if (!a->channel)
				a->channel = dup_or_null(r->channel);
		}
		in->arms++;
	}

	if (o->contextual && c->narms) {
		/* contexts: the distinct canonical texts of the kept rows, in context_id order */
		char why[256];
		for (i = 0; i < n; i++) {
			struct bd_ctx key;
			if (!keep[i])
				continue;
			bd_context_id(raw[i].ctxjson, strlen(raw[i].ctxjson), key.id);
			for (k = 0; k < c->nctx; k++)
				if (strcmp(c->ctxs[k].json, raw[i].ctxjson) == 0)
					break;
			if (k < c->nctx)
				continue;
			c->ctxs = xrealloc(c->ctxs, (c->nctx + 1) * sizeof *c->ctxs);
			memcpy(c->ctxs[c->nctx].id, key.id, sizeof key.id);
			c->ctxs[c->nctx].json = xstrdup(raw[i].ctxjson);
			c->ctxs[c->nctx].x = xcalloc(c->d, sizeof(double));
			if (bd_context_x(c, raw[i].ctx, c->ctxs[c->nctx].x, why, sizeof why))
				die(AELP_EXIT_SOFTWARE, "%s:%lu: %s", file_name(rs, raw[i].file), raw[i].line, why);
			c->nctx++;
		}
		qsort(c->ctxs, c->nctx, sizeof *c->ctxs, ctx_cmp);
		for (i = 0; i < n; i++) {
			struct bd_cell *cell;
			size_t lo = 0, hi = c->nctx;
			char id[24];
			if (!keep[i])
				continue;
			bd_context_id(raw[i].ctxjson, strlen(raw[i].ctxjson), id);
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				int cmp = strcmp(c->ctxs[mid].id, id);
				if (cmp == 0 && strcmp(c->ctxs[mid].json, raw[i].ctxjson) != 0)
					cmp = -1;   /* a 64-bit prefix collision: never seen, kept apart */
				if (cmp < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			c->cells = xrealloc(c->cells, (c->ncells + 1) * sizeof *c->cells);
			cell = &c->cells[c->ncells++];
			cell->arm = (size_t)bd_find_arm(c, raw[i].arm_id);
			cell->ctx = lo;
			cell->trials = raw[i].trials;
			cell->successes = raw[i].successes;
		}
	}
	free(keep);
	return 0;
}

int bd_read_rows(char *const *files, size_t nfiles, const struct bd_read_opts *o,
		 struct bd_input *in, char *err, size_t errsz)
{
	struct rows rs = { NULL, 0, 0, files, nfiles };
	size_t f, i, j, ccap = 0;
	int rc = 0;

	memset(in, 0, sizeof *in);
	for (f = 0; f < (nfiles ? nfiles : 1) && !rc; f++) {
		struct nd_reader *r = nd_open(nfiles ? files[f] : NULL);
		struct nd_line ln;
		char why[512];
		while (nd_next(r, &ln)) {
			struct raw row;
			if (parse_row(o, ln.text, ln.len, &row, why, sizeof why)) {
				rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", nd_name(r),
					    ln.lineno, why);
				break;
			}
			row.file = f;
			row.line = ln.lineno;
			row.seq = rs.n;
			if (rs.n == rs.cap) {
				rs.cap = rs.cap ? 2 * rs.cap : 256;
				rs.r = xrealloc(rs.r, rs.cap * sizeof *rs.r);
			}
			rs.r[rs.n++] = row;
		}
		nd_close(r);
	}
	in->rows = rs.n;
	if (!rc && rs.n)
		qsort(rs.r, rs.n, sizeof *rs.r, by_campaign_seq);
	for (i = 0; !rc && i < rs.n; i = j) {
		struct bd_campaign *c;
		for (j = i; j < rs.n && strcmp(rs.r[j].campaign_id, rs.r[i].campaign_id) == 0; j++)
			;
		if (o->campaign_id && strcmp(o->campaign_id, rs.r[i].campaign_id) != 0)
			continue;
		c = add_campaign(in, &ccap, rs.r[i].campaign_id);
		rc = build_campaign(&rs, &rs.r[i], j - i, o, in, c, err, errsz);
		if (!rc && c->narms == 0) {
			/* every arm unavailable: nothing to decide for this campaign */
			campaign_free(c);
			in->n--;
		}
	}
	for (i = 0; i < rs.n; i++)
		raw_free(&rs.r[i]);
	free(rs.r);
	if (rc) {
		bd_input_free(in);
		return rc;
	}
	if (in->n == 0) {
		if (rs.n == 0)
			snprintf(in->empty, sizeof in->empty, "no arm rows in %s: nothing to decide on",
				 nfiles == 1 ? files[0] : nfiles ? "the files" : "<stdin>");
		else if (o->campaign_id)
			snprintf(in->empty, sizeof in->empty, "no available arms of campaign '%s' in the "
				 "rows: nothing to decide on", o->campaign_id);
		else
			snprintf(in->empty, sizeof in->empty, "no available arms in the rows: nothing to "
				 "decide on");
	}
	return 0;
}
