/* uplift-score's rows (out.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "intern.h"
#include "ndjson.h"
#include "out.h"

static void kv_null(FILE *f, const char *k)
{
	fputc(',', f);
	jw_key(f, k);
	fputs("null", f);
}

static void kv_raw(FILE *f, const char *k, const char *json)
{
	fputc(',', f);
	jw_key(f, k);
	fputs(json ? json : "null", f);
}

void up_write_scores(FILE *f, const struct up_data *d, const struct up_result *r,
		     const struct up_meta *m)
{
	for (size_t i = 0; i < r->nscore; i++) {
		const struct up_score_row *s = &r->score[i];
		fputs("{\"_table\":\"segment_scores_daily\"", f);
		jw_kv_str(f, "date", m->date);
		jw_kv_str(f, "arm", d->arm[s->arm]);
		jw_kv_str(f, "segment", s->segment);
		jw_kv_str(f, "outcome", d->outcome[s->outcome]);
		jw_kv_int(f, "n_treated", s->e.nt);
		jw_kv_int(f, "n_control", s->e.nc);
		jw_kv_real(f, "uplift", s->e.uplift);
		jw_kv_real(f, "uplift_low", s->e.low);
		jw_kv_real(f, "uplift_high", s->e.high);
		jw_kv_str(f, "model", up_estimator_name[s->est]);
		jw_kv_str(f, "model_version", m->version);
		fputs("}\n", f);
	}
}

void up_write_models(FILE *f, const struct up_data *d, const struct up_result *r,
		     const struct up_meta *m)
{
	for (size_t i = 0; i < r->nmodel; i++) {
		const struct up_model_row *mr = &r->model[i];
		const char *est = up_estimator_name[mr->est];
		char *id = xasprintf("%s:%s:%s:%s", m->run_id, est, d->arm[mr->arm],
				     d->outcome[mr->outcome]);
		fputs("{\"_table\":\"uplift_models\"", f);
		jw_kv_str(f, "model_id", id);
		jw_kv_str(f, "run_id", m->run_id);
		jw_kv_str(f, "date", m->date);
		jw_kv_str(f, "estimator", est);
		jw_kv_str(f, "arm", d->arm[mr->arm]);
		jw_kv_str(f, "control", d->control);
		jw_kv_str(f, "outcome", d->outcome[mr->outcome]);
		jw_kv_str(f, "outcome_type", d->binary[mr->outcome] ? "binary" : "continuous");
		if (mr->with_features) {
			fputc(',', f);
			jw_key(f, "features");
			fputc('[', f);
			for (size_t j = 0; j < d->p; j++) {
				if (j)
					fputc(',', f);
				jw_str(f, d->feature[j], strlen(d->feature[j]));
			}
			fputc(']', f);
		} else {
			kv_null(f, "features");
		}
		kv_raw(f, "coefficients", mr->coefficients);
		jw_kv_int(f, "training_rows", mr->training_rows);
		jw_kv_real(f, "qini", mr->qini);
		jw_kv_real(f, "auuc", mr->auuc);
		kv_raw(f, "details", mr->details);
		jw_kv_str(f, "model_version", m->version);
		jw_kv_str(f, "created_at", m->created);
		fputs("}\n", f);
		free(id);
	}
}

/* ---- audience map ---- */

enum { A_SEGMENT, A_PLATFORM, A_AUDIENCE_ID, A_NAME, A_TYPE, A_CUSTOMER, A_CHANNEL, A_ACTIVE,
       A_COUNT };
static const char *const acol[A_COUNT] = {
	"segment", "platform", "audience_id", "audience_name", "audience_type", "customer_id",
	"channel", "active"
};

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static const char *const platforms[] = { "google_ads", "meta", "tiktok", "linkedin", NULL };
static const char *const types[] = { "customer_match", "remarketing", "lookalike", "custom", NULL };
static const char *const channels[] = { "google_search", "google_pmax", "youtube", "meta", "tiktok",
					"linkedin", NULL };

/* Split one CSV line (RFC 4180 quoting) into new strings. */
static size_t csv_split(const char *s, size_t n, char ***out)
{
	char **v = NULL;
	size_t k = 0, i = 0;
	for (;;) {
		char *buf = xmalloc(n + 1);
		size_t bl = 0;
		if (i < n && s[i] == '"') {
			i++;
			while (i < n) {
				if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
					buf[bl++] = '"';
					i += 2;
				} else if (s[i] == '"') {
					i++;
					break;
				} else {
					buf[bl++] = s[i++];
				}
			}
		}
		while (i < n && s[i] != ',')
			buf[bl++] = s[i++];
		buf[bl] = '\0';
		v = xrealloc(v, (k + 1) * sizeof *v);
		v[k++] = buf;
		if (i >= n)
			break;
		i++;
	}
	*out = v;
	return k;
}

long up_audience_map(FILE *f, const char *path, const struct up_result *r,
		     const struct up_meta *m, char *err, size_t errsz)
{
	struct nd_reader *rd = nd_open(path);
	struct nd_line l;
	struct intern segs = { 0 }, keys = { 0 };
	int csv = -1, colmap[64];
	size_t ncol = 0;
	long rows = 0, rc = 0;

	for (size_t i = 0; i < r->nscore; i++)
		intern_add(&segs, r->score[i].segment, strlen(r->score[i].segment));
	while (nd_next(rd, &l)) {
		char *val[A_COUNT] = { 0 };
		const char *why = NULL;
		char *why_buf = NULL;
		if (csv < 0) {
			size_t b = 0;
			while (b < l.len && (l.text[b] == ' ' || l.text[b] == '\t'))
				b++;
			csv = !(b < l.len && l.text[b] == '{');
			if (csv) {
				char **h;
				int have[A_COUNT] = { 0 };
				ncol = csv_split(l.text, l.len, &h);
				for (size_t c = 0; c < ncol; c++) {
					int k = -1;
					for (int a = 0; a < A_COUNT; a++)
						if (strcmp(h[c], acol[a]) == 0)
							k = a;
					if (c < 64)
						colmap[c] = k;
					if (k >= 0)
						have[k] = 1;
				}
				free_list(h, ncol);
				if (ncol > 64 || !have[A_SEGMENT] || !have[A_PLATFORM] || !have[A_AUDIENCE_ID]) {
					rc = errorf(err, errsz, -1, "%s:%lu: the CSV header needs segment, "
						    "platform and audience_id columns", nd_name(rd), l.lineno);
					break;
				}
				continue;
			}
		}
		if (csv) {
			char **v;
			size_t k = csv_split(l.text, l.len, &v);
			if (k != ncol) {
				free_list(v, k);
				rc = errorf(err, errsz, -1, "%s:%lu: %zu fields, the header has %zu",
					    nd_name(rd), l.lineno, k, ncol);
				break;
			}
			for (size_t c = 0; c < k; c++)
				if (colmap[c] >= 0 && v[c][0]) {
					val[colmap[c]] = v[c];
					v[c] = NULL;
				}
			free_list(v, k);
		} else {
			json_error_t je;
			json_t *o = json_loadb(l.text, l.len, 0, &je);
			if (!o || !json_is_object(o)) {
				json_decref(o);
				rc = errorf(err, errsz, -1, "%s:%lu: not a JSON object", nd_name(rd), l.lineno);
				break;
			}
			for (int a = 0; a < A_COUNT; a++) {
				json_t *x = json_object_get(o, acol[a]);
				if (!x || json_is_null(x))
					continue;
				if (json_is_string(x))
					val[a] = xstrndup(json_string_value(x), json_string_length(x));
				else if (a == A_ACTIVE && json_is_boolean(x))
					val[a] = xstrdup(json_is_true(x) ? "true" : "false");
				else if (a == A_CUSTOMER && json_is_integer(x))
					val[a] = xasprintf("%lld", (long long)json_integer_value(x));
				else {
					why_buf = xasprintf("'%s' is not a %s", acol[a],
							    a == A_ACTIVE ? "boolean" : "string");
					break;
				}
			}
			json_decref(o);
		}
		if (!why_buf) {
			if (!val[A_SEGMENT] || !val[A_PLATFORM] || !val[A_AUDIENCE_ID])
				why = "segment, platform and audience_id are required";
			else if (!one_of(val[A_PLATFORM], platforms))
				why_buf = xasprintf("platform '%s' is not google_ads, meta, tiktok or linkedin",
						    val[A_PLATFORM]);
			else if (val[A_TYPE] && !one_of(val[A_TYPE], types))
				why_buf = xasprintf("audience_type '%s' is not customer_match, remarketing, "
						    "lookalike or custom", val[A_TYPE]);
			else if (val[A_CHANNEL] && !one_of(val[A_CHANNEL], channels))
				why_buf = xasprintf("channel '%s' is not google_search, google_pmax, youtube, "
						    "meta, tiktok or linkedin", val[A_CHANNEL]);
			else if (val[A_ACTIVE] && strcmp(val[A_ACTIVE], "true") && strcmp(val[A_ACTIVE], "false"))
				why_buf = xasprintf("active '%s' is not true or false", val[A_ACTIVE]);
			else if (intern_find(&segs, val[A_SEGMENT], strlen(val[A_SEGMENT])) < 0)
				why_buf = xasprintf("segment '%s' is not one this run scored", val[A_SEGMENT]);
			else {
				char *key = xasprintf("%s%c%s%c%s", val[A_SEGMENT], 0, val[A_PLATFORM], 0,
						      val[A_AUDIENCE_ID]);
				size_t kl = strlen(val[A_SEGMENT]) + strlen(val[A_PLATFORM]) +
					    strlen(val[A_AUDIENCE_ID]) + 2;
				if (intern_find(&keys, key, kl) >= 0)
					why_buf = xasprintf("segment '%s', platform '%s', audience_id '%s' "
							    "given twice", val[A_SEGMENT], val[A_PLATFORM],
							    val[A_AUDIENCE_ID]);
				else
					intern_add(&keys, key, kl);
				free(key);
			}
		}
		if (why || why_buf) {
			rc = errorf(err, errsz, -1, "%s:%lu: %s", nd_name(rd), l.lineno,
				    why ? why : why_buf);
			free(why_buf);
			for (int a = 0; a < A_COUNT; a++)
				free(val[a]);
			break;
		}
		fputs("{\"_table\":\"segment_audience_map\"", f);
		for (int a = 0; a < A_ACTIVE; a++)
			jw_kv_str(f, acol[a], val[a]);
		fputc(',', f);
		jw_key(f, "active");
		fputs(val[A_ACTIVE] ? val[A_ACTIVE] : "null", f);
		jw_kv_str(f, "source", path);
		jw_kv_str(f, "run_id", m->run_id);
		jw_kv_str(f, "updated_at", m->created);
		kv_null(f, "notes");
		fputs("}\n", f);
		rows++;
		for (int a = 0; a < A_COUNT; a++)
			free(val[a]);
	}
	nd_close(rd);
	intern_free(&segs);
	intern_free(&keys);
	return rc ? -1 : rows;
}
