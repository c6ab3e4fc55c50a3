/*
 * bandit-apply's checks (cmd/bandit-apply/guard.c): each check fires and
 * passes at its boundary, the order of the checks, the request a live
 * pause/promote would send (apply.c), and a property test over random
 * proposals: an allowed rotation never breaks the exploration budget nor
 * gives a CAC-capped arm traffic.
 */
#include <math.h>
#include <stdint.h>

#include <jansson.h>

#include "../../cmd/bandit-apply/apply.h"
#include "../../cmd/bandit-apply/guard.h"
#include "harness.h"
#include "xoshiro.h"

/* The decision r1 of one campaign: a1 leads with 0.90, a2 0.06, a3 0.04,
 * a4 CAC-capped at 0; exploration budget 0.10. */
static struct guard_arm arms4[4];

static void reset_arms(void)
{
	static const char *const ids[] = { "a1", "a2", "a3", "a4" };
	static const double shares[] = { 0.90, 0.06, 0.04, 0 };
	int i;
	for (i = 0; i < 4; i++) {
		arms4[i].arm_id = ids[i];
		arms4[i].share = shares[i];
		arms4[i].leader = i == 0;
		arms4[i].cac_capped = i == 3;
		arms4[i].paused = 0;
	}
}

static struct guard_weight wts[8];

static struct guard_in base(const char *action, const char *arm)
{
	struct guard_in in = { 0 };
	reset_arms();
	in.proposal_id = "bp-r1:c1:x";
	in.found = 1;
	in.action = action;
	in.arm_id = arm;
	in.status = "approved";
	in.have_approval = 1;
	in.decision_run_id = "r1";
	in.latest_run_id = "r1";
	in.decision_age = 3600;
	in.max_age = GUARD_MAX_AGE_DEFAULT;
	in.arms = arms4;
	in.narms = 4;
	in.exploration_budget = 0.10;
	return in;
}

/* shift_weights over a1..a4 with these shares */
static struct guard_in shift(double w1, double w2, double w3, double w4)
{
	struct guard_in in = base("shift_weights", "a1");
	wts[0].arm_id = "a1"; wts[0].share = w1;
	wts[1].arm_id = "a2"; wts[1].share = w2;
	wts[2].arm_id = "a3"; wts[2].share = w3;
	wts[3].arm_id = "a4"; wts[3].share = w4;
	in.weights = wts;
	in.nweights = 4;
	return in;
}

static struct safety_verdict run(const struct guard_in *in)
{
	struct safety_verdict v;
	guard_check(in, &v);
	return v;
}

static const char *gr(const struct safety_verdict *v)
{
	return v->guardrail ? v->guardrail : "(null)";
}

#define REFUSED(in, name, code_, mark) do { \
	struct safety_verdict r_ = run(&(in)); \
	CHECK(!r_.allowed); \
	CHECK_STR(gr(&r_), name); \
	CHECK_INT(r_.code, code_); \
	CHECK_INT(r_.mark_refused, mark); \
} while (0)

#define ALLOWED(in) do { \
	struct safety_verdict a_ = run(&(in)); \
	if (!a_.allowed) fprintf(stderr, "  refused: %s: %s\n", gr(&a_), a_.reason); \
	CHECK(a_.allowed); \
	CHECK_INT(a_.code, 0); \
	CHECK(a_.guardrail == NULL); \
} while (0)

static void test_proposal(void)
{
	struct guard_in in = base("pause_arm", "a2");
	struct safety_verdict v;
	ALLOWED(in);
	in.found = 0;
	v = run(&in);
	CHECK_STR(gr(&v), "proposal");
	CHECK_INT(v.code, 65);
	CHECK_HAS(v.reason, "no proposal 'bp-r1:c1:x' in bandit_change_proposals");
	in = base("frobnicate", "a2");
	REFUSED(in, "proposal", 65, 0);
	in = base(NULL, "a2");
	REFUSED(in, "proposal", 65, 0);
	in = base("pause_arm", NULL);
	REFUSED(in, "proposal", 65, 0);
	in = base("promote_arm", "");
	REFUSED(in, "proposal", 65, 0);
	in = base("pause_arm", "a2");
	in.bad = "notes.weights is not an array of weights";
	v = run(&in);
	CHECK_STR(gr(&v), "proposal");
	CHECK_STR(v.reason, "notes.weights is not an array of weights");
	/* the proposal check comes before the approval */
	in.status = "proposed";
	REFUSED(in, "proposal", 65, 0);
	CHECK(guard_action_known("seed_experiment"));
	CHECK(!guard_action_known("pause"));
	CHECK(!guard_action_known(NULL));
}

static void test_status(void)
{
	static const char *const no[] = { "proposed", "rejected", "expired", "weird", "", NULL };
	struct guard_in in;
	struct safety_verdict v;
	int i;

	for (i = 0; no[i]; i++) {
		in = base("pause_arm", "a2");
		in.status = no[i];
		REFUSED(in, "approval", 77, 0);
	}
	in = base("pause_arm", "a2");
	in.status = "proposed";
	v = run(&in);
	CHECK_HAS(v.reason, "proposal-review approve ID --by NAME --kind bandit");
	in.status = NULL;
	REFUSED(in, "approval", 77, 0);
	in = base("pause_arm", "a2");
	in.have_approval = 0;
	v = run(&in);
	CHECK_STR(gr(&v), "approval");
	CHECK_HAS(v.reason, "no approval row in bandit_change_approvals");
	in = base("pause_arm", "a2");
	in.status = "shadow_applied";
	REFUSED(in, "already_applied", 1, 0);
	in.status = "applied";
	REFUSED(in, "already_applied", 1, 0);
	in.status = "refused";
	REFUSED(in, "already_refused", 1, 0);
	/* a second application is refused even when the decision is now stale */
	in.status = "shadow_applied";
	in.latest_run_id = "r2";
	REFUSED(in, "already_applied", 1, 0);
}

static void test_flag_client(void)
{
	struct guard_in in = base("pause_arm", "a2");
	struct safety_verdict v;

	in.live = 1;
	v = run(&in);
	CHECK_STR(gr(&v), "flag");
	CHECK_INT(v.code, 77);
	CHECK(!v.mark_refused);
	CHECK_STR(v.flag, GUARD_FLAG);
	CHECK_HAS(v.reason, "AELP2_ALLOW_BANDIT_MUTATIONS=1 (it is unset)");
	in.flag = "true";
	v = run(&in);
	CHECK_STR(gr(&v), "flag");
	CHECK_HAS(v.reason, "(it is not 1)");
	in.flag = "1 ";
	REFUSED(in, "flag", 77, 0);
	in.flag = "1";
	v = run(&in);
	CHECK_STR(gr(&v), "client");
	CHECK_INT(v.code, 77);
	CHECK(!v.mark_refused);
	CHECK_HAS(v.reason, "not built yet");
	/* the flag is checked before the guardrails, the client after them */
	in = base("pause_arm", "a1");           /* the leader: last_arm */
	in.live = 1;
	REFUSED(in, "flag", 77, 0);
	in.flag = "1";
	REFUSED(in, "last_arm", 1, 1);
	/* an unapproved proposal is refused for its approval before the flag */
	in = base("pause_arm", "a2");
	in.live = 1;
	in.status = "proposed";
	REFUSED(in, "approval", 77, 0);
	/* shadow ignores the flag */
	in = base("pause_arm", "a2");
	in.flag = "0";
	ALLOWED(in);
	v = run(&in);
	CHECK(v.flag == NULL);
}

static void test_stale(void)
{
	struct guard_in in = base("pause_arm", "a2");
	struct safety_verdict v;

	/* a newer night's decision is what the constraints read: with the arm in
	 * it, the proposal still applies (the nightly decides before it applies) */
	in.latest_run_id = "r2";
	ALLOWED(in);
	in.latest_run_id = NULL;            /* rows of r1 exist but nothing newer was found */
	ALLOWED(in);
	/* ... without it, the proposal is stale, naming the run read */
	in = base("pause_arm", "a9");
	in.latest_run_id = "r2";
	v = run(&in);
	CHECK_STR(gr(&v), "stale_decision");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "arm a9 is not in decision run r2");
	in = base("pause_arm", "a2");
	in.decision_run_id = NULL;
	REFUSED(in, "stale_decision", 1, 1);
	in.decision_run_id = "";
	REFUSED(in, "stale_decision", 1, 1);
	in = base("pause_arm", "a2");
	in.narms = 0;
	REFUSED(in, "stale_decision", 1, 1);
	/* --max-age: exactly the age passes, a second more is stale */
	in = base("pause_arm", "a2");
	in.decision_age = in.max_age;
	ALLOWED(in);
	in.decision_age = in.max_age + 1;
	v = run(&in);
	CHECK_STR(gr(&v), "stale_decision");
	CHECK_HAS(v.reason, "older than --max-age (48.0 h)");
	in.decision_age = NAN;              /* unknown: not judged by age */
	ALLOWED(in);
	/* the arm must be one of the decision's */
	in = base("promote_arm", "a9");
	v = run(&in);
	CHECK_STR(gr(&v), "stale_decision");
	CHECK_HAS(v.reason, "arm a9 is not in decision run r1");
	/* stale comes before the exploration budget */
	in = shift(0.5, 0.5, 0, 0);
	in.decision_age = in.max_age + 1;
	REFUSED(in, "stale_decision", 1, 1);
}

static void test_exploration(void)
{
	struct guard_in in;
	struct safety_verdict v;

	in = shift(0.90, 0.06, 0.04, 0);
	ALLOWED(in);
	/* exactly the budget, to the last bit of its tolerance */
	in = shift(0.90 - 1e-9, 0.06, 0.04 + 1e-9, 0);
	ALLOWED(in);
	in = shift(0.90 - 2e-9, 0.06, 0.04 + 2e-9, 0);
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "over the exploration budget 0.1");
	in = shift(0.89, 0.06, 0.05, 0);
	REFUSED(in, "exploration_budget", 1, 1);
	/* the sum: 1 within 1e-6 */
	in = shift(0.90 + 0.9e-6, 0.06, 0.04, 0);
	ALLOWED(in);
	in = shift(0.90 + 1.1e-6, 0.06, 0.04, 0);
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_HAS(v.reason, "not 1");
	in = shift(0.90 - 1.1e-6, 0.06, 0.04, 0);
	REFUSED(in, "exploration_budget", 1, 1);
	/* a zero budget: the leader takes everything */
	in = shift(1, 0, 0, 0);
	in.exploration_budget = 0;
	ALLOWED(in);
	in = shift(1 - 1e-7, 1e-7, 0, 0);
	in.exploration_budget = 0;
	REFUSED(in, "exploration_budget", 1, 1);
	/* no budget recorded */
	in = shift(0.90, 0.06, 0.04, 0);
	in.exploration_budget = NAN;
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_HAS(v.reason, "records no exploration budget");
	/* weights that are not a distribution over the decision's arms */
	in = shift(0.96, 0.06, -0.02, 0);
	REFUSED(in, "exploration_budget", 1, 1);
	in = shift(NAN, 0.06, 0.04, 0);
	REFUSED(in, "exploration_budget", 1, 1);
	in = shift(0.90, 0.06, 0.04, 0);
	wts[3].arm_id = "a9";
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_HAS(v.reason, "name arm a9, which decision run r1 does not have");
	in = shift(0.90, 0.05, 0.05, 0);
	wts[2].arm_id = "a2";
	v = run(&in);
	CHECK_HAS(v.reason, "name arm a2 twice");
	in = shift(0.90, 0.06, 0.04, 0);
	in.nweights = 0;
	REFUSED(in, "exploration_budget", 1, 1);
	/* arms left out of the weights get nothing */
	in = shift(0.90, 0.06, 0.04, 0);
	in.nweights = 3;
	ALLOWED(in);
	/* the leader is the decision's, not the proposal's arm */
	in = shift(0.06, 0.90, 0.04, 0);
	in.arm_id = "a2";
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_HAS(v.reason, "other than the leader a1 0.94");
	/* the experiment's traffic splits follow the same rule */
	in = shift(0.90, 0.05, 0.05, 0);
	in.action = "seed_experiment";
	ALLOWED(in);
	in = shift(0.80, 0.10, 0.10, 0);
	in.action = "seed_experiment";
	v = run(&in);
	CHECK_STR(gr(&v), "exploration_budget");
	CHECK_HAS(v.reason, "the experiment's traffic splits");
	/* pause and promote carry no rotation to check */
	in = base("promote_arm", "a2");
	in.exploration_budget = NAN;
	ALLOWED(in);
}

static void test_cac(void)
{
	struct guard_in in;
	struct safety_verdict v;

	in = shift(0.90, 0.06, 0.04, 0);        /* a4 capped at 0: fine */
	ALLOWED(in);
	in = shift(0.90, 0.06, 0.04 - 1e-12, 1e-12);
	v = run(&in);
	CHECK_STR(gr(&v), "cac_cap");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "arm a4 is CAC-capped in decision run r1");
	in = base("promote_arm", "a4");
	v = run(&in);
	CHECK_STR(gr(&v), "cac_cap");
	CHECK_HAS(v.reason, "cannot be promoted");
	in = base("promote_arm", "a1");
	ALLOWED(in);
	/* pausing a capped arm is what the cap asks for */
	in = base("pause_arm", "a4");
	ALLOWED(in);
	/* the exploration budget is checked before the cap */
	in = shift(0.80, 0.06, 0.04, 0.10);
	REFUSED(in, "exploration_budget", 1, 1);
	/* an experiment with a capped treatment */
	in = shift(0.90, 0.05, 0, 0.05);
	in.action = "seed_experiment";
	REFUSED(in, "cac_cap", 1, 1);
}

static void test_last_arm(void)
{
	struct guard_in in;
	struct safety_verdict v;
	struct guard_arm two[2] = { { "x1", 0.5, 0, 0, 0 }, { "x2", 0.5, 0, 0, 0 } };

	in = base("pause_arm", "a1");
	v = run(&in);
	CHECK_STR(gr(&v), "last_arm");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "arm a1 is the leader of decision run r1");
	in = base("pause_arm", "a2");
	ALLOWED(in);
	v = run(&in);
	CHECK_HAS(v.reason, "3 arm(s) stay available");
	/* a2, a3 and a4 paused already: a3 may still be paused again, ... */
	in = base("pause_arm", "a3");
	arms4[1].paused = arms4[3].paused = 1;
	ALLOWED(in);
	/* ... but with the leader paused too, the last arm may not */
	arms4[0].paused = 1;
	v = run(&in);
	CHECK_STR(gr(&v), "last_arm");
	CHECK_HAS(v.reason, "last available arm");
	/* no leader marked: the largest share leads, ties to the first arm_id */
	in = base("pause_arm", "x1");
	in.arms = two;
	in.narms = 2;
	REFUSED(in, "last_arm", 1, 1);
	in.arm_id = "x2";
	ALLOWED(in);
	CHECK_STR(guard_leader(two, 2)->arm_id, "x1");
	two[1].share = 0.6;
	CHECK_STR(guard_leader(two, 2)->arm_id, "x2");
	CHECK(guard_leader(two, 0) == NULL);
	/* one arm only: it leads */
	in = base("pause_arm", "x1");
	in.arms = two;
	in.narms = 1;
	REFUSED(in, "last_arm", 1, 1);
}

static void test_request(void)
{
	char note[256], *r;

	r = apply_request("pause_arm", "google_ads", "123-456-7890", "555", "777", note, sizeof note);
	CHECK_STR(r, "{\"method\":\"POST\",\"url\":\"https://googleads.googleapis.com/v25/customers/"
		  "1234567890/adGroupAds:mutate\",\"body\":{\"operations\":[{\"updateMask\":\"status\","
		  "\"update\":{\"resourceName\":\"customers/1234567890/adGroupAds/555~777\",\"status\":"
		  "\"PAUSED\"}}],\"partialFailure\":false,\"validateOnly\":false}}");
	CHECK_STR(note, "");
	free(r);
	r = apply_request("promote_arm", "google_ads", "1234567890", "555", "777", note, sizeof note);
	CHECK_STR(r, "{\"method\":\"POST\",\"url\":\"https://googleads.googleapis.com/v25/customers/"
		  "1234567890/adGroupAds:mutate\",\"body\":{\"operations\":[{\"updateMask\":\"status\","
		  "\"update\":{\"resourceName\":\"customers/1234567890/adGroupAds/555~777\",\"status\":"
		  "\"ENABLED\"}}],\"partialFailure\":false,\"validateOnly\":false}}");
	free(r);
	CHECK(apply_request("pause_arm", "meta", "1", "2", "3", note, sizeof note) == NULL);
	CHECK_STR(note, "no meta client yet");
	CHECK(apply_request("pause_arm", NULL, "1", "2", "3", note, sizeof note) == NULL);
	CHECK_HAS(note, "client yet");
	CHECK(apply_request("pause_arm", "google_ads", "1", NULL, "3", note, sizeof note) == NULL);
	CHECK_HAS(note, "cannot name the ad");
	CHECK(apply_request("shift_weights", "google_ads", "1", "2", "3", note, sizeof note) == NULL);
	CHECK_HAS(note, "no per-ad traffic weights");
	CHECK(apply_request("seed_experiment", "google_ads", "1", "2", "3", note, sizeof note) == NULL);
	CHECK_HAS(note, "ab_experiments");

	/* the details: every key, valid JSON */
	{
		struct guard_in in = shift(0.92, 0.05, 0.03, 0);
		struct details_in d = { 0 };
		json_t *j;
		char *s;
		d.found = 1;
		d.campaign_id = "c1";
		d.action = "shift_weights";
		d.platform = "google_ads";
		d.in = &in;
		d.approver = "alice";
		s = apply_details(&d);
		j = json_loads(s, 0, NULL);
		CHECK(j != NULL);
		CHECK(json_is_null(json_object_get(j, "request")));
		CHECK(json_is_string(json_object_get(j, "request_note")));
		CHECK(json_is_null(json_object_get(j, "experiment")));
		CHECK_STR(json_string_value(json_object_get(j, "approver")), "alice");
		CHECK(json_real_value(json_object_get(json_object_get(json_object_get(j, "rotation"),
							"weights"), "a1")) == 0.92);
		CHECK_STR(json_string_value(json_object_get(json_object_get(j, "checks"), "leader")),
			  "a1");
		json_decref(j);
		free(s);
		d.found = 0;
		s = apply_details(&d);
		CHECK_STR(s, "{\"request\":null,\"rotation\":null,\"experiment\":null,\"checks\":null,"
			  "\"approver\":\"alice\"}");
		free(s);
	}
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next(void)     /* splitmix64: fixed seed, same draws everywhere */
{
	return splitmix64(&rng);
}

static double unif(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

/*
 * Random decisions and random rotations, some as bandit-decide would make
 * them, some a little over the budget, some with a capped arm weighted,
 * some not summing to 1.  Every allowed shift_weights must keep the
 * non-leader share within the budget and give capped arms nothing; the
 * verdict must equal an independent oracle's.
 */
static void test_property(void)
{
	enum { N = 50000, MAXARMS = 12 };
	static const char *const ids[MAXARMS] = { "a00", "a01", "a02", "a03", "a04", "a05",
						  "a06", "a07", "a08", "a09", "a10", "a11" };
	long long allowed = 0, violations = 0, mismatches = 0;
	long long n_budget = 0, n_cac = 0, n_sum = 0, n_other = 0;
	int p;

	for (p = 0; p < N; p++) {
		struct guard_arm arms[MAXARMS];
		struct guard_weight w[MAXARMS];
		struct guard_in in = { 0 };
		struct safety_verdict v;
		int n = 2 + (int)(next() % (MAXARMS - 1)), lead = (int)(next() % (unsigned)n), i, k;
		double budget = unif() < 0.1 ? 0 : unif() * 0.5, u = unif(), rest, sum = 0, expl = 0;
		long double lsum = 0, lexpl = 0;
		int capped_weighted = 0, oracle;

		for (i = 0; i < n; i++) {
			arms[i].arm_id = ids[i];
			arms[i].leader = i == lead;
			arms[i].cac_capped = i != lead && unif() < 0.2;
			arms[i].paused = 0;
			arms[i].share = 0;
		}
		/* the rotation: the leader gets 1 - x, the others share x */
		rest = u < 0.5 ? budget * unif()                  /* under */
		     : u < 0.7 ? budget                           /* exactly */
		     : u < 0.85 ? budget * (1 + unif() * 0.2) + 1e-8 /* over */
		     : budget + (unif() - 0.5) * 4e-9;            /* at the tolerance */
		if (rest > 1)
			rest = 1;
		if (rest < 0)
			rest = 0;
		{
			double raw[MAXARMS], tot = 0;
			for (i = 0; i < n; i++) {
				int give = i != lead && (!arms[i].cac_capped || unif() < 0.1);
				raw[i] = give ? unif() : 0;
				tot += raw[i];
			}
			for (i = 0; i < n; i++) {
				w[i].arm_id = ids[i];
				w[i].share = i == lead ? 1 - rest : tot > 0 ? rest * raw[i] / tot : 0;
			}
			if (tot == 0)
				w[lead].share = 1;
		}
		if (unif() < 0.05) {                  /* sums that miss 1 */
			k = (int)(next() % (unsigned)n);
			w[k].share += (unif() - 0.5) * 4e-6;
			if (w[k].share < 0)
				w[k].share = 0;
		}
		for (i = 0; i < n; i++) {
			sum += w[i].share;
			lsum += w[i].share;
			if (i != lead) {
				expl += w[i].share;
				lexpl += w[i].share;
			}
			if (arms[i].cac_capped && w[i].share > 0)
				capped_weighted = 1;
		}

		in.proposal_id = "p";
		in.found = 1;
		in.action = "shift_weights";
		in.arm_id = ids[lead];
		in.status = "approved";
		in.have_approval = 1;
		in.decision_run_id = in.latest_run_id = "r";
		in.decision_age = 0;
		in.max_age = GUARD_MAX_AGE_DEFAULT;
		in.arms = arms;
		in.narms = (size_t)n;
		in.exploration_budget = budget;
		in.weights = w;
		in.nweights = (size_t)n;
		guard_check(&in, &v);

		/* the oracle, in long double */
		oracle = fabsl(lsum - 1) <= 1e-6L + 1e-15L && lexpl <= budget + 1e-9L + 1e-15L &&
			 !capped_weighted;
		/* at the tolerances themselves double and long double may round apart */
		if (oracle != v.allowed && fabsl(fabsl(lsum - 1) - 1e-6L) > 1e-12L &&
		    fabsl(lexpl - (budget + 1e-9L)) > 1e-12L)
			mismatches++;
		if (v.allowed) {
			allowed++;
			if (expl > budget + GUARD_BUDGET_EPS || fabs(sum - 1) > GUARD_SUM_EPS ||
			    capped_weighted)
				violations++;
		} else {
			const char *g = v.guardrail ? v.guardrail : "";
			if (v.code != 1 || !v.mark_refused)
				violations++;
			if (!strcmp(g, "exploration_budget") && strstr(v.reason, "not 1"))
				n_sum++;
			else if (!strcmp(g, "exploration_budget"))
				n_budget++;
			else if (!strcmp(g, "cac_cap"))
				n_cac++;
			else
				n_other++;
		}
	}
	CHECK_INT(violations, 0);
	CHECK_INT(mismatches, 0);
	CHECK_INT(n_other, 0);
	/* not vacuous: every rule both let rotations through and stopped some */
	CHECK(allowed > 10000);
	CHECK(n_budget > 5000);
	CHECK(n_cac > 1000);
	CHECK(n_sum > 500);
	printf("property: %d rotations, %lld allowed; refused %lld over the budget, %lld not "
	       "summing to 1, %lld weighting a capped arm\n", N, allowed, n_budget, n_sum, n_cac);
}

int main(void)
{
	test_proposal();
	test_status();
	test_flag_client();
	test_stale();
	test_exploration();
	test_cac();
	test_last_arm();
	test_request();
	test_property();
	return h_done("bandit-apply");
}
