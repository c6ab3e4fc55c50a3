#ifndef BANDIT_APPLY_GUARD_H
#define BANDIT_APPLY_GUARD_H

/*
 * bandit-apply's checks as pure functions: the proposal and the figures of
 * its decision in, the verdict out, no warehouse and no clock.  apply.c
 * gathers the figures; the unit tests feed random proposals through the
 * same functions.
 */

#include <stddef.h>

#include "safety.h"

#define GUARD_FLAG "AELP2_ALLOW_BANDIT_MUTATIONS"
#define GUARD_BUDGET_EPS 1e-9      /* non-leader shares may pass the budget by this much */
#define GUARD_SUM_EPS 1e-6         /* a rotation's weights sum to 1 within this */
#define GUARD_MAX_AGE_DEFAULT (48.0 * 3600.0)

/* One arm of the proposal's decision run (a bandit_decisions row). */
struct guard_arm {
	const char *arm_id;
	double share;                /* the decision's share */
	int leader;                  /* bandit_decisions.leader (0 when null) */
	int cac_capped;
	int paused;                  /* a pause_arm of it was applied or shadow-applied */
};

/* One weight of a rotation: shift_weights' notes.weights (arm_id,
 * proposed_share), or an experiment's arms (arm_id, traffic_split). */
struct guard_weight {
	const char *arm_id;
	double share;
};

struct guard_in {
	const char *proposal_id;     /* for messages */
	int found;                   /* the id names a bandit_change_proposals row */
	const char *action;          /* shift_weights, pause_arm, promote_arm, seed_experiment */
	const char *arm_id;          /* the proposal's arm (NULL when null) */
	const char *bad;             /* why the proposal's own data cannot be read (its notes,
					its experiment), else NULL: the proposal check */
	const char *status;          /* bandit_change_proposals.status */
	int have_approval;           /* a bandit_change_approvals row with decision approved */
	int live;                    /* --live */
	const char *flag;            /* $AELP2_ALLOW_BANDIT_MUTATIONS, NULL when unset */

	const char *decision_run_id; /* the proposal's decision_run_id, NULL when null */
	const char *latest_run_id;   /* the campaign's newest decision run (decided_at, then
					run_id), NULL when the campaign has none */
	double decision_age;         /* seconds since decision_run_id was decided; NaN unknown */
	double max_age;              /* --max-age, seconds */
	const struct guard_arm *arms; /* the rows of the campaign's latest decision run
					 (latest_run_id; decision_run_id when it is the
					 latest): the facts the constraints are checked
					 against now */
	size_t narms;
	double exploration_budget;   /* the latest decision's; NaN when it records none */

	const struct guard_weight *weights; /* the rotation asked for: shift_weights and
					       seed_experiment (their action says so); unused
					       for the others */
	size_t nweights;
};

/* The figures the checks compare, for the details of the safety event. */
struct guard_figures {
	const char *leader;          /* the decision's leader arm, NULL when it has no arms */
	double weights_sum;          /* sum of the rotation's weights (NaN without one) */
	double exploration_share;    /* sum of the rotation's non-leader weights (NaN without) */
	size_t available;            /* the decision's arms not paused */
	size_t capped;               /* the decision's arms marked cac_capped */
};

/*
 * Every check in order; the first that fails decides (v: flag GUARD_FLAG
 * once the flag was checked, with --live past the approval):
 *   proposal (65), approval (77), already_applied (1), already_refused (1)
 *   (the last three: safety_status_gate),
 *   flag (--live, 77), stale_decision (1), exploration_budget (1),
 *   cac_cap (1), last_arm (1), client (--live, 77).
 * The four guardrails stale_decision..last_arm set mark_refused.
 */
void guard_check(const struct guard_in *in, struct safety_verdict *v);

/* The figures of in (leader, sums, counts), as guard_check() sees them. */
void guard_figures(const struct guard_in *in, struct guard_figures *f);

/* The leader of a decision: the arm marked leader; when none is marked, the
 * arm with the largest share (ties: the first in byte order of arm_id).
 * NULL when there are no arms. */
const struct guard_arm *guard_leader(const struct guard_arm *arms, size_t n);

/* The arm named id in arms, or NULL. */
const struct guard_arm *guard_find(const struct guard_arm *arms, size_t n, const char *id);

/* 1 for the four actions bandit-propose writes. */
int guard_action_known(const char *action);

#endif
