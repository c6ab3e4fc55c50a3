#ifndef AELP_REVIEW_H
#define AELP_REVIEW_H

#include <stdio.h>

#include "ids.h"
#include "timefmt.h"
#include "warehouse.h"

/*
 * The human-in-the-loop gate: a person approves or rejects a proposed
 * change, budget (canary_changes, decided in canary_change_approvals) or
 * bandit (bandit_change_proposals, decided in bandit_change_approvals).
 * proposal-review calls it from the command line, the dashboard from its
 * pages; both kinds go through the same code, told apart by a table
 * descriptor (review.c).
 *
 * The lifecycle (both kinds):
 *   proposed --approve--> approved --budget-apply--> shadow_applied | applied | refused
 *   proposed --reject---> rejected
 *   proposed --approve or reject after the maximum age--> expired
 * Only a proposal whose status is `proposed` can be decided.
 */

enum review_kind { REVIEW_ANY = -1, REVIEW_BUDGET = 0, REVIEW_BANDIT = 1 };

/* The default maximum age of a proposal that can still be decided: 48 h. */
#define REVIEW_MAX_AGE_DEFAULT (48.0 * 3600.0)

/* "budget", "bandit" or "any". */
const char *review_kind_name(enum review_kind k);
/* "budget", "bandit" or "any" (REVIEW_ANY) into *k: 0, or -1 for another word. */
int review_kind_parse(const char *s, enum review_kind *k);

/* 1 when s is one of the lifecycle's statuses (proposed, approved, rejected,
 * expired, shadow_applied, applied, refused), else 0. */
int review_status_valid(const char *s);
/* The statuses as one line for messages: "proposed, approved, ...". */
extern const char review_status_list[];

/*
 * A maximum age: "48h", "2d", "90m", "3600s", or a bare number of hours
 * ("36", "1.5").  Into *seconds; returns 0, or -1 when s is not such an age
 * or is not above zero.
 */
int review_parse_age(const char *s, double *seconds);
/* An age in seconds for messages, in whole hours, else whole minutes, else
 * seconds: "48h", "90m", "3601s" (out: at least 32 bytes).  Returns out. */
char *review_format_age(double seconds, char *out);

struct review_decision {
	enum review_kind kind;   /* which table holds id; REVIEW_ANY: budget, then bandit */
	const char *id;          /* change_id or proposal_id */
	int approve;             /* 1 approve, 0 reject */
	const char *by;          /* the person deciding; required */
	const char *text;        /* approve: an optional note; reject: the reason, required */
	const char *source;      /* "cli" or "dashboard"; NULL means cli */
	const char *run_id;      /* the flow run ($AELP2_RUN_ID), or NULL / "" for none */
	double max_age_seconds;  /* > 0; REVIEW_MAX_AGE_DEFAULT by habit */
};

struct review_outcome {
	int code;                /* exit code: 0 decided; 1 already decided or expired; 2 a bad
				    decision (no --by, a reject without reason); 65 no such id;
				    70 (or the warehouse's code) a warehouse failure */
	char msg[1024];          /* why, when code != 0; a one-line summary when 0 */
	enum review_kind kind;   /* the kind the id was found in (REVIEW_ANY when not found) */
	char approval_id[ID_MAX];
	char status[32];         /* the proposal's status afterwards ("" when not found) */
	char decided_at[TS_CANON_MAX];
	char created_at[TS_CANON_MAX];
	int rows_written;        /* rows committed: 2 when decided, 1 when marked expired, else 0 */
};

/*
 * Decide on one proposal, in ONE load transaction of w (opened with
 * WH_OPEN_WRITE, no load in progress): fetch the proposal, check it, write
 * the approval row (approval_id id_event(..., "apr"), decision approved or
 * rejected, approver, reason = d->text, decided_at now, source, run_id) and
 * the proposal again with its new status and updated_at.  On the embedded
 * warehouse the transaction holds the writer lock from the fetch on, so of
 * two people deciding the same id at once exactly one succeeds; the other
 * finds it already decided.
 *
 * Refusals, checked in this order, write nothing except where said:
 *   - the id in neither table (or not in d->kind's): code 65, naming the
 *     warehouse (a table not created yet holds no proposal);
 *   - status not `proposed`: code 1, "... is already STATUS", with who
 *     decided and when when an approval row exists;
 *   - created_at older than d->max_age_seconds: the proposal's status
 *     becomes `expired` (this IS committed), no approval row, code 1.
 * Returns o->code; o is filled in every case.
 */
int review_decide(struct wh *w, const struct review_decision *d, struct review_outcome *o);

/*
 * List proposals of kind (REVIEW_ANY: both) whose status is status (NULL:
 * any) to out as NDJSON, one object per proposal, oldest first (created_at,
 * then id; both kinds merged):
 *   {"kind","id","status","created_at","expires_at","expired","campaign_id", ...}
 * expires_at is created_at + max_age_seconds; expired is true for a
 * `proposed` one past it (it is marked expired when someone tries to decide
 * it).  Budget rows add channel, current_daily_budget, proposed_daily_budget,
 * change_pct, direction, reason, notes; bandit rows add arm_id, action,
 * direction, current_share, proposed_share, p_best, reason, notes (notes as
 * JSON, not a string).  A table not created yet lists nothing.
 * Returns the number of proposals written, or -1 with err filled.
 */
long review_list(struct wh *w, enum review_kind kind, const char *status,
		 double max_age_seconds, FILE *out, struct wh_err *err);

/* ---- for the programs that apply an approved proposal ---- */

struct rowfill;

/* The approvals table of kind (REVIEW_BUDGET: canary_change_approvals,
 * REVIEW_BANDIT: bandit_change_approvals). */
const char *review_approvals_table(enum review_kind k);

/*
 * A TIMESTAMP value as seconds since 1970, NaN when null or not one.
 * Timestamps are compared as instants, not as text: the canonical form
 * drops a zero fraction, so "...:33Z" sorts after "...:33.5Z" as text.
 */
double review_epoch(const struct value *v);

/* Is (e1, id1) later than (e2, id2)?  Instants first (an unknown one, NaN,
 * is the earliest), then ids in byte order. */
int review_later(double e1, const char *id1, double e2, const char *id2);

/*
 * The id of every proposal of kind (BUDGET or BANDIT) with status approved,
 * oldest first (created_at as an instant, then id), in *ids (caller frees
 * each and the array; NULL when none).  0, or -1 with err (a table not
 * created yet is an error here).
 */
int review_approved_ids(struct wh *w, enum review_kind kind, char ***ids, size_t *n,
			struct wh_err *err);

/*
 * The latest approving decision on proposal id of kind: the approvals row
 * with decision approved that review_later() puts last (decided_at, then
 * approval_id).  1 with *approval_id and *approver (new memory), 0 when
 * there is none (both untouched), -1 with err.
 */
int review_latest_approval(struct wh *w, enum review_kind kind, const char *id,
			   char **approval_id, char **approver, struct wh_err *err);

/* A text column of a fetched proposal row, as new memory, or NULL when
 * null. */
char *review_text(const struct rowfill *row, const char *col);

/* Write the fetched proposal row again with status, updated_at now, and
 * applied_at now too when applied, inside the open load of w: 0, or -1
 * with err. */
int review_set_status(struct wh *w, struct rowfill *row, const char *status, const char *now,
		      int applied, struct wh_err *err);

#endif
