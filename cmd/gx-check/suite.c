/*
 * Expectation suites as Great Expectations writes them: 1.x ("name",
 * expectations[].type) and 0.18 ("expectation_suite_name",
 * expectations[].expectation_type).  Keys we do not use are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "gx.h"

struct gx_suite *gx_suite_load(const char *path, struct gx_frame *f, int rf_override,
			       int partial_override)
{
	struct gx_suite *s;
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_DECODE_ANY, &je), *exps, *x, *meta, *name;
	size_t i;

	if (!doc) {
		if (je.line < 0 || je.position == 0)
			die(AELP_EXIT_USAGE, "%s: cannot read the suite: %s", path, je.text);
		die(AELP_EXIT_USAGE, "%s:%d: malformed suite JSON: %s", path, je.line, je.text);
	}
	if (!json_is_object(doc))
		die(AELP_EXIT_USAGE, "%s: a suite must be a JSON object", path);
	name = json_object_get(doc, "name");
	if (!json_is_string(name))
		name = json_object_get(doc, "expectation_suite_name");
	if (!json_is_string(name))
		die(AELP_EXIT_USAGE, "%s: the suite has no name (\"name\" or \"expectation_suite_name\")", path);
	exps = json_object_get(doc, "expectations");
	if (!json_is_array(exps))
		die(AELP_EXIT_USAGE, "%s: the suite has no \"expectations\" list", path);

	s = xcalloc(1, sizeof *s);
	s->file = xstrdup(path);
	s->name = xstrdup(json_string_value(name));
	s->doc = doc;
	s->suite_parameters = json_object_get(doc, "suite_parameters");
	if (!json_is_object(s->suite_parameters))
		s->suite_parameters = json_object_get(doc, "evaluation_parameters");
	s->suite_parameters = json_is_object(s->suite_parameters) ? json_incref(s->suite_parameters)
								 : json_object();
	meta = json_object_get(doc, "meta");
	if (json_is_string(json_object_get(meta, "table")))
		s->table = json_string_value(json_object_get(meta, "table"));

	s->ex = xcalloc(json_array_size(exps) + 1, sizeof *s->ex);
	json_array_foreach(exps, i, x) {
		json_t *type = json_object_get(x, "type"), *kwargs;
		if (!json_is_string(type))
			type = json_object_get(x, "expectation_type");
		if (!json_is_object(x) || !json_is_string(type))
			die(AELP_EXIT_USAGE, "%s: expectation %zu: no \"type\" (or \"expectation_type\")", path, i);
		kwargs = json_object_get(x, "kwargs");
		if (!kwargs) {
			kwargs = json_object();
			json_object_set_new(x, "kwargs", kwargs);
		}
		if (!json_is_object(kwargs))
			die(AELP_EXIT_USAGE, "%s: expectation %zu: \"kwargs\" must be an object", path, i);
		s->ex[i] = gx_expect_new(json_string_value(type), kwargs, json_object_get(x, "meta"), f,
					 rf_override, partial_override);
		if (!s->ex[i])
			die(AELP_EXIT_USAGE, "%s: expectation %zu: unknown type '%s' (gx-check --help lists "
			    "the supported expectations)", path, i, json_string_value(type));
		s->nex++;
	}
	return s;
}

void gx_suite_free(struct gx_suite *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->nex; i++)
		gx_expect_free(s->ex[i]);
	free(s->ex);
	json_decref(s->suite_parameters);
	json_decref(s->doc);
	free(s->file);
	free(s->name);
	free(s);
}
