/*
 * Dates as Python reads them: datetime.strptime() (exact, with the same
 * per-directive patterns as CPython's _strptime, tried in the same order
 * with backtracking) and a lexical approximation of dateutil.parser.parse().
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "gx.h"

static const char *const months[] = { "january", "february", "march", "april", "may", "june", "july",
				      "august", "september", "october", "november", "december" };
static const char *const wdays[] = { "monday", "tuesday", "wednesday", "thursday", "friday",
				     "saturday", "sunday" };

struct tmv {
	int year, month, day, hour, hour12, pm, yday, have_yday, have_pm;
};

/* Ranges of CPython's _strptime patterns as (min digits, max digits, min, max). */
struct numdir {
	char d;
	int lo, hi;             /* digits */
	int vmin, vmax;
};

/* %Y takes 0000 as CPython's pattern does, but datetime() then raises "year 0 is
 * out of range": vmin 1 says the same. */
static const struct numdir numdirs[] = {
	{ 'd', 1, 2, 1, 31 }, { 'm', 1, 2, 1, 12 }, { 'Y', 4, 4, 1, 9999 }, { 'y', 2, 2, 0, 99 },
	{ 'H', 1, 2, 0, 23 }, { 'I', 1, 2, 1, 12 }, { 'M', 1, 2, 0, 59 }, { 'S', 1, 2, 0, 61 },
	{ 'f', 1, 6, 0, 999999 }, { 'j', 1, 3, 1, 366 }, { 'w', 1, 1, 0, 6 }, { 'u', 1, 1, 1, 7 },
	{ 'U', 1, 2, 0, 53 }, { 'W', 1, 2, 0, 53 }, { 'G', 4, 4, 0, 9999 }, { 'V', 1, 2, 1, 53 },
};

static const struct numdir *numdir(char d)
{
	size_t i;
	for (i = 0; i < sizeof numdirs / sizeof numdirs[0]; i++)
		if (numdirs[i].d == d)
			return &numdirs[i];
	return NULL;
}

static int known(char d)
{
	return numdir(d) || strchr("bBaApzZ%", d) != NULL;
}

int gx_strftime_ok(const char *fmt, const char **bad)
{
	static char one[3];
	const char *p;
	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (!*p || !known(*p)) {
			one[0] = '%';
			one[1] = *p;
			one[2] = '\0';
			if (bad)
				*bad = one;
			return 0;
		}
	}
	return 1;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Match a name list (full names, or their 3-letter abbreviations); returns length or 0. */
static size_t match_name(const char *s, size_t n, const char *const *names, int count, int abbr, int *which)
{
	int i;
	for (i = 0; i < count; i++) {
		size_t k = abbr ? 3 : strlen(names[i]);
		if (k <= n && strncasecmp(s, names[i], k) == 0) {
			*which = i;
			return k;
		}
	}
	return 0;
}

/* The pattern of CPython tries the longest alternatives first: digit counts from hi to lo. */
static int match(const char *s, size_t n, const char *f, struct tmv tm)
{
	const struct numdir *nd;

	if (!*f) {
		if (n)
			return 0;   /* "unconverted data remains" */
		if (tm.have_pm && tm.hour12)
			tm.hour = tm.hour12 % 12 + (tm.pm ? 12 : 0);
		if (tm.day > mdays(tm.year, tm.month))
			return 0;   /* "day is out of range for month" */
		if (tm.have_yday && tm.yday > (leap(tm.year) ? 366 : 365))
			return 0;
		return 1;
	}
	if (*f == '%' && f[1]) {
		char d = f[1];
		if ((nd = numdir(d)) != NULL) {
			int k;
			for (k = nd->hi; k >= nd->lo; k--) {
				int v = 0, i;
				struct tmv t = tm;
				if ((size_t)k > n)
					continue;
				for (i = 0; i < k && isdigit((unsigned char)s[i]); i++)
					v = v * 10 + (s[i] - '0');
				if (i < k || v < nd->vmin || v > nd->vmax)
					continue;
				/* CPython's %d/%m/%H... reject a leading zero alone ("0"). */
				if (k == 1 && v == 0 && nd->vmin == 1)
					continue;
				switch (d) {
				case 'd': t.day = v; break;
				case 'm': t.month = v; break;
				case 'Y': t.year = v; break;
				case 'y': t.year = v < 69 ? 2000 + v : 1900 + v; break;
				case 'H': t.hour = v; break;
				case 'I': t.hour12 = v; break;
				case 'j': t.yday = v; t.have_yday = 1; break;
				default: break;
				}
				if (match(s + k, n - (size_t)k, f + 2, t))
					return 1;
			}
			/* %d also accepts " 1" (a space and one digit). */
			if (d == 'd' && n >= 2 && s[0] == ' ' && s[1] >= '1' && s[1] <= '9') {
				struct tmv t = tm;
				t.day = s[1] - '0';
				if (match(s + 2, n - 2, f + 2, t))
					return 1;
			}
			return 0;
		}
		switch (d) {
		case '%':
			return n && *s == '%' && match(s + 1, n - 1, f + 2, tm);
		case 'b': case 'B': {
			int w = 0;
			size_t k = match_name(s, n, months, 12, d == 'b', &w);
			struct tmv t = tm;
			t.month = w + 1;
			return k && match(s + k, n - k, f + 2, t);
		}
		case 'a': case 'A': {
			int w = 0;
			size_t k = match_name(s, n, wdays, 7, d == 'a', &w);
			return k && match(s + k, n - k, f + 2, tm);
		}
		case 'p': {
			struct tmv t = tm;
			if (n < 2 || (strncasecmp(s, "am", 2) && strncasecmp(s, "pm", 2)))
				return 0;
			t.have_pm = 1;
			t.pm = tolower((unsigned char)s[0]) == 'p';
			return match(s + 2, n - 2, f + 2, t);
		}
		case 'z': {
			size_t k;
			if (n && (*s == 'Z' || *s == 'z'))
				return match(s + 1, n - 1, f + 2, tm);
			if (n < 5 || (*s != '+' && *s != '-') || !isdigit((unsigned char)s[1]) ||
			    !isdigit((unsigned char)s[2]))
				return 0;
			k = 3;
			if (s[k] == ':')
				k++;
			if (k + 2 > n || s[k] < '0' || s[k] > '5' || !isdigit((unsigned char)s[k + 1]))
				return 0;
			k += 2;
			return match(s + k, n - k, f + 2, tm);
		}
		case 'Z': {
			static const char *const zones[] = { "utc", "gmt" };
			int w = 0;
			size_t k = match_name(s, n, zones, 2, 0, &w);
			return k && match(s + k, n - k, f + 2, tm);
		}
		default:
			return -1;
		}
	}
	if (isspace((unsigned char)*f)) {
		/* White space in the format matches one or more white space characters. */
		size_t k = 0;
		while (isspace((unsigned char)*f))
			f++;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		return k > 0 && match(s + k, n - k, f, tm);
	}
	return n && tolower((unsigned char)*s) == tolower((unsigned char)*f) && match(s + 1, n - 1, f + 1, tm);
}

int gx_strptime(const char *s, size_t n, const char *fmt, const char **bad)
{
	struct tmv tm = { 1900, 1, 1, 0, 0, 0, 0, 0, 0 };
	if (!gx_strftime_ok(fmt, bad))
		return -1;
	return match(s, n, fmt, tm) == 1;
}

/*
 * dateutil.parser.parse(s) succeeds: every token is a number, a month or
 * weekday name, AM/PM, a zone name or offset, or one of dateutil's filler
 * words; separators are " ,-/.:T"; at least one number; numbers fit a
 * date (a year of 4 digits or more than 31, months 1-12 when a month is
 * needed, days 1-31) and times fit a clock.
 */
int gx_dateutil_ok(const char *s, size_t n)
{
	static const char *const fill[] = { "at", "on", "and", "ad", "m", "t", "of", "st", "nd", "rd",
					    "th", "utc", "gmt", "z", "am", "pm", "a", "p", NULL };
	int nums[16], ndig[16], nnum = 0, have_month = 0, i;
	size_t p = 0;

	while (p < n) {
		unsigned char c = (unsigned char)s[p];
		if (isdigit(c)) {
			size_t q = p;
			long v = 0;
			while (q < n && isdigit((unsigned char)s[q])) {
				if (q - p < 9)
					v = v * 10 + (s[q] - '0');
				q++;
			}
			if (q < n && s[q] == ':') {
				/* a clock: HH:MM[:SS[.ffffff]] */
				long hh = v, mm = 0, ss = 0;
				size_t r = q + 1, k = r;
				/* at most two digits each: checked before a third can overflow */
				while (k < n && isdigit((unsigned char)s[k])) {
					if (k - r >= 2)
						return 0;
					mm = mm * 10 + (s[k++] - '0');
				}
				if (k == r)
					return 0;
				if (k < n && s[k] == ':') {
					r = ++k;
					while (k < n && isdigit((unsigned char)s[k])) {
						if (k - r >= 2)
							return 0;
						ss = ss * 10 + (s[k++] - '0');
					}
					if (k == r)
						return 0;
					if (k < n && (s[k] == '.' || s[k] == ',')) {
						r = ++k;
						while (k < n && isdigit((unsigned char)s[k]))
							k++;
						if (k == r)
							return 0;
					}
				}
				if (hh > 24 || mm > 59 || ss > 60)
					return 0;
				p = k;
				continue;
			}
			if (q - p == 8 || q - p == 6 || q - p == 14 || q - p == 12) {
				/* YYYYMMDD, YYMMDD and friends: accepted as dateutil does,
				 * but a year 0000 is out of range for datetime() */
				if ((q - p == 8 || q - p == 14) && strncmp(s + p, "0000", 4) == 0)
					return 0;
				p = q;
				if (nnum < 15) {
					ndig[nnum] = 2;
					nums[nnum++] = 1;
				}
				continue;
			}
			if (q - p > 4)
				return 0;
			/* Three or four digits are a year (dateutil keeps the century
			 * as written), and datetime() has no year 0. */
			if (q - p >= 3 && v == 0)
				return 0;
			if (nnum < 15) {
				ndig[nnum] = (int)(q - p);
				nums[nnum++] = (int)v;
			}
			p = q;
			continue;
		}
		if (isalpha(c)) {
			size_t q = p, len;
			int w, ok = 0;
			while (q < n && isalpha((unsigned char)s[q]))
				q++;
			len = q - p;
			if ((len == 3 || len >= 3) && match_name(s + p, len, months, 12, len == 3, &w) == len) {
				ok = have_month = 1;
			} else if (len >= 3 && match_name(s + p, len, wdays, 7, len == 3, &w) == len) {
				ok = 1;
			} else if (len == 4 && strncasecmp(s + p, "sept", 4) == 0) {
				ok = have_month = 1;
			} else if (len == 4 && strncasecmp(s + p, "tues", 4) == 0) {
				ok = 1;
			} else {
				for (i = 0; fill[i]; i++)
					if (strlen(fill[i]) == len && strncasecmp(s + p, fill[i], len) == 0)
						ok = 1;
			}
			if (!ok)
				return 0;
			p = q;
			continue;
		}
		if (c == '+' && p + 1 < n && isdigit((unsigned char)s[p + 1])) {
			/* a zone offset +HH[:MM] */
			p++;
			while (p < n && (isdigit((unsigned char)s[p]) || s[p] == ':'))
				p++;
			continue;
		}
		if (strchr(" ,-/.\t", c) || c == '\'')
			{ p++; continue; }
		return 0;
	}
	if (nnum == 0 && !have_month)
		return 0;
	/* The date numbers: at most 3, with at most one year-like (> 31) value. */
	{
		int big = 0, le12 = 0;
		for (i = 0; i < nnum; i++) {
			if (nums[i] > 31 || nums[i] == 0)
				big++;
			else if (nums[i] <= 12)
				le12++;
		}
		if (nnum > 3 || big > 1)
			return 0;
		if (nnum == 3 && !have_month && le12 == 0)
			return 0;   /* no value can be the month */
		if (nnum == 3 && !have_month) {
			/* Y-M-D when the year leads, else M/D/Y (dateutil's default order,
			 * swapped when the first cannot be a month); the day must exist. */
			int y, m, d;
			if (ndig[0] == 4) {
				y = nums[0]; m = nums[1]; d = nums[2];
			} else {
				y = nums[2]; m = nums[0]; d = nums[1];
				if (m > 12) { m = nums[1]; d = nums[0]; }
				if (ndig[2] <= 2)
					y += y < 50 ? 2000 : 1900;
			}
			if (m < 1 || m > 12 || d < 1 || d > mdays(y, m))
				return 0;
		}
	}
	return 1;
}
