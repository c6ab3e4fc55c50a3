#include <math.h>
#include <string.h>

#include "harness.h"
#include "timefmt.h"

static const char *canon(const char *s)
{
	static char out[TS_CANON_MAX];
	return timestamp_canon(s, strlen(s), out, NULL) ? out : "(refused)";
}

int main(void)
{
	long long y;
	unsigned m, d;
	long long z;
	const char *why = NULL;
	char out[TS_CANON_MAX];

	{
		char buf[11];
		long long dn = 0;
		CHECK(day_number("1997-09-30", 10, &dn) == 0 && dn == days_from_civil(1997, 9, 30));
		CHECK(day_number("2024-02-29", 10, &dn) == 0 && dn == 19782);
		day_format(dn, buf);
		CHECK(strcmp(buf, "2024-02-29") == 0);
		day_format(0, buf);
		CHECK(strcmp(buf, "1970-01-01") == 0);
		CHECK(day_number("2025-02-29", 10, &dn) == -1);
		CHECK(day_number("2025-01-3", 9, &dn) == -1);
	}
	CHECK(date_valid("2025-01-31", 10));
	CHECK(date_valid("2024-02-29", 10));
	CHECK(!date_valid("2025-02-29", 10));
	CHECK(!date_valid("2025-02-30", 10));
	CHECK(!date_valid("1900-02-29", 10));
	CHECK(date_valid("2000-02-29", 10));
	CHECK(!date_valid("2025-13-01", 10));
	CHECK(!date_valid("2025-00-10", 10));
	CHECK(!date_valid("2025-04-31", 10));
	CHECK(!date_valid("2025-1-01", 9));
	CHECK(!date_valid("2025/01/01", 10));
	CHECK(!date_valid("0000-01-01", 10));
	CHECK(!date_valid("2025-01-01T", 11));
	CHECK(!date_valid("+025-01-01", 10));

	CHECK_INT(days_from_civil(1970, 1, 1), 0);
	CHECK_INT(days_from_civil(2000, 3, 1), 11017);
	CHECK_INT(days_from_civil(1969, 12, 31), -1);
	for (z = -800000; z <= 800000; z += 997) {
		civil_from_days(z, &y, &m, &d);
		if (days_from_civil(y, m, d) != z) {
			CHECK_INT(days_from_civil(y, m, d), z);
			break;
		}
	}
	CHECK(z > 800000);

	CHECK_STR(canon("2025-03-04T05:06:07Z"), "2025-03-04T05:06:07Z");
	CHECK_STR(canon("2025-03-04t05:06:07z"), "2025-03-04T05:06:07Z");
	CHECK_STR(canon("2025-03-04 05:06:07"), "2025-03-04T05:06:07Z");
	CHECK_STR(canon("2025-03-04T05:06:07.250000Z"), "2025-03-04T05:06:07.25Z");
	CHECK_STR(canon("2025-03-04T05:06:07.000Z"), "2025-03-04T05:06:07Z");
	CHECK_STR(canon("2025-03-04T05:06:07.123456Z"), "2025-03-04T05:06:07.123456Z");
	CHECK_STR(canon("2025-03-04T05:06:07+02:00"), "2025-03-04T03:06:07Z");
	CHECK_STR(canon("2025-03-04T01:30:00+02:00"), "2025-03-03T23:30:00Z");
	CHECK_STR(canon("2024-12-31T22:00:00-05:30"), "2025-01-01T03:30:00Z");
	CHECK_STR(canon("2024-03-01T00:15:00+01:00"), "2024-02-29T23:15:00Z");
	CHECK_STR(canon("2025-03-04T05:06:07.5-00:00"), "2025-03-04T05:06:07.5Z");
	CHECK_STR(canon("2025-02-29T00:00:00Z"), "(refused)");
	CHECK_STR(canon("2025-03-04T24:00:00Z"), "(refused)");
	CHECK_STR(canon("2025-03-04T05:60:00Z"), "(refused)");
	CHECK_STR(canon("2025-03-04T05:06:07"), "2025-03-04T05:06:07Z");
	CHECK_STR(canon("2025-03-04T05:06:07.Z"), "(refused)");
	CHECK_STR(canon("2025-03-04T05:06:07ZZ"), "(refused)");
	CHECK_STR(canon("2025-03-04T05:06:07+0200"), "(refused)");
	CHECK_STR(canon("2025-03-04"), "(refused)");
	CHECK_STR(canon("0001-01-01T00:30:00+01:00"), "(refused)");
	CHECK_STR(canon("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z");
	CHECK_STR(canon("2025-03-04T05:06:07.123456000Z"), "2025-03-04T05:06:07.123456Z");
	CHECK_STR(canon("2025-03-04T05:06:07.100000000+01:00"), "2025-03-04T04:06:07.1Z");
	CHECK_INT(timestamp_canon("2025-03-04T05:06:07.1234567Z", 28, out, &why), 0);
	CHECK_HAS(why, "finer than microseconds");
	CHECK_INT(timestamp_canon("2025-03-04T05:06:07.1234560000Z", 31, out, &why), 0);
	CHECK_HAS(why, "more than 9 fractional digits");
	CHECK_INT(timestamp_canon("2025-03-04T05:06:07+25:00", 25, out, &why), 0);
	CHECK_HAS(why, "offset");
	/* The current time: canonical (it reads back to itself) and the same instant as its epoch. */
	{
		char now[TS_CANON_MAX], again[TS_CANON_MAX];
		double epoch;
		size_t n = timestamp_now(now, &epoch);
		long long day = (long long)(epoch / 86400);
		long long yy;
		unsigned mm, dd;
		CHECK(n >= 20);
		CHECK_INT(n, strlen(now));
		CHECK_STR(canon(now), now);
		CHECK_INT(timestamp_canon(now, n, again, NULL), n);
		civil_from_days(day, &yy, &mm, &dd);
		snprintf(again, sizeof again, "%04lld-%02u-%02u", yy, mm, dd);
		CHECK(strncmp(now, again, 10) == 0);
		CHECK(now[n - 1] == 'Z');
	}

	/* timestamp_epoch and timestamp_from_epoch: inverse of each other */
	{
		double e;
		char ts[TS_CANON_MAX];
		CHECK_INT(timestamp_epoch("1970-01-01T00:00:00Z", &e), 0);
		CHECK(e == 0);
		CHECK_INT(timestamp_epoch("2026-11-30T11:45:02.25+01:00", &e), 0);
		CHECK(fabs(e - (20787.0 * 86400 + 10 * 3600 + 45 * 60 + 2.25)) < 1e-6);
		timestamp_from_epoch(e, ts);
		CHECK_STR(ts, "2026-11-30T10:45:02.25Z");
		CHECK_INT(timestamp_epoch("1969-12-31T23:59:59.5Z", &e), 0);
		CHECK(fabs(e + 0.5) < 1e-9);
		timestamp_from_epoch(-0.5, ts);
		CHECK_STR(ts, "1969-12-31T23:59:59.5Z");
		timestamp_from_epoch(86400.000001, ts);
		CHECK_STR(ts, "1970-01-02T00:00:00.000001Z");
		CHECK_INT(timestamp_epoch("2026-11-30", &e), -1);
		CHECK_INT(timestamp_epoch("not a time", &e), -1);
	}

	return h_done("timefmt");
}
