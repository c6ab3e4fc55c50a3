#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "timefmt.h"

/* Howard Hinnant's civil-date algorithms (public formulas). */
long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Write v as exactly n decimal digits, zero-padded. */
static void put_digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int digits(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned char md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return md[m - 1];
}

static int ymd(const char *s, unsigned *y, unsigned *m, unsigned *d)
{
	if (s[4] != '-' || s[7] != '-')
		return 0;
	if (!digits(s, 4, y) || !digits(s + 5, 2, m) || !digits(s + 8, 2, d))
		return 0;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > month_days(*y, *m))
		return 0;
	return 1;
}

int date_valid(const char *s, size_t n)
{
	unsigned y, m, d;
	return n == 10 && ymd(s, &y, &m, &d);
}

size_t timestamp_canon(const char *s, size_t n, char *out, const char **why)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	size_t i = 19, nfrac = 0;
	char frac[7];
	int sign = 0;
	long long days, secs;
	long long yy;
	unsigned mm, dd;
	const char *ignored;

	if (!why)
		why = &ignored;
	*why = "not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)";
	if (n < 19 || !ymd(s, &y, &mo, &d))
		return 0;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return 0;
	if (s[13] != ':' || s[16] != ':' || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return 0;
	if (h > 23 || mi > 59 || sec > 59) {
		*why = "time of day out of range";
		return 0;
	}
	if (i < n && s[i] == '.') {
		i++;
		size_t from = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			/* Microseconds are kept (as BigQuery does); finer digits are
			 * taken only when they are zeros, never silently dropped. */
			if (nfrac == 6) {
				if (s[i] != '0') {
					*why = "finer than microseconds (BigQuery keeps 6 fractional digits)";
					return 0;
				}
				i++;
				continue;
			}
			frac[nfrac++] = s[i++];
		}
		if (i == from || i - from > 9) {
			if (i - from > 9)
				*why = "more than 9 fractional digits";
			return 0;
		}
	}
	if (i < n) {
		if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
			i++;
		} else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && s[i + 3] == ':' &&
			   digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om)) {
			if (oh > 23 || om > 59) {
				*why = "UTC offset out of range";
				return 0;
			}
			sign = s[i] == '+' ? 1 : -1;
			i += 6;
		} else {
			return 0;
		}
	}
	while (nfrac > 0 && frac[nfrac - 1] == '0')
		nfrac--;

	secs = (long long)h * 3600 + mi * 60 + sec - sign * ((long long)oh * 3600 + om * 60);
	days = days_from_civil(y, mo, d);
	while (secs < 0) {
		secs += 86400;
		days--;
	}
	while (secs >= 86400) {
		secs -= 86400;
		days++;
	}
	civil_from_days(days, &yy, &mm, &dd);
	if (yy < 1 || yy > 9999) {
		*why = "timestamp out of range (years 0001 to 9999)";
		return 0;
	}
	put_digits(out, (unsigned)yy, 4);
	out[4] = '-';
	put_digits(out + 5, mm, 2);
	out[7] = '-';
	put_digits(out + 8, dd, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)(secs % 60), 2);
	i = 19;
	if (nfrac) {
		out[i++] = '.';
		memcpy(out + i, frac, nfrac);
		i += nfrac;
	}
	out[i++] = 'Z';
	out[i] = '\0';
	return i;
}

size_t timestamp_now(char *out, double *epoch_seconds)
{
	struct timeval tv;
	struct tm tm;
	char raw[64];
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(raw, sizeof raw, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
	n = timestamp_canon(raw, strlen(raw), out, NULL);
	if (epoch_seconds)
		*epoch_seconds = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	return n;
}

int timestamp_epoch(const char *s, double *epoch)
{
	char c[TS_CANON_MAX];
	unsigned y, mo, d, h, mi, sec, us = 0;
	size_t n = timestamp_canon(s, strlen(s), c, NULL), i;

	if (n == 0)
		return -1;
	ymd(c, &y, &mo, &d);
	digits(c + 11, 2, &h);
	digits(c + 14, 2, &mi);
	digits(c + 17, 2, &sec);
	if (c[19] == '.')
		for (i = 20; i < 26; i++)
			us = us * 10 + (unsigned)(i < n - 1 ? c[i] - '0' : 0);
	*epoch = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec + us / 1e6;
	return 0;
}

size_t timestamp_from_epoch(double epoch, char *out)
{
	long long us = llround(epoch * 1e6), secs, days;
	long long y;
	unsigned m, d;
	char raw[64];

	secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	us -= secs * 1000000;
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	secs -= days * 86400;
	civil_from_days(days, &y, &m, &d);
	snprintf(raw, sizeof raw, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ", y, m, d, secs / 3600,
		 secs / 60 % 60, secs % 60, us);
	return timestamp_canon(raw, strlen(raw), out, NULL);
}

int day_number(const char *s, size_t n, long long *days)
{
	if (!date_valid(s, n))
		return -1;
	*days = days_from_civil((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'),
				(unsigned)((s[5] - '0') * 10 + (s[6] - '0')),
				(unsigned)((s[8] - '0') * 10 + (s[9] - '0')));
	return 0;
}

void day_format(long long days, char *out)
{
	long long y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04lld-%02u-%02u", y, m, d);
}
