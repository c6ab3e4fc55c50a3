#ifndef AELP_IDS_H
#define AELP_IDS_H

#include <stddef.h>

/*
 * Ids for rows that record an event (an approval, a safety event): PREFIX,
 * a dash, the UTC time compactly (20261130T114502Z) and 16 random hex
 * digits from the kernel, so ids sort by time and never collide in
 * practice.  out needs ID_MAX bytes.  Dies (70) when the kernel gives no
 * randomness.
 */
#define ID_MAX 96
void id_event(char *out, const char *prefix);

#endif
