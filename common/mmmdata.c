/*
 * The media-mix input reader (mmmdata.h): three row shapes, checked and laid
 * out as period x channel arrays.
 */
#include "mmmdata.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "timefmt.h"

enum kind { K_SPEND, K_KPI, K_CONTROL };

struct ent {
	long long day;
	int kind;
	int idx;               /* channel or control index (in first-seen order) */
	double v, impr;
	int has_impr;
	unsigned long line;
};

struct names {
	char **v;
	int n, cap;
};

static int name_index(struct names *ns, const char *s)
{
	int i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return i;
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 16;
		ns->v = xrealloc(ns->v, (size_t)ns->cap * sizeof *ns->v);
	}
	ns->v[ns->n] = xstrdup(s);
	return ns->n++;
}

static void names_free(struct names *ns)
{
	int i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int fail(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return 65;
}

static void fmt_day(long long day, char out[11])
{
	long long y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = out[7] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 0;
}

/* A number that is present (not absent, not null); -1 when it is not a number. */
static int get_num(json_t *o, const char *k, double *v)
{
	json_t *x = json_object_get(o, k);

	if (!x || json_is_null(x))
		return 0;
	if (!json_is_number(x))
		return -1;
	*v = json_number_value(x);
	return 1;
}

static const char *get_str(json_t *o, const char *k, int *bad)
{
	json_t *x = json_object_get(o, k);

	if (!x || json_is_null(x))
		return NULL;
	if (!json_is_string(x)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(x);
}

/* Parse one line into e; returns 0 or 65 with err "FILE:LINE: reason". */
static int parse_line(const char *fname, const struct nd_line *ln, struct names *chans,
		      struct names *ctrls, struct ent *e, char *err, size_t errsz)
{
	static const char *const known[] = { "date", "channel", "spend", "impressions", "kpi",
					     "control", "value", NULL };
	json_error_t je;
	json_t *o = json_loadb(ln->text, ln->len, JSON_REJECT_DUPLICATES, &je);
	const char *date, *chan, *ctrl, *key;
	json_t *val;
	int bad = 0, rc = 0, has_kpi, has_spend, has_value, i;
	double kpi = 0, spend = 0, value = 0, impr = 0;

	(void)val;
	if (!o)
		return fail(err, errsz, "%s:%lu: not valid JSON: %s", fname, ln->lineno, je.text);
	if (!json_is_object(o)) {
		rc = fail(err, errsz, "%s:%lu: a row must be a JSON object", fname, ln->lineno);
		goto out;
	}
	json_object_foreach(o, key, val) {
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			rc = fail(err, errsz, "%s:%lu: unknown key \"%s\" (rows carry date with channel "
				  "and spend, kpi, or control and value)", fname, ln->lineno, key);
			goto out;
		}
	}
	date = get_str(o, "date", &bad);
	if (bad || !date || !date_valid(date, strlen(date))) {
		rc = fail(err, errsz, "%s:%lu: \"date\" must be a valid YYYY-MM-DD date", fname, ln->lineno);
		goto out;
	}
	e->day = days_from_civil(atoll(date), (unsigned)atoi(date + 5), (unsigned)atoi(date + 8));
	e->line = ln->lineno;
	chan = get_str(o, "channel", &bad);
	ctrl = get_str(o, "control", &bad);
	if (bad) {
		rc = fail(err, errsz, "%s:%lu: \"channel\" and \"control\" must be strings", fname, ln->lineno);
		goto out;
	}
	has_kpi = get_num(o, "kpi", &kpi);
	has_spend = get_num(o, "spend", &spend);
	has_value = get_num(o, "value", &value);
	e->has_impr = get_num(o, "impressions", &impr);
	if (has_kpi < 0 || has_spend < 0 || has_value < 0 || e->has_impr < 0) {
		rc = fail(err, errsz, "%s:%lu: kpi, spend, impressions and value must be numbers",
			  fname, ln->lineno);
		goto out;
	}
	if ((chan != NULL) + (ctrl != NULL) + (has_kpi > 0) != 1) {
		rc = fail(err, errsz, "%s:%lu: a row is one of {date, channel, spend}, {date, kpi} or "
			  "{date, control, value}", fname, ln->lineno);
		goto out;
	}
	if (chan) {
		if (!*chan || !has_spend || has_value || has_kpi) {
			rc = fail(err, errsz, "%s:%lu: a channel row needs a non-empty channel and spend "
				  "(and nothing but impressions besides)", fname, ln->lineno);
			goto out;
		}
		if (!isfinite(spend) || spend < 0 || (e->has_impr && (!isfinite(impr) || impr < 0))) {
			rc = fail(err, errsz, "%s:%lu: spend and impressions must be finite and not "
				  "negative (spend %g on %s)", fname, ln->lineno, spend, chan);
			goto out;
		}
		e->kind = K_SPEND;
		e->idx = name_index(chans, chan);
		e->v = spend;
		e->impr = e->has_impr ? impr : 0;
	} else if (ctrl) {
		if (!*ctrl || has_value <= 0 || has_spend || e->has_impr) {
			rc = fail(err, errsz, "%s:%lu: a control row needs a non-empty control name and "
				  "a value", fname, ln->lineno);
			goto out;
		}
		if (!isfinite(value)) {
			rc = fail(err, errsz, "%s:%lu: value must be finite", fname, ln->lineno);
			goto out;
		}
		e->kind = K_CONTROL;
		e->idx = name_index(ctrls, ctrl);
		e->v = value;
	} else {
		if (has_spend || has_value || e->has_impr || !isfinite(kpi)) {
			rc = fail(err, errsz, "%s:%lu: a kpi row is {date, kpi} with a finite kpi",
				  fname, ln->lineno);
			goto out;
		}
		e->kind = K_KPI;
		e->v = kpi;
	}
out:
	json_decref(o);
	return rc;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int cmp_ctl(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return (x->day > y->day) - (x->day < y->day);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort names and fill map[old index] = new index. */
static void sort_names(struct names *ns, int **map)
{
	char **sorted = xmalloc((size_t)(ns->n ? ns->n : 1) * sizeof *sorted);
	int i, j;

	if (ns->n)
		memcpy(sorted, ns->v, (size_t)ns->n * sizeof *sorted);
	qsort(sorted, (size_t)ns->n, sizeof *sorted, cmp_str);
	*map = xmalloc((size_t)(ns->n ? ns->n : 1) * sizeof **map);
	for (i = 0; i < ns->n; i++)
		for (j = 0; j < ns->n; j++)
			if (ns->v[i] == sorted[j])
				(*map)[i] = j;
	free(ns->v);
	ns->v = sorted;
}

/* The line of the first (which = 0) or second (1) KPI row dated day. */
static unsigned long kpi_line(const struct ent *e, size_t n, long long day, int which)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].kind == K_KPI && e[i].day == day && which-- == 0)
			return e[i].line;
	return 0;
}

int mmm_read(const char *path, int grain, struct mmm_data *d, char *err, size_t errsz)
{
	struct nd_reader *r = nd_open(path);
	const char *fname = nd_name(r);
	struct nd_line ln;
	struct names chans = { 0 }, ctrls = { 0 };
	struct ent *ents = NULL;
	size_t n = 0, cap = 0, i, nk = 0;
	long long *kd = NULL, step, first, last;
	int rc = 0, *cmap = NULL, *kmap = NULL, T, t, c, agg = 0, any_impr = 0;
	char ds[11], ds2[11];

	memset(d, 0, sizeof *d);
	while (nd_next(r, &ln)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			ents = xrealloc(ents, cap * sizeof *ents);
		}
		if ((rc = parse_line(fname, &ln, &chans, &ctrls, &ents[n], err, errsz)) != 0)
			goto out;
		nk += ents[n].kind == K_KPI;
		any_impr |= ents[n].has_impr > 0;
		n++;
	}
	if (nk < 2) {
		rc = fail(err, errsz, "%s: %s KPI row%s; the model needs a KPI for every period", fname,
			  nk ? "only one" : "no", nk ? "" : "s");
		goto out;
	}
	if (chans.n == 0) {
		rc = fail(err, errsz, "%s: no channel rows; the model needs spend by channel", fname);
		goto out;
	}
	/* The KPI's dates with their lines, in date order (a date's first line first). */
	kd = xmalloc(nk * sizeof *kd);
	for (i = 0, nk = 0; i < n; i++)
		if (ents[i].kind == K_KPI)
			kd[nk++] = ents[i].day;
	qsort(kd, nk, sizeof *kd, cmp_ll);
	step = 0;
	for (i = 1; i < nk; i++) {
		long long gap = kd[i] - kd[i - 1];
		if (gap == 0) {
			fmt_day(kd[i], ds);
			rc = fail(err, errsz, "%s:%lu: a second KPI for %s", fname,
				  kpi_line(ents, n, kd[i], 1), ds);
			goto out;
		}
		if (!step || gap < step)
			step = gap;
	}
	if (step != 1 && step != 7) {
		for (i = 1; i < nk && kd[i] - kd[i - 1] != step; i++)
			;
		fmt_day(kd[i - 1], ds);
		rc = fail(err, errsz, "%s:%lu: this KPI is %lld days after the one on %s; the model reads "
			  "daily or weekly data", fname, kpi_line(ents, n, kd[i], 0), step, ds);
		goto out;
	}
	if (grain == MMM_GRAIN_DAY && step == 7) {
		rc = fail(err, errsz, "%s: --grain day, but the KPI's dates are weekly", fname);
		goto out;
	}
	for (i = 1; i < nk; i++)
		if (kd[i] - kd[i - 1] != step) {
			fmt_day(kd[i - 1] + step, ds);
			fmt_day(kd[i - 1], ds2);
			if ((kd[i] - kd[i - 1]) % step != 0)
				rc = fail(err, errsz, "%s:%lu: this KPI's date is not %s after the one on %s",
					  fname, kpi_line(ents, n, kd[i], 0), step == 1 ? "a day" : "a week", ds2);
			else
				rc = fail(err, errsz, "%s:%lu: no KPI for the %s of %s (the one before is on "
					  "%s); every period between the first and the last needs one", fname,
					  kpi_line(ents, n, kd[i], 0), step == 1 ? "day" : "week", ds, ds2);
			goto out;
		}
	first = kd[0];
	last = kd[nk - 1];
	d->grain = grain == MMM_GRAIN_WEEK ? MMM_GRAIN_WEEK : (int)step;
	agg = d->grain == MMM_GRAIN_WEEK && step == 1;
	T = agg ? (int)(nk / 7) : (int)nk;
	if (T < 2) {
		rc = fail(err, errsz, "%s: fewer than two whole weeks of daily rows", fname);
		goto out;
	}
	d->dropped_days = agg ? (int)(nk % 7) : 0;
	for (i = 0; i < n; i++) {
		long long off = ents[i].day - first;
		if (ents[i].day < first || ents[i].day > last || (!agg && off % step != 0)) {
			fmt_day(ents[i].day, ds);
			rc = fail(err, errsz, "%s:%lu: %s is not one of the KPI's %s", fname, ents[i].line,
				  ds, step == 1 ? "days" : "weeks");
			goto out;
		}
	}
	sort_names(&chans, &cmap);
	sort_names(&ctrls, &kmap);
	d->T = T;
	d->C = chans.n;
	d->K = ctrls.n;
	d->day0 = first;
	d->channel = chans.v;
	d->control = ctrls.v;
	chans.v = ctrls.v = NULL;
	chans.n = ctrls.n = 0;
	d->spend = xcalloc((size_t)T * (size_t)d->C, sizeof *d->spend);
	d->kpi = xcalloc((size_t)T, sizeof *d->kpi);
	d->ctrl = xcalloc((size_t)T * (size_t)(d->K ? d->K : 1), sizeof *d->ctrl);
	d->dead = xcalloc((size_t)d->C, 1);
	if (any_impr)
		d->impressions = xcalloc((size_t)T * (size_t)d->C, sizeof *d->impressions);
	/* A control has one value a day: find a second one by sorting (control, day). */
	{
		struct ent **cv = xmalloc((n ? n : 1) * sizeof *cv);
		size_t m = 0;
		for (i = 0; i < n; i++)
			if (ents[i].kind == K_CONTROL)
				cv[m++] = &ents[i];
		qsort(cv, m, sizeof *cv, cmp_ctl);
		for (i = 1; i < m; i++)
			if (cv[i]->idx == cv[i - 1]->idx && cv[i]->day == cv[i - 1]->day) {
				struct ent *later = cv[i]->line > cv[i - 1]->line ? cv[i] : cv[i - 1];
				struct ent *earlier = later == cv[i] ? cv[i - 1] : cv[i];
				fmt_day(later->day, ds);
				rc = fail(err, errsz, "%s:%lu: a second value of control \"%s\" for %s "
					  "(the first is on line %lu)", fname, later->line,
					  d->control[kmap[later->idx]], ds, earlier->line);
				free(cv);
				goto out;
			}
		free(cv);
	}
	for (i = 0; i < n; i++) {
		struct ent *e = &ents[i];
		t = (int)((e->day - first) / (agg ? 7 : step));
		if (t >= T)
			continue;       /* the trailing partial week */
		if (e->kind == K_KPI) {
			d->kpi[t] += e->v;
		} else if (e->kind == K_SPEND) {
			c = cmap[e->idx];
			d->spend[(size_t)t * d->C + c] += e->v;
			if (d->impressions)
				d->impressions[(size_t)t * d->C + c] += e->impr;
		} else {
			d->ctrl[(size_t)t * d->K + (size_t)kmap[e->idx]] += agg ? e->v / 7.0 : e->v;
		}
	}
	/* Sums that overflow would turn into Inf and NaN downstream: refuse them here. */
	{
		double tk = 0;
		for (t = 0; t < T; t++)
			tk += d->kpi[t];
		if (!isfinite(tk)) {
			rc = fail(err, errsz, "%s: the KPI's values are too large: their sum over the window "
				  "is not a finite number", fname);
			goto out;
		}
	}
	for (c = 0; c < d->C; c++) {
		double s = 0;
		for (t = 0; t < T; t++)
			s += d->spend[(size_t)t * d->C + c];
		if (!isfinite(s)) {
			rc = fail(err, errsz, "%s: channel %s's spend is too large: its sum over the window "
				  "is not a finite number", fname, d->channel[c]);
			goto out;
		}
		d->dead[c] = !(s > 0);
	}
out:
	if (rc)
		mmm_free(d);
	free(cmap);
	free(kmap);
	free(kd);
	free(ents);
	names_free(&chans);
	names_free(&ctrls);
	nd_close(r);
	return rc;
}

int mmm_window(struct mmm_data *d, int periods, char *err, size_t errsz)
{
	int s, c, T;

	if (periods <= 0 || periods >= d->T)
		return 0;
	if (periods < 2)
		return fail(err, errsz, "a window of %d period leaves nothing to fit", periods);
	s = d->T - periods;
	T = periods;
	memmove(d->spend, d->spend + (size_t)s * d->C, (size_t)T * d->C * sizeof *d->spend);
	if (d->impressions)
		memmove(d->impressions, d->impressions + (size_t)s * d->C,
			(size_t)T * d->C * sizeof *d->impressions);
	memmove(d->kpi, d->kpi + s, (size_t)T * sizeof *d->kpi);
	if (d->K)
		memmove(d->ctrl, d->ctrl + (size_t)s * d->K, (size_t)T * d->K * sizeof *d->ctrl);
	d->day0 += (long long)s * d->grain;
	d->T = T;
	for (c = 0; c < d->C; c++) {
		double sum = 0;
		int t;
		for (t = 0; t < T; t++)
			sum += d->spend[(size_t)t * d->C + c];
		d->dead[c] = !(sum > 0);
	}
	return 0;
}

void mmm_free(struct mmm_data *d)
{
	int i;

	for (i = 0; i < d->C; i++)
		free(d->channel[i]);
	for (i = 0; i < d->K; i++)
		free(d->control[i]);
	free(d->channel);
	free(d->control);
	free(d->spend);
	free(d->impressions);
	free(d->kpi);
	free(d->ctrl);
	free(d->dead);
	memset(d, 0, sizeof *d);
}

void mmm_date(const struct mmm_data *d, int t, char out[11])
{
	fmt_day(d->day0 + (long long)t * d->grain, out);
}

void mmm_end_date(const struct mmm_data *d, char out[11])
{
	fmt_day(d->day0 + (long long)(d->T - 1) * d->grain + (d->grain - 1), out);
}
