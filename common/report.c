#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "report.h"

static char *count_text(long long v)
{
	return v < 0 ? xstrdup("null") : xasprintf("%lld", v);
}

int step_report(const char *program, long long rows_in, long long rows_out,
		const char *details_json)
{
	const char *path = getenv(STEP_REPORT_ENV);
	if (!path || !*path)
		return 0;
	char *in = count_text(rows_in), *out = count_text(rows_out);
	char *line = xasprintf("{\"program\":\"%s\",\"rows_in\":%s,\"rows_out\":%s,\"details\":%s}\n",
			       program, in, out, details_json ? details_json : "null");
	free(in);
	free(out);
	int rc = 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	size_t len = strlen(line);
	/* One write() with O_APPEND: lines from the programs of one pipe do not interleave. */
	if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
		warn("cannot write the step report to '%s': %s", path, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(line);
	return rc;
}

const char *flow_run_id(void)
{
	const char *s = getenv("AELP2_RUN_ID");
	return s && *s ? s : NULL;
}
