#!/usr/bin/env python3
"""lifetimes' side of tests/bench/ltv.sh (the peer).

  lifetimes_peer.py --check
  lifetimes_peer.py fit CSV --out JSON
  lifetimes_peer.py score CSV --model NDJSON --horizon H --discount D [--sample N] --out JSON

CSV is a customer summary with a header: ID or customer_id, x, t_x, T, zbar (the
columns of ../shared/data/clv/cdnow_customers_summary_with_transactions.csv; zbar
0 when x = 0).  It is read with pandas.read_csv.

fit: the calls timed (time.perf_counter around each) are

  BetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T)
  GammaGammaFitter(penalizer_coef=0.0).fit(x[x > 0], zbar[x > 0])

with lifetimes' defaults otherwise (tol 1e-7, scipy.optimize.minimize with
autograd gradients, the Hessian by autograd after the fit: the standard
errors, as ltv-fit computes its own).  lifetimes fits BG/NBD on rescaled
times (t * 10 / max T) and reports a per-customer mean of -LL on that scale,
so the log-likelihood written here is lifetimes' own
_negative_log_likelihood evaluated at the returned (natural-scale) estimates
on the unscaled data, times -n: the sum log-likelihood ltv-fit reports.  The
Gamma-Gamma one is the same function (the full density of zbar, note 025).

score: no fit.  The parameters are the ltv_models rows (segment "all") of an
earlier ltv-fit run, read from --model (bgnbd: r, alpha, a, b; gamma_gamma:
p, q, gamma -> lifetimes' v), set as the fitters' params_; then, vectorised
over every customer (numpy arrays):

  p_alive            = bg.conditional_probability_alive(x, t_x, T)
  E[Y(k)], k = 1..H  = bg.conditional_expected_number_of_purchases_up_to_time(k, x, t_x, T)
  expected_purchases = E[Y(H)]
  expected_spend     = gg.conditional_expected_average_profit(x, zbar)
  clv                = sum_k (E[Y(k)] - E[Y(k-1)]) * expected_spend / (1 + D)^k

clv is lifetimes' customer_lifetime_value loop with a step of one period (its
own function steps by months: freq "W" steps 4.345 weeks; the loop here calls
the same predict function once per step where lifetimes' calls it twice).  D
is the per-period discount rate.  score_s is the time of these calls; the
whole score (read_csv, the calls and DataFrame.to_csv of the five columns to
/dev/null: ltv-fit writes its rows too) is timed as process_s by the caller.

Writes JSON to --out: versions, the timings, and
  fit:   {"bgnbd": {"params": {...}, "std_errors": {...}, "log_likelihood": L,
          "n_customers": n}, "gamma_gamma": {...}}
  score: {"rows": n, "sums": {column: sum}, "sample": {column: [first N values]}}
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

COLS = ("p_alive", "expected_purchases", "expected_spend", "clv")


def versions():
    from importlib.metadata import version
    import numpy
    import pandas
    import scipy
    return {
        "lifetimes": version("lifetimes"),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "autograd": version("autograd"),
        "python": platform.python_version(),
    }


def read_summary(path):
    import pandas as pd
    d = pd.read_csv(path)
    for c in ("x", "t_x", "T", "zbar"):
        if c not in d.columns:
            sys.exit("lifetimes_peer: %s has no column %s" % (path, c))
    return d


def fit(a):
    import numpy as np
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    t0 = time.perf_counter()
    d = read_summary(a.csv)
    t1 = time.perf_counter()
    x, tx, T, z = d["x"], d["t_x"], d["T"], d["zbar"]
    bg = BetaGeoFitter(penalizer_coef=0.0).fit(x, tx, T)
    t2 = time.perf_counter()
    rep = x > 0
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(x[rep], z[rep])
    t3 = time.perf_counter()

    bp = bg.params_
    gp = gg.params_
    n = len(d)
    nr = int(rep.sum())
    bll = -n * float(BetaGeoFitter._negative_log_likelihood(
        np.log([bp["r"], bp["alpha"], bp["a"], bp["b"]]), x.values, tx.values, T.values, np.ones(n), 0.0))
    gll = -nr * float(GammaGammaFitter._negative_log_likelihood(
        np.log([gp["p"], gp["q"], gp["v"]]), x[rep].values, z[rep].values, np.ones(nr), 0.0))
    bse = bg.summary["se(coef)"]
    gse = gg.summary["se(coef)"]
    return {
        "read_s": t1 - t0, "bgnbd_s": t2 - t1, "gamma_gamma_s": t3 - t2, "call_s": t3 - t1,
        "fit": {
            "bgnbd": {"params": {k: float(bp[k]) for k in ("r", "alpha", "a", "b")},
                      "std_errors": {k: float(bse[k]) for k in ("r", "alpha", "a", "b")},
                      "log_likelihood": bll, "n_customers": n},
            "gamma_gamma": {"params": {"p": float(gp["p"]), "q": float(gp["q"]), "gamma": float(gp["v"])},
                            "std_errors": {"p": float(gse["p"]), "q": float(gse["q"]), "gamma": float(gse["v"])},
                            "log_likelihood": gll, "n_customers": nr},
        },
    }


def load_model(path):
    found = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("_table", "ltv_models") != "ltv_models" or r.get("segment") != "all":
                continue
            if r.get("model") in ("bgnbd", "gamma_gamma") and r.get("params"):
                found[r["model"]] = r["params"]
    for m in ("bgnbd", "gamma_gamma"):
        if m not in found:
            sys.exit("lifetimes_peer: %s has no ltv_models row %s for segment all" % (path, m))
    return found


def score(a):
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    m = load_model(a.model)
    bg = BetaGeoFitter()
    bg.params_ = pd.Series({k: float(m["bgnbd"][k]) for k in ("r", "alpha", "a", "b")})
    gg = GammaGammaFitter()
    gg.params_ = pd.Series({"p": float(m["gamma_gamma"]["p"]), "q": float(m["gamma_gamma"]["q"]),
                            "v": float(m["gamma_gamma"]["gamma"])})

    t0 = time.perf_counter()
    d = read_summary(a.csv)
    t1 = time.perf_counter()
    x = d["x"].to_numpy(dtype=float)
    tx = d["t_x"].to_numpy(dtype=float)
    T = d["T"].to_numpy(dtype=float)
    z = d["zbar"].to_numpy(dtype=float)

    p_alive = bg.conditional_probability_alive(x, tx, T)
    spend = np.asarray(gg.conditional_expected_average_profit(x, z), dtype=float)
    clv = np.zeros(len(x))
    prev = np.zeros(len(x))
    for k in range(1, a.horizon + 1):
        ey = bg.conditional_expected_number_of_purchases_up_to_time(k, x, tx, T)
        clv += (ey - prev) * spend / (1.0 + a.discount) ** k
        prev = ey
    t2 = time.perf_counter()
    res = pd.DataFrame({"customer_id": d.iloc[:, 0], "p_alive": p_alive, "expected_purchases": prev,
                        "expected_spend": spend, "clv": clv})
    res.to_csv(os.devnull, index=False)
    t3 = time.perf_counter()

    cols = {c: res[c].to_numpy() for c in COLS}
    bad = {c: int(np.sum(~np.isfinite(v))) for c, v in cols.items()}
    return {
        "rows": int(len(d)), "read_s": t1 - t0, "score_s": t2 - t1, "write_s": t3 - t2,
        "horizon": a.horizon, "discount_per_period": a.discount, "nonfinite": bad,
        "sums": {c: float(np.sum(v)) for c, v in cols.items()},
        "sample": dict({"customer_id": [str(v) for v in res["customer_id"][:a.sample]]},
                       **{c: [float(v) for v in cols[c][:a.sample]] for c in COLS}),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", choices=["fit", "score"])
    ap.add_argument("csv", nargs="?")
    ap.add_argument("--check", action="store_true", help="import lifetimes, print versions")
    ap.add_argument("--model")
    ap.add_argument("--horizon", type=int, default=52)
    ap.add_argument("--discount", type=float, default=0.0)
    ap.add_argument("--sample", type=int, default=10000)
    ap.add_argument("--out")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    import lifetimes  # noqa: F401
    v = versions()
    if a.check:
        print("lifetimes %(lifetimes)s, numpy %(numpy)s, pandas %(pandas)s, scipy %(scipy)s, "
              "autograd %(autograd)s, Python %(python)s" % v, flush=True)
        return 0
    if not a.mode or not a.csv or not a.out:
        ap.error("fit|score, CSV and --out are required")
    if a.mode == "score" and not a.model:
        ap.error("score needs --model")
    res = fit(a) if a.mode == "fit" else score(a)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(dict(v, mode=a.mode, **res), f)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
