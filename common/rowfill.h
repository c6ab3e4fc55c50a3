#ifndef AELP_ROWFILL_H
#define AELP_ROWFILL_H

#include "row.h"
#include "schema.h"
#include "warehouse.h"

/*
 * A row of one contract table built column by column, for programs that
 * write the warehouse themselves (flow-step's run rows, proposal-review's
 * decisions, budget-apply's audit rows).  Every column starts null; text
 * is copied, so the caller's buffers may go.  A column the table lacks is
 * an internal error (exit 70): the contract and the program disagree.
 */
struct rowfill {
	const struct table_schema *t;
	struct value *v;          /* t->ncols values in schema order (storage form, see row.h) */
	char **owned;             /* copies of text values, freed with the row */
	size_t nowned, capowned;
};

struct rowfill rowfill_new(const struct schema_set *set, const char *table);
void rowfill_free(struct rowfill *f);

/* NULL or "" stays null. */
void rowfill_text(struct rowfill *f, const char *col, const char *s);
void rowfill_int(struct rowfill *f, const char *col, long long i);
/* A value that is not finite is written as null. */
void rowfill_real(struct rowfill *f, const char *col, double d);
void rowfill_bool(struct rowfill *f, const char *col, int b);
void rowfill_null(struct rowfill *f, const char *col);
const struct value *rowfill_get(const struct rowfill *f, const char *col);

/*
 * Fill f with the stored row whose column keycol holds keyval (a STRING
 * key such as change_id).  Returns 1 when found, 0 when there is none, -1
 * with err filled.  Works inside a load (same transaction), so a
 * read-check-write is atomic on the embedded warehouse.
 */
int rowfill_fetch(struct rowfill *f, struct wh *w, const char *keycol, const char *keyval,
		  struct wh_err *err);

/* Write f inside an open load (wh_load_begin): wh_load_row. */
int rowfill_write(struct wh *w, const struct rowfill *f, struct wh_err *err);

#endif
