/*
 * flow-step: run one step of a flow and leave its trail in the warehouse
 * (ops_flow_runs; ops_alerts when it fails), exiting with the step's code so
 * that the flow stops there.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "record.h"
#include "report.h"
#include "schema.h"

enum { O_FLOW = 'f', O_RUN = 'r', O_STEP = 's', O_GATE = 'g', O_SCHEMAS = 'S', O_QUIET = 'q' };

static const struct opt options[] = {
	{ O_FLOW, "flow", 'f', "NAME", "the flow, e.g. nightly or weekly" },
	{ O_RUN, "run-id", 'r', "ID", "the flow run (default $AELP2_RUN_ID)" },
	{ O_STEP, "step", 's', "NAME", "the step, e.g. ingest or gx_gate" },
	{ O_GATE, "gate", 'g', NULL, "the step is a gate: its exit 1 is a gate_failed alert" },
	{ O_SCHEMAS, "schemas", 0, "DIR", "read the contract from DIR" },
	{ O_QUIET, "quiet", 'q', NULL, "no closing line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"flow-step",
	"--flow NAME --run-id ID --step NAME [--gate] -- COMMAND [ARG...]",
	"Run COMMAND as one step of a flow and record it in the warehouse.  Before the step\n"
	"starts, an ops_flow_runs row (run_id, step) says \"running\"; when it ends, the row is\n"
	"replaced by the outcome: status ok or failed, exit code, start, end, duration, rows\n"
	"and a message (the step's last line on stderr).  A failed step also writes an\n"
	"ops_alerts row naming the step and the reason (the last lines of its stderr and\n"
	"what its programs reported).  flow-step exits with COMMAND's exit status (128+N when\n"
	"signal N killed it), so `set -e` stops the flow at the first failing step.\n"
	"\n"
	"COMMAND's stdout and stderr pass through.  It runs with AELP2_RUN_ID, AELP2_FLOW,\n"
	"AELP2_STEP set, and AELP2_STEP_REPORT naming a file where AELP2 programs (bq-load,\n"
	"gx-check) each append one line of what they did; from those lines come rows_in (the\n"
	"most rows any program of the step read) and rows_out (the rows its programs wrote\n"
	"to the warehouse), and the step's details JSON.  A step with no such program has\n"
	"null rows.  Re-running a step of the same run replaces its ops_flow_runs row; every\n"
	"failure gets its own alert.\n"
	"\n"
	"COMMAND runs in a process group of its own: SIGTERM, SIGINT (^C) or SIGHUP sent to\n"
	"flow-step reaches every program of the step (a whole pipe, not only its shell), and\n"
	"the end is still recorded.  A step's stdin is /dev/null when it would be a terminal.",
	options,
	WH_ENV_HELP
	"\n"
	"Examples:\n"
	"  flow-step --flow nightly --run-id nightly-2026-11-29 --step gx_gate --gate -- gx-check --all\n"
	"  flow-step -f nightly -r \"$run\" -s ingest -- bash -c 'sim-generate --days 1 | bq-load --upsert'\n",
};

struct args {
	const char *flow, *run_id, *step, *schemas;
	int gate, quiet;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_FLOW: a->flow = arg; break;
	case O_RUN: a->run_id = arg; break;
	case O_STEP: a->step = arg; break;
	case O_GATE: a->gate = 1; break;
	case O_SCHEMAS: a->schemas = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* Names go into ids and messages: letters, digits and . _ - : only. */
static void check_name(const char *what, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;
	if (n == 0)
		usage_error(&spec, "%s is required", what);
	if (n > 120)
		usage_error(&spec, "%s '%.20s...' is longer than 120 characters", what, s);
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == ':'))
			usage_error(&spec, "%s '%s' may hold only letters, digits and . _ - :", what, s);
	}
}

/* ---- the step's stderr: passed through, its tail kept for the message ---- */

#define TAIL_MAX 8192

struct tail {
	char buf[TAIL_MAX];
	size_t len;         /* bytes held, at most TAIL_MAX */
	size_t start;       /* ring start */
};

static void tail_add(struct tail *t, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (t->len < TAIL_MAX) {
			t->buf[(t->start + t->len) % TAIL_MAX] = p[i];
			t->len++;
		} else {
			t->buf[t->start] = p[i];
			t->start = (t->start + 1) % TAIL_MAX;
		}
	}
}

/* The tail as text with invalid UTF-8 and control bytes replaced by '?'. */
static char *tail_text(const struct tail *t)
{
	char *raw = xmalloc(t->len + 1), *out = xmalloc(t->len + 1);
	size_t i, o = 0;
	for (i = 0; i < t->len; i++)
		raw[i] = t->buf[(t->start + i) % TAIL_MAX];
	for (i = 0; i < t->len;) {
		unsigned char c = (unsigned char)raw[i];
		size_t n = c < 0x80 ? 1 : utf8_len((const unsigned char *)raw + i,
						     (const unsigned char *)raw + t->len);
		if (n == 0 || (c < 0x20 && c != '\n')) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, raw + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = 0;
	free(raw);
	return out;
}

/* The last `max` non-empty lines of text, as a JSON array. */
static json_t *last_lines(const char *text, int max)
{
	json_t *all = json_array(), *tailv = json_array();
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n)
			json_array_append_new(all, json_stringn(p, n));
		p += n + (e != NULL);
	}
	size_t k = json_array_size(all), i = k > (size_t)max ? k - (size_t)max : 0;
	for (; i < k; i++)
		json_array_append(tailv, json_array_get(all, i));
	json_decref(all);
	return tailv;
}

/* ---- running the command ---- */

/*
 * The step runs in a process group of its own, so that a signal for the
 * step (SIGTERM from a scheduler, ^C from the terminal, a hang-up) reaches
 * every program of its pipe, not only the shell that started them.
 * flow-step catches those signals from before it records the start: one
 * that comes before the step starts stops it from starting; later ones are
 * passed to the step's group, and the end is recorded either way.
 */
static volatile sig_atomic_t child_pgid;    /* the step's process group, once started */
static volatile sig_atomic_t pending_sig;   /* a signal that came before the step started */

static void on_signal(int sig)
{
	if (child_pgid > 0)
		kill(-(pid_t)child_pgid, sig);
	else
		pending_sig = sig;
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP };

static void catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* Run cmd; its exit status, or 128+N when signal N ended it (or stopped it from starting). */
static int run(char **cmd, const struct args *a, const char *report, struct tail *t)
{
	sigset_t block, old;
	int fds[2], status;
	pid_t pid;
	char buf[4096];
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (pending_sig) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 128 + pending_sig;
	}
	if (pipe(fds) != 0)
		die(AELP_EXIT_SOFTWARE, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(AELP_EXIT_SOFTWARE, "fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
			signal(forwarded[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		if (dup2(fds[1], 2) < 0)
			_exit(AELP_EXIT_SOFTWARE);
		close(fds[1]);
		/* Outside the terminal's foreground group a read from it would stop the
		 * step; a step reads its input from files and pipes, never the terminal. */
		if (isatty(0)) {
			int null = open("/dev/null", O_RDONLY);
			if (null >= 0 && null != 0) {
				dup2(null, 0);
				close(null);
			}
		}
		setenv("AELP2_RUN_ID", a->run_id, 1);
		setenv("AELP2_FLOW", a->flow, 1);
		setenv("AELP2_STEP", a->step, 1);
		setenv(STEP_REPORT_ENV, report, 1);
		execvp(cmd[0], cmd);
		fprintf(stderr, "flow-step: cannot run '%s': %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(pid, pid);   /* also here: no window in which a signal misses the group */
	child_pgid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tail_add(t, buf, (size_t)n);
		if (write(2, buf, (size_t)n) < 0) {
			/* our stderr is gone; the tail still reaches the warehouse */
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(AELP_EXIT_SOFTWARE, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Fold the report lines into rows and a JSON array; a line that is not a JSON object is skipped. */
static json_t *read_reports(const char *path, long long *rows_in, long long *rows_out)
{
	json_t *reports = json_array();
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	*rows_in = *rows_out = -1;
	if (!f)
		return reports;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *r = json_loadb(line, (size_t)n, 0, NULL);
		if (!json_is_object(r)) {
			json_decref(r);
			continue;
		}
		json_t *in = json_object_get(r, "rows_in"), *out = json_object_get(r, "rows_out");
		if (json_is_integer(in) && json_integer_value(in) > *rows_in)
			*rows_in = json_integer_value(in);
		if (json_is_integer(out))
			*rows_out = (*rows_out < 0 ? 0 : *rows_out) + json_integer_value(out);
		json_array_append_new(reports, r);
	}
	free(line);
	fclose(f);
	return reports;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct step_run r;
	struct step_alert alert;
	struct wh_err err = { 0 };
	struct tail *t;
	struct schema_set *set;
	double t0, t1;
	int first, code;

	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (!a.run_id)
		a.run_id = getenv("AELP2_RUN_ID");
	check_name("--flow", a.flow);
	check_name("--run-id", a.run_id);
	check_name("--step", a.step);
	if (first >= argc)
		usage_error(&spec, "no command to run (give it after --)");
	set = schema_load(a.schemas);

	memset(&r, 0, sizeof r);
	r.run_id = a.run_id;
	r.flow = a.flow;
	r.step = a.step;
	r.status = "running";
	r.exit_code = -1;
	r.rows_in = r.rows_out = -1;
	/* The programs' report file, made before the start is recorded, so that
	 * no failure leaves a row saying "running". */
	char *report_path;
	close(xmkstemp("flow-step", &report_path));

	catch_signals();
	timestamp_now(r.started_at, &t0);
	if (record_step(set, &r, NULL, &err) != 0)
		die(err.code, "cannot record the start of step '%s': %s", a.step, err.msg);

	t = xcalloc(1, sizeof *t);
	code = run(argv + first, &a, report_path, t);
	timestamp_now(r.finished_at, &t1);
	r.duration = t1 - t0 < 0 ? 0 : t1 - t0;
	r.exit_code = code;
	r.status = code == 0 ? "ok" : "failed";

	json_t *reports = read_reports(report_path, &r.rows_in, &r.rows_out);
	unlink(report_path);
	free(report_path);

	char *text = tail_text(t);
	json_t *lines = last_lines(text, 20);
	size_t nl = json_array_size(lines);
	const char *last = nl ? json_string_value(json_array_get(lines, nl - 1)) : NULL;
	json_t *cmd = json_array();
	for (int i = first; i < argc; i++) {
		json_t *arg = json_string(argv[i]);   /* NULL when not UTF-8 */
		json_array_append_new(cmd, arg ? arg : json_string("?"));
	}

	json_t *details = json_pack("{s:o, s:o}", "command", cmd, "reports", reports);
	char *message = NULL, *details_text, *alert_details = NULL;
	if (code == 0) {
		message = xstrdup(last ? last : "ok");
	} else {
		/* The reason: the step's last lines on stderr (what it said when it stopped). */
		size_t i, k = nl > 5 ? nl - 5 : 0, len = 0;
		char *why = xstrdup("");
		for (i = k; i < nl; i++) {
			char *next = xasprintf("%s%s%s", why, i > k ? " | " : "",
					       json_string_value(json_array_get(lines, i)));
			free(why);
			why = next;
		}
		len = strlen(why);
		if (len > 2000)
			why[2000] = 0;   /* cut at a byte; repaired below */
		message = xasprintf("step %s of flow %s failed with exit %d%s%s", a.step, a.flow, code,
				    len ? ": " : "", why);
		free(why);
		json_object_set(details, "stderr_tail", lines);
	}
	details_text = json_dumps(details, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!details_text)
		die(AELP_EXIT_SOFTWARE, "cannot encode the step's details");
	{
		/* A cut through a UTF-8 sequence becomes '?'. */
		struct tail m = { .len = 0 };
		size_t ml = strlen(message);
		if (ml > TAIL_MAX - 1)
			ml = TAIL_MAX - 1;
		tail_add(&m, message, ml);
		free(message);
		message = tail_text(&m);
	}
	r.message = message;
	r.details = details_text;

	int have_alert = code != 0;
	if (have_alert) {
		snprintf(alert.alert_id, sizeof alert.alert_id, "%s/%s/%s", a.run_id, a.step, r.finished_at);
		alert.alert_type = a.gate && code == AELP_EXIT_GATE ? "gate_failed" : "step_failed";
		alert.message = message;
		alert_details = json_dumps(details, JSON_COMPACT | JSON_ENSURE_ASCII);
		alert.details = alert_details;
	}
	if (record_step(set, &r, have_alert ? &alert : NULL, &err) != 0) {
		warn("cannot record the end of step '%s': %s", a.step, err.msg);
		if (code == 0)
			code = err.code;
	}
	if (!a.quiet) {
		char rows[96] = "";
		if (r.rows_in >= 0 || r.rows_out >= 0)
			snprintf(rows, sizeof rows, " (rows in %lld, out %lld)", r.rows_in < 0 ? 0 : r.rows_in,
				 r.rows_out < 0 ? 0 : r.rows_out);
		if (r.exit_code == 0)
			warn("%s/%s: ok in %.2f s%s", a.flow, a.step, r.duration, rows);
		else
			warn("%s/%s: failed with exit %d in %.2f s%s; alert %s", a.flow, a.step, r.exit_code,
			     r.duration, rows, alert.alert_id);
	}
	json_decref(details);
	json_decref(lines);
	free(text);
	free(t);
	free(message);
	free(details_text);
	free(alert_details);
	schema_free(set);
	return code > 255 ? 255 : code;
}
