#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ndjson.h"

static char path[] = "/tmp/aelp-unit-ndjson-XXXXXX";

static void write_file(const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
}

static const char *real_text(double v)
{
	static char buf[40];
	fmt_real(buf, v);
	return buf;
}

static void open_missing(const void *arg)
{
	nd_open((const char *)arg);
}

static const char *str_text(const char *s, size_t n)
{
	static char *buf;
	static size_t len;
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	jw_str(f, s, n);
	fclose(f);
	return buf;
}

int main(void)
{
	struct nd_reader *r;
	struct nd_line l;
	size_t big = 3 * 1024 * 1024 + 17, i;
	char *data, err[512];
	int fd = mkstemp(path);
	double samples[] = { 0.1, 1.0 / 3, 2.5e-300, 1.7976931348623157e308, 123456.789012,
			     9007199254740993.0, 1e21, 4.9e-324, -2.75, 6.9e276, -9.3e18, 1e15 + 0.5 };

	close(fd);

	/* CRLF, blank lines (counted, skipped), a final line with no newline. */
	write_file("{\"a\":1}\r\n\n   \r\n{\"b\":2}\n\t\n{\"c\":3}", 32);  /* 32 bytes: no NUL */
	r = nd_open(path);
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_STR(l.text, "{\"a\":1}");
	CHECK_INT(l.len, 7);
	CHECK_INT(l.lineno, 1);
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_STR(l.text, "{\"b\":2}");
	CHECK_INT(l.lineno, 4);
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_STR(l.text, "{\"c\":3}");
	CHECK_INT(l.lineno, 6);
	CHECK_INT(nd_next(r, &l), 0);
	CHECK_INT(nd_next(r, &l), 0);
	CHECK_STR(nd_name(r), path);
	nd_close(r);

	/* nd_tee: every byte read is copied, as it was; a final line gets its newline. */
	{
		static const char text[] = "{\"a\":1}\r\n\n  \n{\"a\":2}";
		FILE *copy = tmpfile();
		char back[64] = { 0 };
		int k;
		write_file(text, sizeof text - 1);
		for (k = 0; k < 2; k++) {          /* the same file twice, copied one after the other */
			r = nd_open(path);
			nd_tee(r, copy);
			while (nd_next(r, &l))
				;
			nd_close(r);
		}
		rewind(copy);
		CHECK_INT(fread(back, 1, sizeof back - 1, copy), 2 * sizeof text);
		CHECK_STR(back, "{\"a\":1}\r\n\n  \n{\"a\":2}\n{\"a\":1}\r\n\n  \n{\"a\":2}\n");
		fclose(copy);
	}

	/* An empty file, and one of only newlines. */
	write_file("", 0);
	r = nd_open(path);
	CHECK_INT(nd_next(r, &l), 0);
	nd_close(r);
	write_file("\n\n\n", 3);
	r = nd_open(path);
	CHECK_INT(nd_next(r, &l), 0);
	nd_close(r);

	/* A line longer than the buffer, between two short ones; a NUL byte kept. */
	data = malloc(big + 40);
	memcpy(data, "x\n", 2);
	for (i = 2; i < big + 2; i++)
		data[i] = (char)('a' + i % 26);
	data[100] = '\0';
	memcpy(data + big + 2, "\ny\n", 3);
	write_file(data, big + 5);
	r = nd_open(path);
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_STR(l.text, "x");
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_INT(l.len, big);
	CHECK_INT(l.lineno, 2);
	CHECK(memcmp(l.text, data + 2, big) == 0);
	CHECK_INT(l.text[98], 0);
	CHECK_INT(nd_next(r, &l), 1);
	CHECK_STR(l.text, "y");
	CHECK_INT(l.lineno, 3);
	CHECK_INT(nd_next(r, &l), 0);
	nd_close(r);
	free(data);
	unlink(path);

	CHECK_INT(expect_exit(open_missing, "/nonexistent/file.ndjson", err, sizeof err), 2);
	CHECK_HAS(err, "cannot open '/nonexistent/file.ndjson'");

	/* Writer: escapes, integers, floats that read back exactly and stay floats. */
	CHECK_STR(str_text("a\"b\\c\n\t\x01", 8), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
	CHECK_STR(str_text("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
	CHECK_STR(str_text("a\xff\xc3", 3), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	{
		FILE *nul = fopen("/dev/null", "w");
		CHECK_INT(jw_str(nul, "ok \xe2\x82\xac", 6), 0);
		CHECK_INT(jw_str(nul, "bad \xed\xa0\x80", 7), -1);
		fclose(nul);
	}
	CHECK_STR(real_text(3.0), "3.0");
	CHECK_STR(real_text(-0.0), "-0.0");
	CHECK_STR(real_text(0.1), "0.1");
	CHECK_STR(real_text(1e21), "1e+21");
	CHECK_STR(real_text(NAN), "null");
	CHECK_STR(real_text(-2.75), "-2.75");
	CHECK_STR(real_text(593.92), "593.92");
	CHECK_STR(real_text(-0.05), "-0.05");
	CHECK_STR(real_text(0.0001), "0.0001");
	CHECK_STR(real_text(12.34567891), "12.34567891");
	CHECK_STR(real_text(123456.789012), "123456.789012");
	CHECK_STR(real_text(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(real_text(1.0 / 3), "0.3333333333333333");
	for (i = 0; i < sizeof samples / sizeof *samples; i++)
		CHECK(strtod(real_text(samples[i]), NULL) == samples[i]);
	/* Every float read back exactly: many values with few decimals, and raw bit patterns. */
	{
		unsigned long long x = 88172645463325252ULL;
		int bad = 0, k;
		for (k = 0; k < 200000; k++) {
			double v;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (k % 2)
				v = (double)(long long)(x % 2000000001ULL - 1000000000LL) / (k % 3 ? 100.0 : 10000.0);
			else
				memcpy(&v, &x, sizeof v);
			if (isfinite(v) && strtod(real_text(v), NULL) != v && bad++ < 3)
				fprintf(stderr, "float %.17g wrote '%s'\n", v, real_text(v));
		}
		CHECK_INT(bad, 0);
	}
	return h_done("ndjson");
}
