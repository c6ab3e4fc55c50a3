#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "die.h"
#include "ids.h"

void id_event(char *out, const char *prefix)
{
	unsigned char b[8];
	char t[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t got = 0;

	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0)
			die(AELP_EXIT_SOFTWARE, "no randomness from the kernel for an id");
		got += (size_t)n;
	}
	gmtime_r(&now, &tm);
	strftime(t, sizeof t, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, ID_MAX, "%.40s-%s-%02x%02x%02x%02x%02x%02x%02x%02x", prefix, t, b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7]);
}
