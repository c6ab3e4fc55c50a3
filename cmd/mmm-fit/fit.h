#ifndef AELP_MMM_FIT_H
#define AELP_MMM_FIT_H

/* What main.c parsed; fit_run() does the rest (read, sample, diagnose, write). */
struct fit_opts {
	const char *input;        /* file or "-" */
	int grain;                /* MMM_GRAIN_* */
	int periods;              /* window: last N periods, 0 = all */
	int adstock;              /* MMM_GEOMETRIC or MMM_DELAYED */
	int max_lag;              /* 0 = default */
	const char *priors;       /* JSON file or NULL */
	unsigned long seed;
	int chains, warmup, draws, threads, dense, max_depth;
	double target_accept;
	const char *run_id;       /* NULL: mmm-END-sSEED */
	const char *kpi;          /* label: conversions (default) or revenue */
	double value;             /* value per conversion, 0 = none */
	int value_from_ltv;       /* --value-per-conversion ltv */
	const char *value_run_id; /* the ltv-fit run the value came from, or NULL */
	double value_low, value_high; /* its prior's 90% interval */
	double budget;            /* total daily budget, 0 = current total */
	double bound_pct;         /* per-channel bounds, percent of current */
	int current_days;         /* days that define "current" spend */
	int curve_points;
	int grid;                 /* allocator grid units */
	const char *stan_data;    /* write the model's data for Stan, or NULL */
	double rhat_max, div_max;
	int progress;             /* -1 auto (stderr is a terminal), 0 off, 1 on */
};

void fit_defaults(struct fit_opts *o);

/* Returns the exit status (0, 1 diagnostics failed, 2, 65, 70). */
int fit_run(const struct fit_opts *o);

#endif
