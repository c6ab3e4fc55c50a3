/*
 * journey-summarize's model (journey.h): journeys, paths, per-day sums.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "intern.h"
#include "journey.h"
#include "ndjson.h"
#include "timefmt.h"

/* ---- a small string-keyed map of sums ---- */

struct ent {
	const char *key;                /* owned by the map's keys */
	double journeys, conv, value;   /* paths: J, C, value; transitions: count in journeys */
	int len;
};

struct map {
	struct intern keys;
	struct ent *e;          /* by key index */
	size_t n, cap;
};

static struct ent *map_get(struct map *m, const char *key)
{
	size_t i = intern_add(&m->keys, key, strlen(key));

	if (i == m->n) {
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 32;
			m->e = xrealloc(m->e, m->cap * sizeof *m->e);
		}
		memset(&m->e[i], 0, sizeof m->e[i]);
		m->e[i].key = intern_str(&m->keys, i);
		m->n++;
	}
	return &m->e[i];
}

static void map_free(struct map *m)
{
	intern_free(&m->keys);
	free(m->e);
}

static int ent_cmp(const void *x, const void *y)
{
	return strcmp(((const struct ent *)x)->key, ((const struct ent *)y)->key);
}

/* The entries in key order (a new array of copies; keys still owned by m). */
static struct ent *map_sorted(const struct map *m)
{
	struct ent *v = xcalloc(m->n + 1, sizeof *v);
	if (m->n)
		memcpy(v, m->e, m->n * sizeof *v);
	qsort(v, m->n, sizeof *v, ent_cmp);
	return v;
}

/* ---- the summary ---- */

struct js_summary {
	struct js_opts o;
	size_t ndays;
	struct map *paths, *trans;      /* per day */
	struct js_stats st;
	/* js_push's current user */
	struct js_session *cur;
	size_t ncur, capcur;
	/* scratch */
	const char **chan;
	size_t capchan;
	char *buf;
	size_t capbuf;
};

struct js_summary *js_new(const struct js_opts *o)
{
	struct js_summary *s = xcalloc(1, sizeof *s);
	s->o = *o;
	s->ndays = (size_t)(o->last_day - o->first_day + 1);
	s->paths = xcalloc(s->ndays, sizeof *s->paths);
	s->trans = xcalloc(s->ndays, sizeof *s->trans);
	return s;
}

static void sessions_free(struct js_session *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].user);
		free(v[i].session_id);
		free(v[i].channel);
	}
}

void js_free(struct js_summary *s)
{
	size_t d;
	if (!s)
		return;
	for (d = 0; d < s->ndays; d++) {
		map_free(&s->paths[d]);
		map_free(&s->trans[d]);
	}
	free(s->paths);
	free(s->trans);
	sessions_free(s->cur, s->ncur);
	free(s->cur);
	free(s->chan);
	free(s->buf);
	free(s);
}

const struct js_stats *js_stats(const struct js_summary *s)
{
	return &s->st;
}

int js_session_cmp(const struct js_session *a, const struct js_session *b)
{
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(a->session_id, b->session_id);
}

static int sess_qcmp(const void *x, const void *y)
{
	return js_session_cmp(x, y);
}

const char *js_channel_problem(const char *ch)
{
	const unsigned char *p;
	if (!*ch)
		return "an empty channel cannot be a path element";
	if (strstr(ch, " > "))
		return "a channel containing ' > ' cannot be a path element";
	if (!strcmp(ch, "(start)") || !strcmp(ch, "(conversion)") || !strcmp(ch, "(null)"))
		return "a channel may not be named like the states (start), (conversion), (null)";
	for (p = (const unsigned char *)ch; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "a channel containing a control character cannot be a path element";
	return NULL;
}

static long long day_of(double t)
{
	return (long long)floor(t / JS_DAY);
}

void js_journeys(const struct js_opts *o, const struct js_session *v, size_t n,
		 void (*f)(const struct js_session *j, size_t n, double end, long long day,
			   int converted, void *ctx), void *ctx)
{
	size_t i, first = 0;
	(void)o;
	for (i = 0; i < n; i++) {
		if (v[i].converted) {
			double end = isnan(v[i].conv_at) ? v[i].start : v[i].conv_at;
			f(v + first, i - first + 1, end, day_of(end), 1, ctx);
			first = i + 1;
		}
	}
	if (first < n)
		f(v + first, n - first, v[n - 1].start, day_of(v[n - 1].start), 0, ctx);
}

size_t js_path(const struct js_opts *o, const struct js_session *v, size_t n, double end,
	       const char **out)
{
	size_t i, k = 0;
	for (i = 0; i < n; i++) {
		double d = floor((end - v[i].start) / JS_DAY);
		if (i + 1 < n && !(d >= 0 && d <= o->lookback))
			continue;
		if (o->collapse && k > 0 && strcmp(out[k - 1], v[i].channel) == 0)
			continue;
		out[k++] = v[i].channel;
	}
	if (o->max_len > 0 && k > (size_t)o->max_len) {
		memmove(out, out + (k - (size_t)o->max_len), (size_t)o->max_len * sizeof *out);
		k = (size_t)o->max_len;
	}
	return k;
}

static void buf_need(struct js_summary *s, size_t n)
{
	if (n > s->capbuf) {
		s->capbuf = n * 2;
		s->buf = xrealloc(s->buf, s->capbuf);
	}
}

static void add_trans(struct js_summary *s, size_t d, const char *from, const char *to, double w)
{
	size_t a = strlen(from), b = strlen(to);
	buf_need(s, a + b + 2);
	memcpy(s->buf, from, a);
	s->buf[a] = '\n';
	memcpy(s->buf + a + 1, to, b + 1);
	map_get(&s->trans[d], s->buf)->journeys += w;
}

static void on_journey(const struct js_session *j, size_t n, double end, long long day,
		       int converted, void *ctx)
{
	struct js_summary *s = ctx;
	size_t k, i, len = 0, d;
	struct ent *e;

	s->st.journeys++;
	if (day < s->o.first_day || day > s->o.last_day) {
		s->st.out_of_window++;
		return;
	}
	d = (size_t)(day - s->o.first_day);
	if (n > s->capchan) {
		s->capchan = n * 2;
		s->chan = xrealloc(s->chan, s->capchan * sizeof *s->chan);
	}
	k = js_path(&s->o, j, n, end, s->chan);
	for (i = 0; i < n; i++) {
		double dd = floor((end - j[i].start) / JS_DAY);
		if (i + 1 < n && !(dd >= 0 && dd <= s->o.lookback))
			s->st.dropped_sessions++;
	}
	for (i = 0; i < k; i++)
		len += strlen(s->chan[i]) + 3;
	buf_need(s, len + 1);
	for (i = 0, len = 0; i < k; i++) {
		size_t m = strlen(s->chan[i]);
		if (i) {
			memcpy(s->buf + len, " > ", 3);
			len += 3;
		}
		memcpy(s->buf + len, s->chan[i], m);
		len += m;
	}
	s->buf[len] = 0;
	e = map_get(&s->paths[d], s->buf);
	e->len = (int)k;
	e->journeys += 1;
	if (converted) {
		s->st.conversions++;
		e->conv += 1;
		e->value += j[n - 1].value;
	}
	add_trans(s, d, "(start)", s->chan[0], 1);
	for (i = 0; i + 1 < k; i++)
		add_trans(s, d, s->chan[i], s->chan[i + 1], 1);
	add_trans(s, d, s->chan[k - 1], converted ? "(conversion)" : "(null)", 1);
}

void js_user(struct js_summary *s, struct js_session *v, size_t n)
{
	if (!n)
		return;
	s->st.users++;
	s->st.sessions += n;
	qsort(v, n, sizeof *v, sess_qcmp);
	js_journeys(&s->o, v, n, on_journey, s);
}

void js_push(struct js_summary *s, const struct js_session *r)
{
	struct js_session *c;
	if (s->ncur && strcmp(s->cur[0].user, r->user) != 0)
		js_flush(s);
	if (s->ncur == s->capcur) {
		s->capcur = s->capcur ? 2 * s->capcur : 16;
		s->cur = xrealloc(s->cur, s->capcur * sizeof *s->cur);
	}
	c = &s->cur[s->ncur++];
	*c = *r;
	c->user = xstrdup(r->user);
	c->session_id = xstrdup(r->session_id);
	c->channel = xstrdup(r->channel);
}

void js_flush(struct js_summary *s)
{
	js_user(s, s->cur, s->ncur);
	sessions_free(s->cur, s->ncur);
	s->ncur = 0;
}

double js_transition(const struct js_summary *s, long long day, const char *from,
		     const char *to, double *prob)
{
	const struct map *m;
	double tot = 0, cnt = 0;
	size_t i, a = strlen(from);

	if (prob)
		*prob = NAN;
	if (day < s->o.first_day || day > s->o.last_day)
		return 0;
	m = &s->trans[day - s->o.first_day];
	for (i = 0; i < m->n; i++) {
		const char *k = m->e[i].key;
		if (strncmp(k, from, a) != 0 || k[a] != '\n')
			continue;
		tot += m->e[i].journeys;
		if (strcmp(k + a + 1, to) == 0)
			cnt = m->e[i].journeys;
	}
	if (prob && tot > 0)
		*prob = cnt / tot;
	return cnt;
}

static void common_tail(FILE *out, const struct js_opts *o, const char *run_id, const char *now)
{
	jw_kv_int(out, "lookback_days", o->lookback);
	fputs(o->collapse ? ",\"collapsed\":true" : ",\"collapsed\":false", out);
	(void)o;
	jw_kv_str(out, "run_id", run_id);
	jw_kv_str(out, "created_at", now);
	fputs("}\n", out);
}

size_t js_write(struct js_summary *s, FILE *out, const char *run_id, const char *now)
{
	size_t d, i, rows = 0;
	char date[16];

	for (d = 0; d < s->ndays; d++) {
		struct ent *v = map_sorted(&s->paths[d]);
		long long y;
		unsigned mo, da;
		civil_from_days(s->o.first_day + (long long)d, &y, &mo, &da);
		snprintf(date, sizeof date, "%04lld-%02u-%02u", y, mo, da);
		for (i = 0; i < s->paths[d].n; i++) {
			fputs("{\"_table\":\"journey_paths_daily\"", out);
			jw_kv_str(out, "date", date);
			jw_kv_str(out, "path", v[i].key);
			jw_kv_int(out, "path_length", v[i].len);
			jw_kv_int(out, "journeys", (long long)v[i].journeys);
			jw_kv_int(out, "conversions", (long long)v[i].conv);
			jw_kv_int(out, "non_conversions", (long long)(v[i].journeys - v[i].conv));
			jw_kv_real(out, "conversion_value", v[i].value);
			common_tail(out, &s->o, run_id, now);
			rows++;
		}
		free(v);
	}
	for (d = 0; d < s->ndays; d++) {
		struct ent *v = map_sorted(&s->trans[d]);
		long long y;
		unsigned mo, da;
		size_t a, b, n = s->trans[d].n;
		civil_from_days(s->o.first_day + (long long)d, &y, &mo, &da);
		snprintf(date, sizeof date, "%04lld-%02u-%02u", y, mo, da);
		/* sorted by "from\nto": each from-state's rows are contiguous */
		for (a = 0; a < n; a = b) {
			size_t fl = (size_t)(strchr(v[a].key, '\n') - v[a].key);
			double tot = 0;
			for (b = a; b < n && strncmp(v[b].key, v[a].key, fl + 1) == 0; b++)
				tot += v[b].journeys;
			for (i = a; i < b; i++) {
				char *from = xstrndup(v[i].key, fl);
				fputs("{\"_table\":\"journey_transitions_daily\"", out);
				jw_kv_str(out, "date", date);
				jw_kv_str(out, "from_state", from);
				jw_kv_str(out, "to_state", v[i].key + fl + 1);
				jw_kv_int(out, "transitions", (long long)v[i].journeys);
				jw_kv_int(out, "from_total", (long long)tot);
				jw_kv_real(out, "probability", v[i].journeys / tot);
				if (s->o.max_len > 0)
					jw_kv_int(out, "max_path_length", s->o.max_len);
				else
					fputs(",\"max_path_length\":null", out);
				common_tail(out, &s->o, run_id, now);
				free(from);
				rows++;
			}
		}
		free(v);
		out_check(out);
	}
	return rows;
}
