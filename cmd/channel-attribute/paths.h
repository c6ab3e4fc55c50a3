#ifndef CA_PATHS_H
#define CA_PATHS_H

/*
 * channel-attribute's input: channel names interned (intern.h: ids in
 * order of first appearance), paths as sequences of channel ids aggregated
 * by identical sequence (conversions, value and nulls summed), the two
 * input formats, and fractribution's path transforms.
 */
#include <stddef.h>
#include <stdint.h>

#include "intern.h"

struct path {
	const int *ch;      /* the ids, owned by the pathset's key table */
	int len;
	double conv, value, nulls;
};

struct pathset {
	struct path *p;     /* in order of first appearance */
	size_t n, cap;
	struct intern key;  /* the paths' id sequences as bytes: index = path index */
};

/* Add (or add to) the path ch[0..len): its index. */
size_t ps_add(struct pathset *s, const int *ch, int len, double conv, double value, double nulls);
/* The index of the path, or -1. */
long ps_find(const struct pathset *s, const int *ch, int len);
void ps_free(struct pathset *s);

enum ca_format { CA_NDJSON, CA_CHANNELATTRIBUTION };

struct ca_input {
	struct intern ch;
	struct pathset raw;       /* the paths as read, aggregated */
	long long rows;           /* data rows read */
	double conv, value, nulls;
};

/*
 * Read FILE ("-": stdin) into in (zeroed by the caller; several files add
 * up).  sep: the channel separator (spaces around names are trimmed).
 * Returns 0, or 65 with err "FILE:LINE: reason".
 */
int ca_read(const char *file, enum ca_format fmt, char sep, struct ca_input *in, char *err,
	    size_t errsz);
void ca_input_free(struct ca_input *in);

/* Split text[0..n) at sep into trimmed tokens, interned in t: ids into
 * *ids (grown as needed, *cap its size); the number of tokens (always at
 * least 1; empty tokens are kept, as "" names). */
int split_path(struct intern *t, const char *text, size_t n, char sep, int **ids, size_t *cap);

/*
 * fractribution's path transforms (py/templates/path_transforms.sql), on
 * ids.  in[0..n) -> out (room for n), returns the new length.  count
 * (room for n, may be NULL) gets each output token's number of
 * occurrences (frequency).
 */
enum ptrans_kind { PT_UNIQUE, PT_EXPOSURE, PT_FIRST, PT_FREQUENCY, PT_TRIM, PT_REMOVE_IF_NOT_ALL,
		   PT_REMOVE_IF_LAST_AND_NOT_ALL };
struct ptrans {
	enum ptrans_kind kind;
	int n;       /* PT_TRIM: steps kept */
	int ch;      /* PT_REMOVE_*: the channel id (-1: a channel never seen) */
};
int ptrans_apply(const struct ptrans *t, const int *in, int n, int *out, int *count);

/*
 * Parse one transform as --transform takes it: unique, exposure, first,
 * frequency, trimLongPath(N), removeIfNotAll(CH), removeIfLastAndNotAll(CH)
 * (CH interned into ch).  0, or -1.
 */
int ptrans_parse(const char *s, struct intern *ch, struct ptrans *t);

/* The string form, for tests and messages: apply t to the path text
 * (tokens split at '>' and trimmed, joined by " > "; frequency writes
 * NAME(COUNT)).  New memory. */
char *ptrans_string(const char *spec, const char *path);

/* Apply transforms t[0..nt) to every path of in, aggregating into out. */
void ps_transform(const struct pathset *in, const struct ptrans *t, int nt, struct pathset *out);

#endif
