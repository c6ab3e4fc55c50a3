#ifndef UPLIFT_INPUT_H
#define UPLIFT_INPUT_H

#include <stddef.h>

#include "intern.h"

/*
 * uplift-score's input: one unit per NDJSON row, checked and turned into
 * arms, outcomes, segments and a design matrix.
 *
 * Treatment values are read as text: a string as itself, true and 1 as
 * "1", false and 0 as "0" (any other number or type is bad input).  When
 * every value was a boolean or a 0/1 number the column is an indicator:
 * control "0", one arm "1".  Otherwise the values are names and the
 * control must be named (--control).  Arms: --arms in the order given, or
 * every value other than control in byte order.
 *
 * Covariates: numbers as they are, booleans 0/1, strings one-hot with the
 * first level in byte order dropped ("COLUMN=VALUE" columns, the other
 * levels in byte order).  Column 0 of the design is the intercept,
 * "(intercept)".
 */

struct up_config {
	const char *id, *treatment, *segment;
	const char *control;        /* NULL: the indicator default "0" */
	char **outcomes;            /* nout names */
	size_t nout;
	char **covariates;          /* ncov names */
	size_t ncov;
	char **arms;                /* narms names given by --arms, or NULL */
	size_t narms;
};

struct up_data {
	size_t n;                   /* units */
	struct intern ids;          /* id text by unit (unit i is id i) */
	unsigned char *id_int;      /* by unit: the id was a JSON integer */
	char **file;                /* the file names read */
	size_t nfile;
	unsigned *unit_file;        /* by unit: index in file */
	unsigned long *unit_line;   /* by unit: line number */

	int indicator;              /* the treatment was a 0/1 indicator */
	char *control;              /* control arm's name */
	char **arm;                 /* narm treatment arms */
	size_t narm;
	int *unit_arm;              /* by unit: -1 control, else index in arm */

	size_t nout;
	char **outcome;             /* names */
	double **y;                 /* [outcome][unit] */
	int *binary;                /* by outcome: every value 0 or 1 */

	int has_segment;
	char **seg_level;           /* nseg levels in byte order */
	size_t nseg;
	int *unit_seg;              /* by unit: index in seg_level */

	size_t p;                   /* design columns, intercept included */
	char **feature;             /* p names */
	double *X;                  /* n x p row-major */
};

/*
 * Read every file (NULL or "-": stdin) into d.  Returns 0, 65 with
 * "FILE:LINE: reason" in err for bad data, or 2 with a usage message (no
 * --control for named arms).  d is released by up_data_free either way.
 */
int up_read(char **files, size_t nfiles, const struct up_config *c, struct up_data *d,
	    char *err, size_t errsz);

void up_data_free(struct up_data *d);

/* "FILE:LINE" of unit i into buf (at least 64 + the file name bytes); returns buf. */
const char *up_where(const struct up_data *d, size_t i, char *buf, size_t sz);

/* Split a comma list into new strings (empty items refused: returns -1). */
int split_list(const char *s, char ***out, size_t *n);
void free_list(char **v, size_t n);

#endif
