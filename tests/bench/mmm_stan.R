# The Stan side of tests/bench/mmm.sh: rstan's NUTS on tests/bench/mmm.stan.
#
#   Rscript mmm_stan.R DATA.json OUT.json SEED CHAINS WARMUP DRAWS
#
# DATA.json is what `mmm-fit --stan-data FILE` writes (tests/bench/mmm.stan says
# what it holds).  The model is compiled once and cached as an .rds in
# $MMM_STAN_CACHE (default build/bench/stan-cache), keyed by the model text's
# MD5, so compiling is not in the sampling time; it is reported on its own.
# Sampling: NUTS, diagonal metric, adapt_delta 0.8, max_treedepth 10, the
# chains in parallel (cores = CHAINS), Stan's default initial points.
#
# OUT.json:
#   compile_seconds (0 when the cache had the model), cached,
#   wall_seconds      wall clock of sampling() (warm-up and draws, all chains),
#   chain_seconds     sum over chains of get_elapsed_time() warm-up + sample,
#   per_chain_seconds each chain's (the wall clock is about the slowest chain's),
#   warmup_seconds, sample_seconds (summed over chains),
#   divergences, max_treedepth_hits, grad_evals (leapfrog steps, kept draws),
#   grad_evals_total (warm-up included, as mmm-fit's diagnostics.grad_evals),
#   names             mmm-fit's parameter names (from DATA.json), and per name
#   params: {name: {stan, mean, sd, ess_bulk, ess_tail, rhat, ess_mean}},
#   min_ess_bulk, max_rhat, ess_per_second (min_ess_bulk / wall_seconds).
# ess_bulk / ess_tail / Rhat are rstan's (Vehtari et al. 2021), as mmm-fit's diag.c.
# Needs r-cran-rstan and r-cran-jsonlite.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 6) {
	cat("usage: Rscript mmm_stan.R DATA.json OUT.json SEED CHAINS WARMUP DRAWS\n", file = stderr())
	quit(status = 2)
}
data_file <- args[1]
out_file <- args[2]
seed <- as.integer(args[3])
chains <- as.integer(args[4])
warmup <- as.integer(args[5])
draws <- as.integer(args[6])
if (anyNA(c(seed, chains, warmup, draws)) || chains < 1 || warmup < 0 || draws < 1) {
	cat("mmm_stan.R: SEED CHAINS WARMUP DRAWS must be integers (CHAINS, DRAWS >= 1)\n", file = stderr())
	quit(status = 2)
}

suppressPackageStartupMessages({
	library(rstan)
	library(jsonlite)
})

script_dir <- local({
	a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
	if (length(a)) dirname(normalizePath(sub("^--file=", "", a[1]))) else getwd()
})
stan_file <- file.path(script_dir, "mmm.stan")
cache_dir <- Sys.getenv("MMM_STAN_CACHE",
			file.path(dirname(dirname(script_dir)), "build", "bench", "stan-cache"))
dir.create(cache_dir, recursive = TRUE, showWarnings = FALSE)

# ---- the model, compiled once ---------------------------------------------------
key <- unname(tools::md5sum(stan_file))
rds <- file.path(cache_dir, paste0("mmm-", key, "-rstan", packageVersion("rstan"), ".rds"))
compile_seconds <- 0
cached <- file.exists(rds)
model <- NULL
if (cached) model <- tryCatch(readRDS(rds), error = function(e) NULL)
if (is.null(model)) {
	cached <- FALSE
	# Debian's r-cran-bh is empty (Boost is the system's, in /usr/include/boost) and
	# rstan wants a folder that holds boost/: give it one (not -I/usr/include itself,
	# which breaks the C++ library's #include_next).
	boost_lib <- NULL
	if (!file.exists(file.path(rstan_options("boost_lib"), "boost")) && dir.exists("/usr/include/boost")) {
		boost_lib <- file.path(cache_dir, "boost-include")
		dir.create(boost_lib, showWarnings = FALSE)
		if (!file.exists(file.path(boost_lib, "boost"))) invisible(file.symlink("/usr/include/boost", file.path(boost_lib, "boost")))
	}
	t0 <- proc.time()[["elapsed"]]
	model <- stan_model(stan_file, model_name = "mmm", boost_lib = boost_lib)
	compile_seconds <- proc.time()[["elapsed"]] - t0
	tmp_rds <- paste0(rds, ".", Sys.getpid())
	saveRDS(model, tmp_rds)
	invisible(file.rename(tmp_rds, rds))
}

# ---- the data -------------------------------------------------------------------
d <- fromJSON(data_file, simplifyVector = TRUE)
T <- as.integer(d$T); C <- as.integer(d$C); F <- as.integer(d$F); K <- as.integer(d$K)

# rows x T matrix from the JSON's array of `rows` arrays of T numbers (any may be empty)
as_rows <- function(v, rows, what) {
	if (rows == 0) return(matrix(0, 0, T))
	m <- if (is.list(v)) do.call(rbind, lapply(v, as.numeric)) else as.matrix(v)
	if (is.null(dim(m)) || nrow(m) != rows) m <- matrix(as.numeric(unlist(v)), nrow = rows, byrow = TRUE)
	if (nrow(m) != rows || ncol(m) != T) stop(sprintf("%s: expected %d arrays of %d numbers", what, rows, T))
	storage.mode(m) <- "double"
	m
}
vec <- function(v, n, what) {
	v <- as.numeric(unlist(v))
	if (length(v) != n) stop(sprintf("%s: expected %d numbers, got %d", what, n, length(v)))
	v
}
x <- as_rows(d$x, C, "x")
fm <- t(as_rows(d$f, F, "f"))   # T x F
zm <- t(as_rows(d$z, K, "z"))   # T x K
sd_data <- list(
	T = T, C = C, F = F, K = K, L = as.integer(d$L), delayed = as.integer(d$delayed),
	x = x, y = vec(d$y, T, "y"), u = vec(d$u, T, "u"), f = fm, z = zm,
	alpha_a = array(vec(d$alpha_a, C, "alpha_a")), alpha_b = array(vec(d$alpha_b, C, "alpha_b")),
	k_mu = array(vec(d$k_mu, C, "k_mu")), k_sd = array(vec(d$k_sd, C, "k_sd")),
	s_shape = array(vec(d$s_shape, C, "s_shape")), s_rate = array(vec(d$s_rate, C, "s_rate")),
	rho_sd = array(vec(d$rho_sd, C, "rho_sd")),
	tau_mu = d$tau_mu, tau_sd = d$tau_sd, delta_sd = d$delta_sd, gamma_sd = d$gamma_sd,
	zeta_sd = d$zeta_sd, sigma_sd = d$sigma_sd)

# Stan's names in mmm-fit's order: per channel alpha, K, S, rho [, theta], then the rest.
per <- c("alpha", "Khalf", "S", "rho", if (sd_data$delayed == 1) "theta")
stan_names <- c(as.vector(t(outer(seq_len(C), per, function(c, p) sprintf("%s[%d]", p, c)))),
		"tau", "delta", if (F > 0) sprintf("gamma[%d]", seq_len(F)),
		if (K > 0) sprintf("zeta[%d]", seq_len(K)), "sigma")
names_ours <- as.character(unlist(d$names))
if (length(names_ours) != length(stan_names))
	stop(sprintf("names: %d in the data, the model has %d parameters", length(names_ours), length(stan_names)))
kinds <- sub("\\[.*", "", names_ours)
want <- sub("^Khalf$", "K", sub("\\[.*", "", stan_names))
if (any(kinds != want))
	stop(sprintf("names: mmm-fit's %s is the model's %s (the order of model.h changed?)",
		     names_ours[kinds != want][1], stan_names[kinds != want][1]))

# ---- sampling -------------------------------------------------------------------
t0 <- proc.time()[["elapsed"]]
fit <- sampling(model, data = sd_data, chains = chains, iter = warmup + draws, warmup = warmup,
		seed = seed, cores = chains, algorithm = "NUTS",
		control = list(adapt_delta = 0.8, max_treedepth = 10, metric = "diag_e"),
		refresh = 0, show_messages = FALSE)
wall <- proc.time()[["elapsed"]] - t0
if (fit@mode != 0) stop("sampling failed")

el <- get_elapsed_time(fit)
sp <- get_sampler_params(fit, inc_warmup = FALSE)
divergences <- sum(sapply(sp, function(s) sum(s[, "divergent__"])))
treedepth_hits <- sum(sapply(sp, function(s) sum(s[, "treedepth__"] >= 10)))
grad_evals <- sum(sapply(sp, function(s) sum(s[, "n_leapfrog__"])))
grad_evals_total <- sum(sapply(get_sampler_params(fit, inc_warmup = TRUE), function(s) sum(s[, "n_leapfrog__"])))
sims <- as.array(fit, pars = stan_names)   # iterations x chains x parameters

params <- list()
for (i in seq_along(stan_names)) {
	s <- matrix(sims[, , stan_names[i]], ncol = chains)
	# ess_mean: the ESS of the mean (rstan's monitor() n_eff, split chains, no rank
	# normalisation): the one that sets the Monte Carlo error of a posterior mean
	mon <- monitor(array(s, c(nrow(s), chains, 1)), warmup = 0, print = FALSE)
	params[[names_ours[i]]] <- list(stan = stan_names[i], mean = mean(s), sd = sd(as.vector(s)),
					 ess_bulk = ess_bulk(s), ess_tail = ess_tail(s), rhat = Rhat(s),
					 ess_mean = unname(mon[1, "n_eff"]))
}
ess <- sapply(params, function(p) p$ess_bulk)
rh <- sapply(params, function(p) p$rhat)
res <- list(
	stan_version = as.character(packageVersion("rstan")), chains = chains, warmup = warmup, draws = draws,
	seed = seed, compile_seconds = compile_seconds, cached = cached, wall_seconds = wall,
	chain_seconds = sum(el), per_chain_seconds = I(unname(rowSums(el))), warmup_seconds = sum(el[, "warmup"]), sample_seconds = sum(el[, "sample"]),
	divergences = divergences, max_treedepth_hits = treedepth_hits, grad_evals = grad_evals,
	grad_evals_total = grad_evals_total,
	step_size = I(sapply(sp, function(s) s[1, "stepsize__"])),
	names = names_ours, params = params,
	min_ess_bulk = min(ess), max_rhat = max(rh), ess_per_second = min(ess) / wall)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null"), out_file)
