#ifndef BUDGET_APPLY_APPLY_H
#define BUDGET_APPLY_APPLY_H

/*
 * budget-apply's warehouse side: read a proposal and the figures its
 * guardrails need, write its new status and the safety_events row.  Every
 * call runs inside the one load transaction main.c opens, so the reads see
 * what earlier attempts of the same run wrote.
 */

#include "guard.h"
#include "ids.h"
#include "schema.h"
#include "warehouse.h"

struct apply_opts {
	int live;
	long long floor_micros;      /* --min-daily-budget */
	const char *actor;           /* safety_events.actor */
	const char *run_id;          /* $AELP2_RUN_ID or NULL */
	const char *flag;            /* $AELP2_ALLOW_GOOGLE_MUTATIONS or NULL */
};

/* What one attempt did, for stdout and stderr. */
struct attempt {
	char event_id[ID_MAX];
	char *change_id, *campaign_id;   /* campaign_id NULL for an unknown proposal */
	int allowed;
	const char *guardrail;           /* NULL when allowed or refused by the flag */
	int code;                        /* 0, 1, 65, 77 */
	int rows;                        /* rows written (the event, a status) */
	char from[32], to[32];           /* the budgets, as money */
	char reason[600];
};

void attempt_free(struct attempt *a);

/*
 * One attempt at change_id: the checks in order (guard.h), the proposal's
 * new status when a guardrail refused or the shadow apply passed, and its
 * safety_events row.  0 with *a filled, or -1 with err (a warehouse error:
 * the caller rolls back).
 */
int apply_attempt(struct wh *w, const struct schema_set *set, const struct apply_opts *o,
		  const char *change_id, struct attempt *a, struct wh_err *err);

/*
 * The details JSON of a safety event (new memory): the request that would
 * be sent (null when customer_id or budget_id is missing), the figures of
 * every check (null where unknown) and the approver.
 */
char *apply_details(const char *customer_id, const char *budget_id, const struct guard_in *in,
		    int have_figures, const char *approver);

#endif
