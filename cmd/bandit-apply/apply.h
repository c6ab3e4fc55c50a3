#ifndef BANDIT_APPLY_APPLY_H
#define BANDIT_APPLY_APPLY_H

/*
 * bandit-apply's warehouse side: read a proposal, its approval, the rows of
 * its decision run (and whether the campaign has a newer one), its
 * experiment; write its new status and the safety_events row.  Every call
 * runs inside the one load transaction main.c opens, so the reads see what
 * earlier attempts of the same run wrote.
 */

#include <stddef.h>

#include "guard.h"
#include "ids.h"
#include "schema.h"
#include "warehouse.h"

struct apply_opts {
	int live;
	double max_age;              /* --max-age, seconds */
	const char *actor;           /* safety_events.actor */
	const char *run_id;          /* $AELP2_RUN_ID or NULL */
	const char *flag;            /* $AELP2_ALLOW_BANDIT_MUTATIONS or NULL */
};

/* What one attempt did, for stdout and stderr. */
struct attempt {
	char event_id[ID_MAX];
	char *proposal_id;
	char *campaign_id, *action, *arm_id;  /* NULL for an unknown proposal */
	int allowed;
	const char *guardrail;           /* NULL when allowed */
	int code;                        /* 0, 1, 65, 77 */
	int rows;                        /* rows written (the event, a status) */
	char reason[600];
};

void attempt_free(struct attempt *a);

/*
 * One attempt at proposal_id: the checks in order (guard.h), the
 * proposal's new status when a guardrail refused or the shadow apply
 * passed, and its safety_events row.  0 with *a filled, or -1 with err (a
 * warehouse error: the caller rolls back).
 */
int apply_attempt(struct wh *w, const struct schema_set *set, const struct apply_opts *o,
		  const char *proposal_id, struct attempt *a, struct wh_err *err);

/*
 * The request a live pause_arm or promote_arm would send (new memory), or
 * NULL with a note in note (notesz bytes) saying why there is none: another
 * action, another platform ("no meta client yet"), or a missing id.  On
 * google_ads:
 *   {"method":"POST","url":"https://googleads.googleapis.com/v25/customers/CID/adGroupAds:mutate",
 *    "body":{"operations":[{"updateMask":"status","update":{"resourceName":
 *    "customers/CID/adGroupAds/AGID~ADID","status":"PAUSED"}}],"partialFailure":false,
 *    "validateOnly":false}}
 * with ENABLED to promote, CID without its dashes.
 */
char *apply_request(const char *action, const char *platform, const char *customer_id,
		    const char *ad_group_id, const char *ad_id, char *note, size_t notesz);

/* What the details of a safety event are made of. */
struct details_in {
	int found;                   /* the proposal exists: checks are known */
	const char *campaign_id;
	const char *action;
	const char *platform, *customer_id, *ad_group_id, *arm_id;
	const struct guard_in *in;   /* the figures the checks saw */
	const char *experiment;      /* the experiment's design as JSON, or NULL */
	const char *approver;
};

/*
 * The details JSON of a safety event (new memory):
 *   {"request":…, ["request_note":…,] "rotation":…, "experiment":…,
 *    "checks":{…}, "approver":…}
 * rotation {"campaign_id","weights":{arm:share}} for shift_weights (the
 * proposed weights) and promote_arm (the decision's shares), else null.
 */
char *apply_details(const struct details_in *d);

#endif
