/*
 * JSON output as Python's json module writes it: floats in their shortest
 * round-trip text (jw_real), keys in insertion order.
 */
#include <stdint.h>
#include <string.h>

#include "die.h"
#include "gx.h"
#include "ndjson.h"

static void jwrite(FILE *out, const json_t *v, int indent, int depth)
{
	size_t i, n;
	const char *k;
	json_t *x;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			fputs("{}", out);
			break;
		}
		fputc('{', out);
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			if (!first)
				fputc(',', out);
			first = 0;
			if (indent)
				fprintf(out, "\n%*s", (depth + 1) * indent, "");
			jw_str(out, k, strlen(k));
			fputs(indent ? ": " : ":", out);
			jwrite(out, x, indent, depth + 1);
		}
		if (indent)
			fprintf(out, "\n%*s", depth * indent, "");
		fputc('}', out);
		break;
	case JSON_ARRAY:
		n = json_array_size(v);
		if (n == 0) {
			fputs("[]", out);
			break;
		}
		fputc('[', out);
		for (i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			if (indent)
				fprintf(out, "\n%*s", (depth + 1) * indent, "");
			jwrite(out, json_array_get(v, i), indent, depth + 1);
		}
		if (indent)
			fprintf(out, "\n%*s", depth * indent, "");
		fputc(']', out);
		break;
	case JSON_STRING:
		jw_str(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jw_int(out, (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		jw_real(out, json_real_value(v));
		break;
	case JSON_TRUE: fputs("true", out); break;
	case JSON_FALSE: fputs("false", out); break;
	default: fputs("null", out); break;
	}
}

void gx_json_write(FILE *out, const json_t *v, int indent)
{
	jwrite(out, v, indent, 0);
}

char *gx_json_text(const json_t *v)
{
	char *t = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&t, &n);
	if (!m)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	jwrite(m, v, 0, 0);
	if (fclose(m) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	return t;
}
