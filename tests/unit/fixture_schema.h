/* A small contract in a temporary folder, for the unit tests. */
#ifndef AELP_FIXTURE_SCHEMA_H
#define AELP_FIXTURE_SCHEMA_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char fx_dir[] = "/tmp/aelp-unit-schema-XXXXXX";

static const char fx_events[] =
	"{\"name\": \"events\", \"description\": \"Test events.\",\n"
	" \"columns\": [\n"
	"  {\"name\": \"event_id\", \"type\": \"STRING\", \"mode\": \"REQUIRED\", \"description\": \"id\"},\n"
	"  {\"name\": \"day\", \"type\": \"DATE\", \"mode\": \"REQUIRED\", \"description\": \"day\"},\n"
	"  {\"name\": \"n\", \"type\": \"INT64\", \"mode\": \"NULLABLE\", \"description\": \"count\"},\n"
	"  {\"name\": \"x\", \"type\": \"FLOAT64\", \"mode\": \"NULLABLE\", \"description\": \"value\"},\n"
	"  {\"name\": \"ok\", \"type\": \"BOOL\", \"mode\": \"NULLABLE\", \"description\": \"flag\"},\n"
	"  {\"name\": \"at\", \"type\": \"TIMESTAMP\", \"mode\": \"NULLABLE\", \"description\": \"when\"},\n"
	"  {\"name\": \"notes\", \"type\": \"JSON\", \"mode\": \"NULLABLE\", \"description\": \"notes\"}\n"
	" ],\n"
	" \"key\": [\"event_id\"], \"partition\": \"day\"}\n";

static const char fx_sessions[] =
	"{\"name\": \"sessions\", \"dataset\": \"users\", \"description\": \"Test sessions.\",\n"
	" \"columns\": [\n"
	"  {\"name\": \"user_id\", \"type\": \"STRING\", \"mode\": \"REQUIRED\", \"description\": \"user\"},\n"
	"  {\"name\": \"seq\", \"type\": \"INT64\", \"mode\": \"REQUIRED\", \"description\": \"n-th\"}\n"
	" ],\n"
	" \"key\": [\"user_id\", \"seq\"], \"partition\": null}\n";

static void fx_write(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", fx_dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Make the folder with tables/events.json, tables/users.sessions.json and a view. */
static const char *fx_make(void)
{
	char sub[256];

	if (!mkdtemp(fx_dir))
		abort();
	snprintf(sub, sizeof sub, "%s/tables", fx_dir);
	mkdir(sub, 0777);
	snprintf(sub, sizeof sub, "%s/views", fx_dir);
	mkdir(sub, 0777);
	fx_write("tables/events.json", fx_events);
	fx_write("tables/users.sessions.json", fx_sessions);
	fx_write("views/events_daily.sqlite.sql",
		 "-- Events per day.\nSELECT day, COUNT(*) AS events, SUM(n) AS n FROM events GROUP BY day ORDER BY day;\n");
	fx_write("views/events_daily.bigquery.sql",
		 "-- Events per day.\nSELECT day, COUNT(*) AS events, SUM(n) AS n FROM `${project}.${dataset}.events` GROUP BY day\n");
	return fx_dir;
}

static void fx_remove(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx_dir);
}

#endif
