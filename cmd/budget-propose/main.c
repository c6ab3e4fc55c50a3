/*
 * budget-propose: shadow budget proposals under a CAC cap, a historical
 * daily cap and a 5% step, one canary_changes row per campaign that moves
 * (or that a cap holds).  The decision is in propose.h, the reads in
 * inputs.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "inputs.h"
#include "ltvprior.h"
#include "ndjson.h"
#include "opts.h"
#include "propose.h"
#include "report.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_DAYS = 'd', O_TOPN = 'n', O_DATE = 1000, O_HIST, O_PRIOR, O_MMMRUN, O_NOMMM, O_RUNID,
       O_QUIET, O_LTV };

static const struct opt options[] = {
	{ O_DAYS, "days", 'd', "N", "lookback window in days, ending at --date (default 14)" },
	{ O_DATE, "date", 0, "DATE", "the window's last day (default: the latest day in ads_campaign_performance)" },
	{ O_TOPN, "top-n", 'n', "N", "only the N proposals with the largest expected gain (default: all)" },
	{ O_HIST, "hist-cap-multiplier", 0, "X", "historical daily cap = X x highest daily spend in the window (default 1.0)" },
	{ O_PRIOR, "prior-conversions", 0, "A", "weight of the CAC prior, in conversions at the portfolio's CAC (default 2)" },
	{ O_MMMRUN, "mmm-run-id", 0, "ID", "use this media-mix run (default: the latest with status ok)" },
	{ O_NOMMM, "no-mmm", 0, NULL, "ignore media-mix runs: history only" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of the rows (default $AELP2_RUN_ID, else budget-propose-DATE)" },
	{ O_LTV, "ltv-cac-ratio", 0, "R", "also cap each campaign's CAC at its channel's LTV (ltv_priors value_low) / R (default $AELP2_LTV_CAC_RATIO)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"budget-propose",
	"[options]",
	"Propose daily budget changes, shadow first: one canary_changes row (status proposed)\n"
	"per campaign whose budget should move, or that a cap holds, on stdout for bq-load.\n"
	"Nothing changes on any platform: a person approves (proposal-review) and budget-apply\n"
	"applies under its own guardrails.\n"
	"\n"
	"Reads: each enabled campaign's latest budget (view canary_budgets_latest: the newest\n"
	"canary_budgets_snapshot, or a change applied after it), its spend and conversions\n"
	"over the lookback (ads_campaign_performance, as the view ads_campaign_daily sums it),\n"
	"and the latest media-mix run with status\n"
	"ok (mmm_runs, mmm_allocations, mmm_curves) when there is one.  Campaigns without a\n"
	"budget, not ENABLED, or without spend in the window are left alone (counted on stderr).\n"
	"\n"
	"CAC, with a 90% band (notes.cac_estimate, its source named):\n"
	"  mmm            the channel's CAC band from the fit, apportioned to the campaign by\n"
	"                 its share of the channel's spend over its share of its conversions\n"
	"                 (factor = spend share / conversion share; conversions smoothed by A)\n"
	"  gamma_poisson  without a run (or a revenue KPI): conversions ~ Poisson(lambda x\n"
	"                 spend), lambda ~ Gamma(A, A x portfolio CAC) with A = --prior-conversions;\n"
	"                 CAC = 1/lambda | data, mean (b)/(a-1), band b / gamma quantiles\n"
	"Marginal CAC: the fit's value per conversion / marginal ROI at the channel's current\n"
	"spend (mmm_curves), apportioned the same way; without one, the CAC band.\n"
	"\n"
	"The rules, in order (cap = AELP2_CAC_CAP):\n"
	"  1. CAC's low end above the cap (even the optimistic CAC is too high): down 5%,\n"
	"     cap_reason cac_above_cap.\n"
	"  2. the band straddles the cap (low <= cap < high): hold, cac_band_straddles_cap.\n"
	"  3. the MMM allocation says the channel is under-funded (its proposed spend above the\n"
	"     current by more than 0.5%): up by the channel's gap apportioned by spend share,\n"
	"     at most 5% -- only when the marginal CAC's high end is below the cap, else hold\n"
	"     with marginal_cac_above_cap.\n"
	"  4. the MMM says over-funded: down by the apportioned gap, at most 5%.\n"
	"  5. otherwise hold (not written).\n"
	"  Historical daily cap = X x the highest daily spend in the window: a proposed budget\n"
	"  never goes above it (cap_reason hist_daily_cap); a budget already above it comes\n"
	"  down toward it, at most 5% a proposal.  Without an MMM run nothing goes up.\n"
	"  Moves are whole cents, rounded toward the current budget, so none exceeds 5%.\n"
	"\n"
	"--top-n ranks by expected gain in net conversions a day: (budget change) x the\n"
	"campaign's budget use (spend / days / budget, at most 1) x (1 / marginal CAC - 1 /\n"
	"target), target = the cap, else the portfolio's CAC.  Ties go by campaign_id.\n"
	"\n"
	"Row: change_id RUN_ID:CAMPAIGN_ID, status proposed, shadow true, reason in words, and\n"
	"notes {cap_reason, cac_estimate {mean, low, high, source}, marginal_cac {...}, cac_cap,\n"
	"hist_daily_cap, hist_cap_multiplier, max_daily_spend, uncertainty_pct ((high - low) /\n"
	"(2 mean) of the CAC band), mmm_run_id, mmm_funding, bound (what limited the move:\n"
	"max_change_pct, hist_daily_cap or mmm_gap), cac_bound (the band end the rule read),\n"
	"max_change_pct, expected_gain, window {start, end}, spend, conversions}.  A re-run\n"
	"with the same run id writes the same change_ids (load with bq-load --upsert); a\n"
	"proposal of this run a person already decided is left out, never overwritten.\n"
	"\n"
	"LTV caps (--ltv-cac-ratio R, or AELP2_LTV_CAC_RATIO): the newest ltv-fit run's\n"
	"ltv_priors give what a new customer acquired in a channel is worth; a campaign's cap\n"
	"becomes the lower of AELP2_CAC_CAP and the 5% end of its channel's value (value_low;\n"
	"the all row when the channel has none) divided by R -- R = 3 keeps LTV:CAC at 3:1\n"
	"even at the pessimistic end.  notes.ltv_prior {run_id, segment, value_low, ratio,\n"
	"cap} says which prior set the cap.  No ltv_priors row: exit 65.\n"
	"\n"
	"Example:\n"
	"  AELP2_CAC_CAP=80 budget-propose --days 14 --top-n 1 | bq-load --upsert\n"
	"  proposal-review list\n",
	options,
	WH_ENV_HELP
	"  AELP2_CAC_CAP    the CAC cap, account currency (unset or empty: no cap)\n"
	"  AELP2_LTV_CAC_RATIO  --ltv-cac-ratio when not given (unset or empty: no LTV cap)\n"
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	int days, top_n, use_mmm, quiet;
	const char *date, *mmm_run_id, *run_id;
	double hist_mult, prior_conv;
	const char *ltv_ratio;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_DAYS: a->days = (int)opt_long("days", arg, 1, 366); break;
	case O_DATE:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->date = arg;
		break;
	case O_TOPN: a->top_n = (int)opt_long("top-n", arg, 1, 1000000000); break;
	case O_HIST: a->hist_mult = opt_double("hist-cap-multiplier", arg, 1e-9, 1e6); break;
	case O_PRIOR: a->prior_conv = opt_double("prior-conversions", arg, 1e-6, 1e9); break;
	case O_MMMRUN: a->mmm_run_id = arg; break;
	case O_NOMMM: a->use_mmm = 0; break;
	case O_RUNID: a->run_id = arg; break;
	case O_QUIET: a->quiet = 1; break;
	case O_LTV: a->ltv_ratio = arg; break;
	}
}

struct ranked {
	size_t camp;
	struct bp_proposal p;
	struct bp_options o;              /* the campaign's own: its cap may come from LTV */
	const struct ltv_prior *prior;    /* the prior that set the cap, or NULL */
};

/* The campaign's options: the CAC cap lowered to its channel's LTV cap. */
static void campaign_cap(const struct bp_options *o, const struct ltv_priors *pr, double ratio,
			 const struct bp_camp *c, struct ranked *r)
{
	r->o = *o;
	r->prior = NULL;
	if (isfinite(ratio))
		r->o.cac_cap = ltv_cac_cap(pr, c->channel, ratio, o->cac_cap, &r->prior);
}

static int by_gain(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->p.gain != b->p.gain)
		return a->p.gain > b->p.gain ? -1 : 1;
	return a->camp < b->camp ? -1 : a->camp > b->camp;   /* campaigns come in campaign_id order */
}

/* ",KEY":{"mean":…,"low":…,"high":…,"source":…} */
static void band_json(FILE *out, const char *key, const struct bp_band *b)
{
	fputc(',', out);
	jw_key(out, key);
	fputs("{\"mean\":", out);
	jw_real(out, b->mean);
	fputs(",\"low\":", out);
	jw_real(out, b->low);
	fputs(",\"high\":", out);
	jw_real(out, b->high);
	jw_kv_str(out, "source", b->source);
	fputc('}', out);
}

static void write_row(FILE *out, const char *run_id, const char *now, const struct bp_input *in,
		      const struct bp_camp *c, const struct ranked *r, const struct ltv_priors *pr,
		      double ratio)
{
	const struct bp_proposal *p = &r->p;
	const struct bp_options *o = &r->o;
	char change_id[512];
	const struct bp_channel *ch = c->chan >= 0 ? &in->chans[c->chan] : NULL;

	snprintf(change_id, sizeof change_id, "%s:%s", run_id, c->campaign_id);
	fputs("{\"_table\":\"canary_changes\"", out);
	jw_kv_str(out, "change_id", change_id);
	jw_kv_str(out, "run_id", run_id);
	jw_kv_str(out, "customer_id", c->customer_id);
	jw_kv_str(out, "campaign_id", c->campaign_id);
	jw_kv_str(out, "campaign_name", c->campaign_name);
	jw_kv_str(out, "budget_id", c->budget_id);
	jw_kv_str(out, "platform", c->platform);
	jw_kv_str(out, "channel", c->channel);
	jw_kv_real(out, "current_daily_budget", c->c.budget);
	jw_kv_real(out, "proposed_daily_budget", p->proposed);
	jw_kv_real(out, "change_pct", p->change_pct);
	jw_kv_str(out, "direction", bp_direction_name(p->direction));
	jw_kv_str(out, "status", "proposed");
	fputs(",\"shadow\":true", out);
	jw_kv_str(out, "reason", p->reason);
	fputs(",\"notes\":{", out);
	jw_key(out, "cap_reason");
	if (bp_cap_name(p->cap))
		jw_str(out, bp_cap_name(p->cap), strlen(bp_cap_name(p->cap)));
	else
		fputs("null", out);
	band_json(out, "cac_estimate", &p->cac);
	band_json(out, "marginal_cac", &p->mcac);
	jw_kv_real(out, "cac_cap", o->cac_cap);
	jw_kv_real(out, "hist_daily_cap", p->hist_cap);
	jw_kv_real(out, "hist_cap_multiplier", o->hist_mult);
	jw_kv_real(out, "max_daily_spend", c->c.max_daily_spend);
	jw_kv_real(out, "uncertainty_pct", p->uncertainty);
	jw_kv_str(out, "mmm_run_id", in->mmm_run_id);
	jw_kv_str(out, "mmm_funding", p->funding);
	if (ch) {
		jw_kv_real(out, "mmm_channel_current", ch->current);
		jw_kv_real(out, "mmm_channel_proposed", ch->proposed);
	}
	jw_kv_str(out, "bound", p->bound);
	jw_kv_str(out, "cac_bound", p->cac_bound);
	jw_kv_real(out, "max_change_pct", BP_MAX_CHANGE_PCT);
	jw_kv_real(out, "expected_gain", p->gain);
	fputs(",\"window\":{\"start\":", out);
	jw_str(out, in->start, strlen(in->start));
	jw_kv_str(out, "end", in->end);
	fputc('}', out);
	jw_kv_real(out, "spend", c->c.spend);
	jw_kv_real(out, "conversions", c->c.conv);
	if (isfinite(ratio)) {
		fputs(",\"ltv_prior\":", out);
		if (r->prior) {
			fputs("{\"run_id\":", out);
			jw_str(out, pr->run_id, strlen(pr->run_id));
			jw_kv_str(out, "segment", r->prior->segment);
			jw_kv_real(out, "value_low", r->prior->low);
			jw_kv_real(out, "ratio", ratio);
			jw_kv_real(out, "cap", r->prior->low > 0 ? r->prior->low / ratio : NAN);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
	}
	fputc('}', out);
	jw_kv_str(out, "created_at", now);
	fputs("}\n", out);
}

int main(int argc, char **argv)
{
	struct args a = { 14, 0, 1, 0, NULL, NULL, NULL, 1.0, 2.0, NULL };
	struct ltv_priors pr = { 0 };
	double ratio;
	struct bp_read_opts ro;
	struct bp_input in;
	struct bp_options o;
	struct schema_set *set;
	struct wh_err we = { 0 };
	struct wh *w;
	struct ranked *r;
	char err[1200], now[TS_CANON_MAX], *run_id, details[512];
	size_t i, n = 0, nout, up = 0, down = 0, hold = 0;
	int rc, argi;

	argi = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argi < argc)
		usage_error(&spec, "unexpected operand '%s' (budget-propose reads the warehouse)", argv[argi]);
	o.cac_cap = opt_cac_cap(&spec, NULL);
	o.hist_mult = a.hist_mult;
	o.prior_conv = a.prior_conv;
	ratio = ltv_cac_ratio("ltv-cac-ratio", a.ltv_ratio);
	if (a.mmm_run_id && !a.use_mmm)
		usage_error(&spec, "--mmm-run-id and --no-mmm contradict each other");

	set = schema_load(NULL);
	w = wh_open_env(set, WH_OPEN_READ, &we);
	if (!w)
		die(we.missing == WH_NO_WAREHOUSE ? AELP_EXIT_GATE : we.code,
		    "%s: nothing to propose from", we.msg);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = NULL;   /* named after the window's end, once known */

	ro = (struct bp_read_opts){ a.date, a.days, a.use_mmm, a.mmm_run_id };
	rc = bp_read(w, &ro, &in, err, sizeof err);
	if (!rc && !run_id)
		run_id = xasprintf("budget-propose-%s", in.end);
	if (!rc)
		rc = bp_mark_decided(w, run_id, &in, err, sizeof err);
	if (!rc && isfinite(ratio)) {
		rc = ltv_priors_read(w, &pr, err, sizeof err);
		if (!rc && !pr.run_id)
			rc = errorf(err, sizeof err, AELP_EXIT_DATAERR, "--ltv-cac-ratio: ltv_priors has no "
				    "row (run ltv-fit and load its rows first)");
	}
	if (rc)
		die(rc, "%s", err);
	wh_close(w);

	o.portfolio_cac = in.total_conv > 0 ? in.total_spend / in.total_conv : NAN;
	r = xcalloc(in.n + 1, sizeof *r);
	for (i = 0; i < in.n; i++) {
		const struct bp_camp *c = &in.camps[i];
		if (c->decided)
			continue;
		r[n].camp = i;
		campaign_cap(&o, &pr, ratio, c, &r[n]);
		bp_decide(&c->c, c->chan >= 0 ? &in.chans[c->chan] : NULL, &r[n].o, &r[n].p);
		if (r[n].p.record)
			n++;
	}
	if (n > 1)
		qsort(r, n, sizeof *r, by_gain);
	nout = a.top_n > 0 && (size_t)a.top_n < n ? (size_t)a.top_n : n;

	out_init();
	timestamp_now(now, NULL);
	for (i = 0; i < nout; i++) {
		write_row(stdout, run_id, now, &in, &in.camps[r[i].camp], &r[i], &pr, ratio);
		if (r[i].p.direction == BP_UP)
			up++;
		else if (r[i].p.direction == BP_DOWN)
			down++;
		else
			hold++;
	}
	out_finish();

	snprintf(details, sizeof details, "{\"campaigns\":%zu,\"up\":%zu,\"down\":%zu,\"hold\":%zu,"
		 "\"source\":\"%s\"}", in.n, up, down, hold, in.mmm_run_id ? "mmm" : "history");
	step_report("budget-propose", (long long)in.n, -1, details);
	if (!a.quiet) {
		char capbuf[64];
		if (isfinite(o.cac_cap))
			snprintf(capbuf, sizeof capbuf, "CAC cap %.2f", o.cac_cap);
		else
			snprintf(capbuf, sizeof capbuf, "no CAC cap");
		warn("%zu campaigns over %s..%s, %s, %s%s: %zu proposals (%zu up, %zu down, %zu held by a cap)%s",
		     in.n, in.start, in.end, capbuf, in.mmm_run_id ? "media-mix run " : "history only",
		     in.mmm_run_id ? in.mmm_run_id : "", nout, up, down, hold,
		     nout < n ? " (--top-n)" : "");
		if (in.no_budget || in.not_enabled || in.no_spend)
			warn("left alone: %zu without a budget snapshot, %zu not enabled, %zu without spend "
			     "in the window", in.no_budget, in.not_enabled, in.no_spend);
	}
	free(r);
	bp_input_free(&in);
	ltv_priors_free(&pr);
	free(run_id);
	schema_free(set);
	return 0;
}
