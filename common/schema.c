#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "die.h"
#include "schema.h"

static const char *const type_names[] = {
	"STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP", "JSON"
};

const char *col_type_name(enum col_type t)
{
	return type_names[t];
}

int col_type_parse(const char *s, enum col_type *t)
{
	size_t i;

	for (i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum col_type)i;
			return 0;
		}
	if (strcmp(s, "INTEGER") == 0) { *t = T_INT64; return 0; }
	if (strcmp(s, "FLOAT") == 0) { *t = T_FLOAT64; return 0; }
	if (strcmp(s, "BOOLEAN") == 0) { *t = T_BOOL; return 0; }
	return -1;
}

int ident_valid(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) > 128 || (*s >= '0' && *s <= '9'))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *schema_dir_default(void)
{
	const char *env = getenv("AELP_SCHEMAS");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash, *cand;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			cand = xasprintf("%s/../schemas", exe);
			if (is_dir(cand))
				return cand;
			free(cand);
		}
	}
	return xstrdup("schemas");
}

static char *req_string(json_t *obj, const char *key, const char *file, const char *where)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		die(AELP_EXIT_DATAERR, "%s: %s: '%s' must be a non-empty string", file, where, key);
	return xstrdup(json_string_value(v));
}

static const char *const table_keys[] = {
	"name", "dataset", "description", "columns", "key", "partition", NULL
};
static const char *const column_keys[] = { "name", "type", "mode", "description", NULL };

static void check_keys(json_t *obj, const char *const *allowed, const char *file, const char *where)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (!allowed[i])
			die(AELP_EXIT_DATAERR, "%s: %s: unknown key '%s'", file, where, k);
	}
}

static void load_table(struct table_schema *t, const char *path, const char *base)
{
	json_error_t jerr;
	json_t *root, *cols, *key, *part, *ds;
	size_t i, j;
	char *expect;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		die(AELP_EXIT_DATAERR, "%s:%d: malformed JSON: %s", path, jerr.line, jerr.text);
	if (!json_is_object(root))
		die(AELP_EXIT_DATAERR, "%s: expected a JSON object", path);
	check_keys(root, table_keys, path, "table");
	memset(t, 0, sizeof *t);
	t->file = xstrdup(path);
	t->name = req_string(root, "name", path, "table");
	t->description = req_string(root, "description", path, "table");
	if (!ident_valid(t->name))
		die(AELP_EXIT_DATAERR, "%s: table name '%s' is not a lowercase identifier", path, t->name);
	ds = json_object_get(root, "dataset");
	if (ds && !json_is_null(ds)) {
		t->dataset = req_string(root, "dataset", path, "table");
		if (!ident_valid(t->dataset) || strcmp(t->dataset, "main") == 0 ||
		    strcmp(t->dataset, "temp") == 0)
			die(AELP_EXIT_DATAERR, "%s: dataset '%s' is not a usable identifier", path, t->dataset);
		t->qname = xasprintf("%s.%s", t->dataset, t->name);
	} else {
		t->qname = xstrdup(t->name);
	}
	expect = xasprintf("%s.json", t->qname);
	if (strcmp(base, expect) != 0)
		die(AELP_EXIT_DATAERR, "%s: table '%s' belongs in a file named '%s'", path, t->qname, expect);
	free(expect);

	cols = json_object_get(root, "columns");
	if (!json_is_array(cols) || json_array_size(cols) == 0)
		die(AELP_EXIT_DATAERR, "%s: 'columns' must be a non-empty array", path);
	t->ncols = json_array_size(cols);
	t->cols = xcalloc(t->ncols, sizeof *t->cols);
	for (i = 0; i < t->ncols; i++) {
		json_t *c = json_array_get(cols, i);
		struct column *col = &t->cols[i];
		char where[64], *type, *mode;

		snprintf(where, sizeof where, "column %zu", i + 1);
		if (!json_is_object(c))
			die(AELP_EXIT_DATAERR, "%s: %s: expected an object", path, where);
		check_keys(c, column_keys, path, where);
		col->name = req_string(c, "name", path, where);
		if (!ident_valid(col->name) || col->name[0] == '_')
			die(AELP_EXIT_DATAERR, "%s: %s: name '%s' is not a lowercase identifier "
			    "(letters, digits, '_', not starting with '_')", path, where, col->name);
		for (j = 0; j < i; j++)
			if (strcmp(t->cols[j].name, col->name) == 0)
				die(AELP_EXIT_DATAERR, "%s: %s: column '%s' is declared twice",
				    path, where, col->name);
		type = req_string(c, "type", path, where);
		if (col_type_parse(type, &col->type) != 0)
			die(AELP_EXIT_DATAERR, "%s: %s: unknown type '%s' (STRING, INT64, FLOAT64, "
			    "BOOL, DATE, TIMESTAMP, JSON)", path, where, type);
		free(type);
		mode = req_string(c, "mode", path, where);
		if (strcmp(mode, "REQUIRED") == 0)
			col->required = 1;
		else if (strcmp(mode, "NULLABLE") != 0)
			die(AELP_EXIT_DATAERR, "%s: %s: mode '%s' must be REQUIRED or NULLABLE",
			    path, where, mode);
		free(mode);
		col->description = req_string(c, "description", path, where);
	}

	key = json_object_get(root, "key");
	if (!json_is_array(key) || json_array_size(key) == 0)
		die(AELP_EXIT_DATAERR, "%s: 'key' must be a non-empty array of column names", path);
	t->nkey = json_array_size(key);
	t->key = xcalloc(t->nkey, sizeof *t->key);
	for (i = 0; i < t->nkey; i++) {
		json_t *k = json_array_get(key, i);
		long ci = json_is_string(k) ? schema_column(t, json_string_value(k)) : -1;
		if (ci < 0)
			die(AELP_EXIT_DATAERR, "%s: key %zu: not a column of the table", path, i + 1);
		if (!t->cols[ci].required)
			die(AELP_EXIT_DATAERR, "%s: key column '%s' must be REQUIRED", path, t->cols[ci].name);
		t->key[i] = (size_t)ci;
	}

	t->partition = -1;
	part = json_object_get(root, "partition");
	if (part && !json_is_null(part)) {
		long ci = json_is_string(part) ? schema_column(t, json_string_value(part)) : -1;
		if (ci < 0)
			die(AELP_EXIT_DATAERR, "%s: 'partition' must name a column of the table", path);
		if (t->cols[ci].type != T_DATE && t->cols[ci].type != T_TIMESTAMP)
			die(AELP_EXIT_DATAERR, "%s: partition column '%s' must be DATE or TIMESTAMP",
			    path, t->cols[ci].name);
		t->partition = ci;
	}
	json_decref(root);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		die(AELP_EXIT_USAGE, "cannot open '%s': %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f))
		die(AELP_EXIT_SOFTWARE, "%s: read error: %s", path, strerror(errno));
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len)
		die(AELP_EXIT_DATAERR, "%s: contains a NUL byte", path);
	return buf;
}

/* Split "-- description\nSELECT ..." and trim; dies naming the file when malformed. */
static void view_text(const char *path, char **desc, char **sql)
{
	char *text = slurp(path), *nl, *s, *e;

	if (strncmp(text, "-- ", 3) != 0 || !(nl = strchr(text, '\n')))
		die(AELP_EXIT_DATAERR, "%s:1: the first line must be '-- ' and a description", path);
	*nl = '\0';
	if (desc)
		*desc = xstrdup(text + 3);
	s = nl + 1;
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == ';'))
		e--;
	if (e == s)
		die(AELP_EXIT_DATAERR, "%s: no query after the description line", path);
	*sql = xstrndup(s, (size_t)(e - s));
	free(text);
}

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const struct table_schema *)a)->qname, ((const struct table_schema *)b)->qname);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

struct schema_set *schema_load(const char *dir)
{
	struct schema_set *set = xcalloc(1, sizeof *set);
	struct dirent **ents;
	char *sub;
	int n, i;
	size_t j;

	set->dir = dir ? xstrdup(dir) : schema_dir_default();
	dir = set->dir;
	sub = xasprintf("%s/tables", dir);
	n = scandir(sub, &ents, NULL, alphasort);
	if (n < 0)
		die(AELP_EXIT_USAGE, "cannot read schema folder '%s': %s "
		    "(set AELP_SCHEMAS or --schemas)", sub, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (nm[0] != '.' && ends_with(nm, ".json")) {
			char *path = xasprintf("%s/%s", sub, nm);
			set->tables = xrealloc(set->tables, (set->ntables + 1) * sizeof *set->tables);
			load_table(&set->tables[set->ntables++], path, nm);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	free(sub);
	qsort(set->tables, set->ntables, sizeof *set->tables, cmp_table);
	if (set->ntables == 0)
		die(AELP_EXIT_USAGE, "no table schemas in '%s/tables'", dir);

	sub = xasprintf("%s/views", dir);
	n = scandir(sub, &ents, NULL, alphasort);
	if (n < 0 && errno != ENOENT)
		die(AELP_EXIT_USAGE, "cannot read schema folder '%s': %s", sub, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (nm[0] != '.' && ends_with(nm, ".sqlite.sql")) {
			struct view_def *v;
			char *path = xasprintf("%s/%s", sub, nm), *bq;

			set->views = xrealloc(set->views, (set->nviews + 1) * sizeof *set->views);
			v = &set->views[set->nviews++];
			memset(v, 0, sizeof *v);
			v->name = xstrndup(nm, strlen(nm) - strlen(".sqlite.sql"));
			if (!ident_valid(v->name))
				die(AELP_EXIT_DATAERR, "%s: view name '%s' is not a lowercase identifier",
				    path, v->name);
			if (schema_table(set, v->name))
				die(AELP_EXIT_DATAERR, "%s: view '%s' has the name of a table", path, v->name);
			v->file = path;
			view_text(path, &v->description, &v->sql_sqlite);
			bq = xasprintf("%s/%s.bigquery.sql", sub, v->name);
			if (access(bq, R_OK) != 0)
				die(AELP_EXIT_DATAERR, "%s: view '%s' has no BigQuery variant '%s'",
				    path, v->name, bq);
			view_text(bq, NULL, &v->sql_bigquery);
			free(bq);
		}
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
	free(sub);
	for (j = 0; j + 1 < set->ntables; j++)
		if (strcmp(set->tables[j].qname, set->tables[j + 1].qname) == 0)
			die(AELP_EXIT_DATAERR, "%s: table '%s' is declared twice",
			    set->tables[j + 1].file, set->tables[j].qname);
	return set;
}

const struct table_schema *schema_table(const struct schema_set *set, const char *qname)
{
	size_t lo = 0, hi = set->ntables;

	/* Tables are sorted once loading is done; during loading fall back to a scan. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(qname, set->tables[mid].qname);
		if (c == 0)
			return &set->tables[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (lo = 0; lo < set->ntables; lo++)
		if (strcmp(qname, set->tables[lo].qname) == 0)
			return &set->tables[lo];
	return NULL;
}

long schema_column(const struct table_schema *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].name && strcmp(t->cols[i].name, name) == 0)
			return (long)i;
	return -1;
}

void schema_free(struct schema_set *set)
{
	size_t i, j;

	if (!set)
		return;
	for (i = 0; i < set->ntables; i++) {
		struct table_schema *t = &set->tables[i];
		for (j = 0; j < t->ncols; j++) {
			free(t->cols[j].name);
			free(t->cols[j].description);
		}
		free(t->cols);
		free(t->key);
		free(t->dataset);
		free(t->name);
		free(t->qname);
		free(t->description);
		free(t->file);
	}
	free(set->tables);
	for (i = 0; i < set->nviews; i++) {
		free(set->views[i].name);
		free(set->views[i].description);
		free(set->views[i].sql_sqlite);
		free(set->views[i].sql_bigquery);
		free(set->views[i].file);
	}
	free(set->views);
	free(set->dir);
	free(set);
}
