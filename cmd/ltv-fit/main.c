/*
 * ltv-fit: BG/NBD and Gamma-Gamma customer-lifetime models fitted by
 * maximum likelihood (model.h) from transactions or per-customer summaries
 * (input.h), customers scored and new-customer priors per acquisition
 * segment (score.h).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "input.h"
#include "model.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "score.h"
#include "timefmt.h"

enum { O_QUIET = 'q', O_CAL = 1000, O_HOLDOUT, O_PERIOD, O_SUMMARY, O_SUMMARY_ONLY, O_MODEL,
       O_SEGMENT, O_MINSEG, O_ID, O_DATE, O_VALUE, O_HORIZON, O_DISCOUNT, O_DRAWS, O_SEED,
       O_NOCUST, O_RUNID };

static const struct opt options[] = {
	{ O_CAL, "calibration-end", 0, "DAY", "last day of the calibration window (required for transactions)" },
	{ O_HOLDOUT, "holdout-end", 0, "DAY", "with --summary-only: count repeat purchase days in (calibration end, DAY]" },
	{ O_PERIOD, "period", 0, "P", "time unit of x, t_x, T, alpha and the horizon: week (default) or day" },
	{ O_SUMMARY, "summary", 0, NULL, "input rows are per-customer summaries, not transactions" },
	{ O_SUMMARY_ONLY, "summary-only", 0, NULL, "write the per-customer summary rows and stop (no fit)" },
	{ O_MODEL, "model", 0, "FILE", "score with the ltv_models rows of FILE instead of fitting" },
	{ O_SEGMENT, "segment", 0, "COL", "acquisition segment column (e.g. channel): per-segment fits and priors" },
	{ O_MINSEG, "min-segment", 0, "N", "customers a segment needs for its own fit (default 200; and 30 repeaters)" },
	{ O_ID, "id", 0, "COL", "customer id column (default customer_id)" },
	{ O_DATE, "date", 0, "COL", "transaction day column (default date, else occurred_at)" },
	{ O_VALUE, "value", 0, "COL", "transaction value column (default value)" },
	{ O_HORIZON, "horizon", 0, "H", "periods ahead for expected purchases, clv and priors (default 52)" },
	{ O_DISCOUNT, "discount-rate", 0, "D", "annual discount rate (default 0.10)" },
	{ O_DRAWS, "draws", 0, "N", "parameter draws for the priors' 90% interval (default 1000)" },
	{ O_SEED, "seed", 0, "N", "seed of the draws (default 1)" },
	{ O_NOCUST, "no-customers", 0, NULL, "do not write ltv_customers rows" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of rows (default $AELP2_RUN_ID, else ltv-fit-DAY)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"ltv-fit",
	"[options] [FILE...]",
	"Fit the BG/NBD purchase model and the Gamma-Gamma spend model to customers by\n"
	"maximum likelihood, score every customer and value a new one per acquisition\n"
	"segment.  Writes ltv_models, ltv_customers and ltv_priors rows (NDJSON, _table-\n"
	"tagged for bq-load --upsert) on stdout.\n"
	"\n"
	"Input (FILEs, or stdin), one of:\n"
	"  transactions (default), with --calibration-end DAY:\n"
	"    {\"customer_id\":\"c1\",\"date\":\"1997-01-18\",\"value\":29.73[,\"channel\":\"search\"]}\n"
	"    date may be an RFC 3339 timestamp (its UTC day), or given as occurred_at.\n"
	"    Purchases of a customer on one day are one transaction (values added).  The\n"
	"    first day is the acquisition; x = repeat purchase days in (first, cal_end];\n"
	"    t_x = (last repeat day - first day)/P; T = (cal_end - first day)/P, P = 7\n"
	"    (week) or 1 (day); zbar = mean value of the repeat days.  Rows after the\n"
	"    calibration end are ignored (counted on stderr); customers first seen after\n"
	"    it are left out.  The segment is the one on the customer's first row.\n"
	"  --summary: {\"customer_id\":..,\"x\":2,\"t_x\":30.43,\"T\":38.86,\"zbar\":22.35\n"
	"    [,\"first_value\":..,SEGMENT-COLUMN:..]} (zbar null or absent when x = 0).\n"
	"    Without first_value, first_value_mean is null and a prior is the repeat\n"
	"    value only.\n"
	"  --summary-only writes those summary rows (with holdout_x under --holdout-end)\n"
	"  instead of fitting; --model FILE scores customers with the ltv_models rows of\n"
	"  an earlier run (other tables' rows in FILE are skipped) and writes only\n"
	"  ltv_customers rows.\n"
	"\n"
	"Models (maximum likelihood on log-parameters with analytic gradients: damped\n"
	"Newton with BFGS-updated Hessians, GSL's vector_bfgs2 and nmsimplex2 as fallback;\n"
	"identical (x, t_x, T) collapsed with weights):\n"
	"  BG/NBD (Fader, Hardie & Lee 2005): purchases Poisson(lambda) while active,\n"
	"    lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b) after each repeat purchase:\n"
	"    L = B(a,b+x)/B(a,b) G(r+x)a^r/(G(r)(a+T)^{r+x})\n"
	"      + [x>0] B(a+1,b+x-1)/B(a,b) G(r+x)a^r/(G(r)(a+t_x)^{r+x})\n"
	"  Gamma-Gamma (note 025), customers with x > 0 and zbar > 0: the full density of\n"
	"    zbar, lnG(px+q) - lnG(px) - lnG(q) + q ln g + (px-1) ln zbar + px ln x\n"
	"    - (px+q) ln(g + x zbar)\n"
	"  Standard errors: inverse Hessian of -LL in log-parameters (central differences\n"
	"  of the analytic gradient), se(theta) = theta se(log theta); covariance column =\n"
	"  the log-parameter covariance.  No repeat customer or fewer than 2 customers:\n"
	"  exit 65.\n"
	"\n"
	"Scores (ltv_customers), horizon H periods, d = (1+D)^(P/365.25) - 1 per period:\n"
	"  p_alive = 1/(1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^{r+x})\n"
	"  expected_purchases = E[Y(H) | x, t_x, T] (eq. 10; 2F1 after Euler's transform,\n"
	"    by its power series near 0 and carried from period to period by the\n"
	"    Taylor-series method on its differential equation; cached by (x, T))\n"
	"  expected_spend = (q-1)/(px+q-1) pg/(q-1) + px/(px+q-1) zbar (pg/(q-1) when\n"
	"    x = 0; null if q <= 1)\n"
	"  clv = sum_{k=1..H} (E[Y(k)] - E[Y(k-1)]) expected_spend / (1+d)^k\n"
	"  Scores are written to 12 significant digits.\n"
	"Priors (ltv_priors, all and each segment): value of a new customer =\n"
	"  first_value_mean + sum_k (E[X(k)] - E[X(k-1)]) pg/(q-1) / (1+d)^k (eq. 9);\n"
	"  90% interval from --draws draws of the log-parameters from their normal\n"
	"  approximation and of first_value_mean from N(mean, se).\n"
	"Segments (--segment COL) with at least --min-segment customers and 30 repeaters\n"
	"get their own fits (fit: segment); the others use the all fit (fit: pooled).\n"
	"\n"
	"Examples:\n"
	"  ltv-fit --calibration-end 1997-09-30 transactions.ndjson\n"
	"  ltv-fit --summary --segment channel --horizon 26 summary.ndjson | bq-load --upsert\n"
	"  ltv-fit --summary --model models.ndjson customers.ndjson > scores.ndjson\n",
	options,
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	const char *cal, *holdout, *model, *seg, *run_id;
	const char *id, *date, *value;
	int period, summary, summary_only, no_cust, quiet, horizon, draws;
	long min_seg;
	double discount;
	unsigned long long seed;
};

static long long parse_day_opt(const char *opt, const char *arg)
{
	long long day;
	if (day_number(arg, strlen(arg), &day) != 0)
		usage_error(&spec, "--%s: '%s' is not a day (YYYY-MM-DD)", opt, arg);
	return day;
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (id) {
	case O_CAL: parse_day_opt("calibration-end", arg); a->cal = arg; break;
	case O_HOLDOUT: parse_day_opt("holdout-end", arg); a->holdout = arg; break;
	case O_PERIOD:
		if (strcmp(arg, "week") == 0)
			a->period = 7;
		else if (strcmp(arg, "day") == 0)
			a->period = 1;
		else
			usage_error(&spec, "--period: '%s' is not week or day", arg);
		break;
	case O_SUMMARY: a->summary = 1; break;
	case O_SUMMARY_ONLY: a->summary_only = 1; break;
	case O_MODEL: a->model = arg; break;
	case O_SEGMENT: a->seg = arg; break;
	case O_MINSEG: a->min_seg = (long)opt_long("min-segment", arg, 2, 1000000000); break;
	case O_ID: a->id = arg; break;
	case O_DATE: a->date = arg; break;
	case O_VALUE: a->value = arg; break;
	case O_HORIZON: a->horizon = (int)opt_long("horizon", arg, 0, 100000); break;
	case O_DISCOUNT: a->discount = opt_double("discount-rate", arg, 0, 100); break;
	case O_DRAWS: a->draws = (int)opt_long("draws", arg, 0, 10000000); break;
	case O_SEED: a->seed = (unsigned long long)opt_long("seed", arg, 0, LLONG_MAX); break;
	case O_NOCUST: a->no_cust = 1; break;
	case O_RUNID: a->run_id = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* ---- output ---- */

struct run {
	const char *run_id, *created, *period, *seg_col;
	char cal_start[16], cal_end[16];
	int have_start, have_end;
};

static void write_params(FILE *f, const char *key, const struct fit *ft, const char *const *names,
			 const double *v)
{
	int i;

	fputc(',', f);
	jw_key(f, key);
	fputc('{', f);
	for (i = 0; i < ft->np; i++) {
		if (i)
			fputc(',', f);
		jw_key(f, names[i]);
		jw_real(f, v[i]);
	}
	fputc('}', f);
}

static void write_model_row(FILE *f, const struct run *run, const char *model, const char *seg,
			    const struct fit *ft, long long n, long long nrep)
{
	static const char *const bgn[] = { "r", "alpha", "a", "b" };
	static const char *const ggn[] = { "p", "q", "gamma" };
	const char *const *names = ft->np == BG_NP ? bgn : ggn;
	int i, j;

	fputs("{\"_table\":\"ltv_models\"", f);
	jw_kv_str(f, "run_id", run->run_id);
	jw_kv_str(f, "model", model);
	jw_kv_str(f, "segment", seg);
	write_params(f, "params", ft, names, ft->th);
	if (ft->cov_ok) {
		write_params(f, "std_errors", ft, names, ft->se);
		fputc(',', f);
		jw_key(f, "covariance");
		fputc('[', f);
		for (i = 0; i < ft->np; i++) {
			fputs(i ? ",[" : "[", f);
			for (j = 0; j < ft->np; j++) {
				if (j)
					fputc(',', f);
				jw_real(f, ft->cov[i * ft->np + j]);
			}
			fputc(']', f);
		}
		fputc(']', f);
	} else {
		fputs(",\"std_errors\":null,\"covariance\":null", f);
	}
	jw_kv_real(f, "log_likelihood", ft->ll);
	jw_kv_int(f, "n_customers", n);
	jw_kv_int(f, "n_repeat", nrep);
	jw_kv_str(f, "period", run->period);
	jw_kv_str(f, "calibration_start", run->have_start ? run->cal_start : NULL);
	jw_kv_str(f, "calibration_end", run->have_end ? run->cal_end : NULL);
	jw_kv_int(f, "iterations", ft->iterations);
	fputs(ft->converged ? ",\"converged\":true" : ",\"converged\":false", f);
	jw_kv_str(f, "created_at", run->created);
	fputs("}\n", f);
}

static void write_summary_rows(FILE *f, const struct customers *cs, const char *idcol,
			       const char *segcol)
{
	size_t i;
	for (i = 0; i < cs->n; i++) {
		const struct cust *c = &cs->c[i];
		fputc('{', f);
		jw_key(f, idcol);
		{
			size_t il;
			const char *id = cust_id(cs, c, &il);
			jw_str(f, id, il);
		}
		jw_kv_int(f, "x", c->x);
		jw_kv_real(f, "t_x", c->tx);
		jw_kv_real(f, "T", c->T);
		jw_kv_real(f, "zbar", c->zbar);
		jw_kv_real(f, "first_value", c->first_value);
		if (segcol) {
			fputc(',', f);
			jw_key(f, segcol);
			jw_str(f, intern_str(&cs->segs, (size_t)c->seg),
			       intern_len(&cs->segs, (size_t)c->seg));
		}
		if (c->holdout_x >= 0)
			jw_kv_int(f, "holdout_x", c->holdout_x);
		fputs("}\n", f);
	}
}

/* ---- fitting ---- */

/* Fit both models on the customers of segment seg (-1: all).  0, or the
 * error code with err set. */
static int fit_pair(const struct customers *cs, int seg, struct model_pair *mp, long long *n,
		    long long *nrep, long long *ngg, char *err, size_t errsz)
{
	int *x = xmalloc((cs->n + 1) * sizeof *x);
	double *tx = xmalloc((cs->n + 1) * sizeof *tx), *T = xmalloc((cs->n + 1) * sizeof *T);
	double *z = xmalloc((cs->n + 1) * sizeof *z);
	struct bg_data bd;
	struct gg_data gd;
	size_t i, m = 0;
	int rc;

	for (i = 0; i < cs->n; i++)
		if (seg < 0 || cs->c[i].seg == seg) {
			x[m] = cs->c[i].x;
			tx[m] = cs->c[i].tx;
			T[m] = cs->c[i].T;
			z[m] = cs->c[i].zbar;
			m++;
		}
	bg_data_build(&bd, x, tx, T, m);
	gg_data_build(&gd, x, z, m);
	*n = (long long)m;
	*nrep = (long long)bd.nrepeat;
	*ngg = (long long)gd.n;
	rc = bg_fit(&bd, &mp->bg, err, errsz);
	mp->have_bg = rc == 0;
	if (rc == 0) {
		rc = gg_fit(&gd, &mp->gg, err, errsz);
		mp->have_gg = rc == 0;
	}
	bg_data_free(&bd);
	gg_data_free(&gd);
	free(x);
	free(tx);
	free(T);
	free(z);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { .period = 7, .min_seg = 200, .id = "customer_id", .date = "date",
			  .value = "value", .horizon = 52, .draws = 1000, .discount = 0.10,
			  .seed = 1 };
	struct read_opts ro;
	struct customers cs = { 0 };
	struct run run = { 0 };
	const char **files;
	char err[1024], created[TS_CANON_MAX], *run_id;
	int first, nfiles, i, rc;
	size_t nseg, k;
	struct score_opts so;
	long long rows_out = 0;

	out_init();
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (a.summary_only && a.model)
		usage_error(&spec, "--summary-only and --model do not go together");
	if (!a.summary && !a.cal)
		usage_error(&spec, "transactions need --calibration-end DAY (or give --summary)");
	if (a.holdout && (a.summary || !a.summary_only))
		usage_error(&spec, "--holdout-end goes with transactions and --summary-only");
	if (a.holdout && strcmp(a.holdout, a.cal) <= 0)
		usage_error(&spec, "--holdout-end %s is not after --calibration-end %s", a.holdout, a.cal);
	nfiles = argc - first;
	files = xcalloc((size_t)(nfiles > 0 ? nfiles : 1) + 1, sizeof *files);
	if (nfiles == 0)
		files[0] = "-";
	for (i = 0; i < nfiles; i++)
		files[i] = argv[first + i];

	ro.id_col = a.id;
	ro.date_col = a.date;
	ro.value_col = a.value;
	ro.seg_col = a.seg;
	ro.period = a.period;
	ro.cal_end = a.cal ? parse_day_opt("calibration-end", a.cal) : LLONG_MAX;
	ro.holdout_end = a.holdout ? parse_day_opt("holdout-end", a.holdout) : LLONG_MIN;
	rc = a.summary ? read_summaries(files, &ro, &cs, err, sizeof err)
		       : read_transactions(files, &ro, &cs, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	if (!a.summary && !a.quiet && (cs.after_cal || cs.late_customers))
		warn("%lld rows after the calibration end %s ignored (%lld customers first seen after it)",
		     cs.after_cal, a.cal, cs.late_customers);
	if (a.summary_only) {
		write_summary_rows(stdout, &cs, a.id, a.seg);
		if (!a.quiet)
			warn("%lld rows, %zu customers: %zu summary rows", cs.rows, cs.n, cs.n);
		step_report("ltv-fit", cs.rows, -1, NULL);
		customers_free(&cs);
		free(files);
		out_finish();
		return 0;
	}

	timestamp_now(created, NULL);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("ltv-fit-%.10s", created);
	run.run_id = run_id;
	run.created = created;
	run.period = a.period == 7 ? "week" : "day";
	run.seg_col = a.seg;
	if (a.cal) {
		day_format(ro.cal_end, run.cal_end);
		run.have_end = 1;
	}
	if (cs.cal_start != LLONG_MIN) {
		day_format(cs.cal_start, run.cal_start);
		run.have_start = 1;
	}
	so.horizon = a.horizon;
	so.v = pow(1 + a.discount, -(double)a.period / 365.25);
	so.run_id = run_id;
	so.created_at = created;
	so.seg_col = a.seg;
	nseg = a.seg ? intern_count(&cs.segs) : 0;

	if (a.model) {
		struct model_pair *pairs;
		size_t np;
		const struct model_pair **by_seg, *all = NULL;
		if ((rc = read_models(a.model, &pairs, &np, err, sizeof err)) != 0)
			die(rc, "%s", err);
		for (k = 0; k < np; k++) {
			if (pairs[k].period[0] && strcmp(pairs[k].period, run.period) != 0)
				die(65, "%s: the models are in %ss but --period is %s", a.model,
				    pairs[k].period, run.period);
			if (strcmp(pairs[k].segment, "all") == 0)
				all = &pairs[k];
		}
		by_seg = xcalloc(nseg + 1, sizeof *by_seg);
		by_seg[0] = all;
		for (k = 0; k < nseg; k++) {
			size_t j;
			by_seg[k] = all;
			for (j = 0; j < np; j++)
				if (strcmp(pairs[j].segment, intern_str(&cs.segs, k)) == 0)
					by_seg[k] = &pairs[j];
			if (!by_seg[k])
				die(65, "%s: no model for segment '%s' and no 'all' model", a.model,
				    intern_str(&cs.segs, k));
		}
		if (!by_seg[0])
			die(65, "%s: no 'all' model", a.model);
		if (!a.no_cust)
			rows_out = write_customers(stdout, &cs, by_seg, &so);
		if (!a.quiet)
			warn("%lld rows, %zu customers scored with %s (%zu models)", cs.rows, cs.n,
			     a.model, np);
		step_report("ltv-fit", cs.rows, -1, NULL);
		free(by_seg);
		model_pairs_free(pairs, np);
	} else {
		static char all_name[] = "all";
		struct model_pair all = { .segment = all_name }, *segp = NULL;
		const struct model_pair **by_seg;
		long long n, nrep, ngg, *segn, *segrep, *segngg;
		int *fitted;
		char details[256];

		if ((rc = fit_pair(&cs, -1, &all, &n, &nrep, &ngg, err, sizeof err)) != 0)
			die(rc, "%s", err);
		segp = xcalloc(nseg + 1, sizeof *segp);
		segn = xcalloc(nseg + 1, sizeof *segn);
		segrep = xcalloc(nseg + 1, sizeof *segrep);
		segngg = xcalloc(nseg + 1, sizeof *segngg);
		fitted = xcalloc(nseg + 1, sizeof *fitted);
		by_seg = xcalloc(nseg + 1, sizeof *by_seg);
		by_seg[0] = &all;
		for (i = 0; (size_t)i < cs.n; i++)
			if (cs.c[i].seg >= 0) {
				segn[cs.c[i].seg]++;
				segrep[cs.c[i].seg] += cs.c[i].x > 0;
			}
		for (k = 0; k < nseg; k++) {
			by_seg[k] = &all;
			segp[k].segment = (char *)intern_str(&cs.segs, k);
			if (segn[k] >= a.min_seg && segrep[k] >= 30) {
				long long n2, r2;
				char e2[1024];
				if (fit_pair(&cs, (int)k, &segp[k], &n2, &r2, &segngg[k], e2, sizeof e2) == 0) {
					fitted[k] = 1;
					by_seg[k] = &segp[k];
				} else if (!a.quiet) {
					warn("segment '%s': %s: pooled", segp[k].segment, e2);
				}
			}
		}
		write_model_row(stdout, &run, "bgnbd", "all", &all.bg, n, nrep);
		write_model_row(stdout, &run, "gamma_gamma", "all", &all.gg, ngg, nrep);
		rows_out += 2;
		for (k = 0; k < nseg; k++)
			if (fitted[k]) {
				write_model_row(stdout, &run, "bgnbd", segp[k].segment, &segp[k].bg,
						segn[k], segrep[k]);
				write_model_row(stdout, &run, "gamma_gamma", segp[k].segment, &segp[k].gg,
						segngg[k], segrep[k]);
				rows_out += 2;
			}
		if (!a.no_cust)
			rows_out += write_customers(stdout, &cs, by_seg, &so);
		for (k = 0; k <= nseg; k++) {
			/* k = 0: the all row; k > 0: segment k - 1 */
			size_t s = k == 0 ? SIZE_MAX : k - 1, j;
			double fsum = 0, fsq = 0, fvm = NAN, fse = NAN;
			long long fn = 0, cnt = 0;
			struct prior pr;
			const struct model_pair *mp = s == SIZE_MAX ? &all : by_seg[s];
			FILE *f = stdout;
			if (s != SIZE_MAX && nseg == 0)
				break;
			for (j = 0; j < cs.n; j++)
				if (s == SIZE_MAX || cs.c[j].seg == (int)s) {
					cnt++;
					if (isfinite(cs.c[j].first_value)) {
						fsum += cs.c[j].first_value;
						fsq += cs.c[j].first_value * cs.c[j].first_value;
						fn++;
					}
				}
			if (fn > 0) {
				fvm = fsum / (double)fn;
				fse = fn > 1 ? sqrt(fmax(fsq - fsum * fvm, 0) / (double)(fn - 1) /
						    (double)fn) : 0;
			}
			{
				uint64_t sd = (uint64_t)a.seed + 0x9e3779b97f4a7c15ULL * (uint64_t)k;
				prior_compute(mp, fvm, fse, a.horizon, so.v, a.draws, sd, &pr);
			}
			fputs("{\"_table\":\"ltv_priors\"", f);
			jw_kv_str(f, "run_id", run_id);
			jw_kv_str(f, "segment", s == SIZE_MAX ? "all" : intern_str(&cs.segs, s));
			jw_kv_str(f, "segment_column", a.seg);
			jw_kv_int(f, "n_customers", cnt);
			jw_kv_str(f, "fit", s == SIZE_MAX || fitted[s] ? "segment" : "pooled");
			jw_kv_real(f, "first_value_mean", pr.first_value_mean);
			jw_kv_real(f, "repeat_purchases", pr.repeat_purchases);
			jw_kv_real(f, "spend_per_purchase", pr.spend_per_purchase);
			jw_kv_real(f, "value_mean", pr.value_mean);
			jw_kv_real(f, "value_low", pr.value_low);
			jw_kv_real(f, "value_high", pr.value_high);
			jw_kv_int(f, "horizon", a.horizon);
			jw_kv_str(f, "period", run.period);
			jw_kv_real(f, "discount_rate", a.discount);
			jw_kv_str(f, "calibration_end", run.have_end ? run.cal_end : NULL);
			jw_kv_str(f, "created_at", created);
			fputs("}\n", f);
			rows_out++;
		}
		if (!a.quiet)
			warn("%lld rows, %zu customers (%lld repeat): r %.4g alpha %.4g a %.4g b %.4g "
			     "(LL %.2f%s), p %.4g q %.4g gamma %.4g (LL %.2f%s); %zu segments; %lld rows",
			     cs.rows, cs.n, nrep, all.bg.th[0], all.bg.th[1], all.bg.th[2],
			     all.bg.th[3], all.bg.ll, all.bg.converged ? "" : ", not converged",
			     all.gg.th[0], all.gg.th[1], all.gg.th[2], all.gg.ll,
			     all.gg.converged ? "" : ", not converged", nseg, rows_out);
		snprintf(details, sizeof details, "{\"customers\":%zu,\"segments\":%zu}", cs.n, nseg);
		step_report("ltv-fit", cs.rows, -1, details);
		free(segp);
		free(segn);
		free(segrep);
		free(segngg);
		free(fitted);
		free(by_seg);
	}
	free(run_id);
	free(files);
	customers_free(&cs);
	out_finish();
	return 0;
}
