#ifndef AELP_XOSHIRO_H
#define AELP_XOSHIRO_H

#include <stdint.h>

/*
 * xoshiro256** (Blackman and Vigna 2018) and its seeding by splitmix64: the
 * random stream of the programs that must give the same numbers on every
 * machine (sim-generate, bandit-decide).  Header-only so that the hot loops
 * inline it.
 */

/* The next splitmix64 output of the counter *x (which it advances). */
static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The state from one 64-bit seed: four splitmix64 outputs, never all 0
 * (splitmix64 is a bijection of its counter). */
static inline void xoshiro_seed(uint64_t s[4], uint64_t seed)
{
	int i;
	for (i = 0; i < 4; i++)
		s[i] = splitmix64(&seed);
}

static inline uint64_t xoshiro_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(uint64_t s[4])
{
	uint64_t out = xoshiro_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = xoshiro_rotl(s[3], 45);
	return out;
}

#endif
