#ifndef AELP_SAFETY_H
#define AELP_SAFETY_H

/*
 * What the programs that apply an approved proposal share (budget-apply,
 * bandit-apply; DESIGN.md, Safety): the verdict of their checks, the gate
 * on the proposal's status and approval, the ranking of their exit codes,
 * the safety_events row every attempt leaves, the run that takes the ids
 * one by one inside one load transaction, and the Google Ads customer id as
 * a request names it.  Each program keeps its own checks, its own request
 * and its own figures.
 */

#include <stddef.h>
#include <stdio.h>

#include "review.h"
#include "warehouse.h"

#define SAFETY_GOOGLE_ADS_BASE "https://googleads.googleapis.com/v25"

/* The verdict of one attempt's checks (each program's guard_check()). */
struct safety_verdict {
	int allowed;
	const char *guardrail;       /* the check that refused (safety_events.guardrail); NULL
					when allowed, and where the program's guard.h says so */
	const char *flag;            /* the mutation flag, where the program's guard.h says so */
	int code;                    /* exit code of the attempt: 0, 1, 65 or 77 */
	int mark_refused;            /* the proposal's status becomes refused (a guardrail's
					refusal; the gate's refusals never set it) */
	char reason[512];
};

/* Fill v as a refusal: allowed 0, guardrail, code, mark_refused = mark,
 * reason from fmt (cut to fit). */
void safety_refuse(struct safety_verdict *v, const char *guardrail, int code, int mark,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The gate on a proposal of kind (REVIEW_BUDGET or REVIEW_BANDIT) before
 * its guardrails: status approved and an approving row in the kind's
 * approvals table.  Pure: status and have_approval come from the caller.
 * Returns 1 when it passes (v untouched), else 0 with v refused, the
 * proposal's status left as it is (mark_refused 0):
 *   approval (77)         proposed, rejected, expired, NULL or an unknown
 *                         status; approved without an approval row
 *   already_applied (1)   shadow_applied or applied: a proposal applies once
 *   already_refused (1)   refused
 */
int safety_status_gate(const char *status, int have_approval, enum review_kind kind,
		       struct safety_verdict *v);

/* The graver of two attempts' exit codes: 77, then 65, then 1, then 0 (a
 * code outside these ranks as 0). */
int safety_worse(int have, int code);

/* One safety_events row: every column of the table (NULL or "" is null). */
struct safety_event {
	const char *event_id;        /* id_event(..., "se") */
	const char *run_id;          /* $AELP2_RUN_ID */
	const char *occurred_at;
	const char *event_type;      /* budget_apply, bandit_apply */
	const char *action;
	const char *actor;
	int allowed;
	int shadow;
	const char *flag;
	const char *guardrail;
	const char *reason;
	long long exit_code;
	const char *platform;
	const char *customer_id;
	const char *campaign_id;
	const char *budget_id;
	const char *ad_group_id;
	const char *ad_id;
	const char *proposal_id;
	const char *approval_id;
	const char *details;         /* JSON text */
};

/* Write e as a safety_events row inside the open load of w: 0, or -1 with
 * err. */
int safety_event_write(struct wh *w, const struct safety_event *e, struct wh_err *err);

/* What one attempt did, as the run counts it. */
struct safety_attempt {
	int allowed;
	int code;                    /* 0, 1, 65, 77 */
	int rows;                    /* rows written (the event, a status) */
};

/*
 * One attempt at id inside the open load of w: its line to out (stdout)
 * and its message to msg (stderr), both buffered until the commit, and *r
 * filled.  0, or -1 with err (a warehouse error: the run rolls back).
 */
typedef int safety_attempt_fn(struct wh *w, const char *id, void *ctx, FILE *out, FILE *msg,
			      struct safety_attempt *r, struct wh_err *err);

struct safety_run {
	const char *program;         /* the step report's program */
	enum review_kind kind;       /* without ids: the approved proposals of this kind */
	safety_attempt_fn *attempt;
	void *ctx;                   /* passed to attempt */
};

/*
 * The run of an apply program, after its options: open the warehouse
 * ($AELP_WAREHOUSE) for writing and begin one load transaction; take ids[0
 * .. nids) or, when nids is 0, review_approved_ids() of run->kind; call
 * run->attempt on each in order; commit.  Only then is what the attempts
 * printed written, stdout first; with nothing to apply, a warning
 * "nothing approved to apply".  Then the step report {"applied":N,
 * "refused":M} (rows_in the attempts, rows_out their rows).  A warehouse
 * error rolls everything back and dies with its code (70 when it has none)
 * and "(nothing was applied)".  Returns the gravest attempt's exit code
 * (safety_worse), 0 with none.
 */
int safety_run(const struct safety_run *run, char *const *ids, size_t nids);

/* The Google Ads customer id as a request's URL wants it: digits only (the
 * '-' dropped), in out (outsz bytes). */
void safety_customer_id(const char *cid, char *out, size_t outsz);

#endif
