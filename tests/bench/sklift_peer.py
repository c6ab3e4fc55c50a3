#!/usr/bin/env python3
"""scikit-uplift's side of tests/bench/uplift.sh (the peer).

  sklift_peer.py --check
  sklift_peer.py CSV --treatment COL --control VALUE --arms A[,B...] --outcomes Y[,Y...]
                 --covariates C[,C...] [--ours PREDICTIONS.ndjson] --out JSON

CSV is ../shared/data/uplift/hillstrom.csv (read with pandas.read_csv).  For each
arm and outcome (binary outcomes only: scikit-uplift's Qini and AUUC take
binary targets), on the rows of that arm and of the control arm:

  design  the covariates as they are when numeric; string columns one-hot with
          the first level in sorted order dropped (pandas.get_dummies(column,
          prefix=COLUMN, prefix_sep="=", drop_first=True, dtype=float)), in the
          order the covariates are listed: the design uplift-score builds, with
          its feature names COLUMN=VALUE (it adds the intercept, as
          LogisticRegression's fit_intercept does)
  model   TwoModels(estimator_trmnt=LogisticRegression(C=inf, solver="newton-cholesky",
          tol=1e-10, max_iter=100), estimator_ctrl=the same, method="vanilla"):
          separate unpenalised logistic regressions (C=inf: no penalty) for
          treated and control by Newton's method (uplift-score's IRLS is the same
          iteration), fitted with .fit(X, y, treatment), then
          uplift = .predict(X) = P_T(x) - P_C(x) in sample (uplift-score --folds 1)
  metrics qini_auc_score(y, uplift, treatment) (negative_effect=True) and
          uplift_auc_score(y, uplift, treatment)

call_s is the time of every TwoModels fit and predict (time.perf_counter),
metrics_s that of the metric calls, read_s that of read_csv and the designs.

--ours: uplift-score's --predictions file ({"id", "model": "t_learner", "arm",
"outcome", "uplift"} per unit; the ids are "h" and the CSV row number, 1 the
first data row, as tests/bench/uplift.sh writes them).  For each arm and outcome
the same metric calls are made on uplift-score's predictions (untimed), and the
largest |ours - peer| of the per-unit predictions is reported.

Writes JSON to --out: versions, the timings, and per arm and outcome: rows,
n_treated, n_control, mean uplift, qini, auuc, the features and the
coefficients of both models (intercept first).
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings


def versions():
    from importlib.metadata import version
    import numpy
    import pandas
    import sklearn
    return {
        "scikit_uplift": version("scikit-uplift"),
        "scikit_learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "python": platform.python_version(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="?")
    ap.add_argument("--check", action="store_true", help="import sklift, print versions")
    ap.add_argument("--treatment", default="segment")
    ap.add_argument("--control", default="No E-Mail")
    ap.add_argument("--arms", default="Womens E-Mail")
    ap.add_argument("--outcomes", default="visit")
    ap.add_argument("--covariates", default="recency,history,mens,womens,newbie,zip_code,channel,history_segment")
    ap.add_argument("--ours", help="uplift-score --predictions file: sklift's metrics of its predictions too")
    ap.add_argument("--out")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklift.metrics import qini_auc_score, uplift_auc_score
    from sklift.models import TwoModels
    v = versions()
    if a.check:
        print("scikit-uplift %(scikit_uplift)s, scikit-learn %(scikit_learn)s, numpy %(numpy)s, "
              "pandas %(pandas)s, Python %(python)s" % v, flush=True)
        return 0
    if not a.csv or not a.out:
        ap.error("CSV and --out are required")

    covs = a.covariates.split(",")
    arms = a.arms.split(",")
    outcomes = a.outcomes.split(",")

    def logit():
        return LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=100)

    t0 = time.perf_counter()
    d = pd.read_csv(a.csv)
    designs = {}
    for arm in arms:
        sub = d[d[a.treatment].isin([arm, a.control])]
        if not (sub[a.treatment] == arm).any():
            sys.exit("sklift_peer: no rows of arm %s" % arm)
        parts = []
        for c in covs:
            col = sub[c]
            if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                parts.append(col.astype(float).rename(c))
            else:
                parts.append(pd.get_dummies(col, prefix=c, prefix_sep="=", drop_first=True, dtype=float))
        X = pd.concat(parts, axis=1)
        t = (sub[a.treatment] == arm).astype(int).to_numpy()
        designs[arm] = (sub, X, t)
    read_s = time.perf_counter() - t0

    ours = {}
    if a.ours:
        with open(a.ours) as f:
            for line in f:
                r = json.loads(line)
                if r.get("model") == "t_learner":
                    ours[(r["arm"], r["outcome"], r["id"])] = float(r["uplift"])

    call_s = metrics_s = 0.0
    res = []
    for arm in arms:
        sub, X, t = designs[arm]
        for y_name in outcomes:
            y = sub[y_name].to_numpy()
            if not np.isin(y, (0, 1)).all():
                sys.exit("sklift_peer: outcome %s is not binary" % y_name)
            t1 = time.perf_counter()
            tm = TwoModels(estimator_trmnt=logit(), estimator_ctrl=logit(), method="vanilla")
            tm.fit(X, y, t)
            u = tm.predict(X)
            t2 = time.perf_counter()
            qini = qini_auc_score(y, u, t)
            auuc = uplift_auc_score(y, u, t)
            t3 = time.perf_counter()
            call_s += t2 - t1
            metrics_s += t3 - t2

            extra = {}
            if a.ours:
                ids = ["h%d" % (i + 1) for i in sub.index]
                try:
                    uo = np.array([ours[(arm, y_name, i)] for i in ids])
                except KeyError as e:
                    sys.exit("sklift_peer: %s has no t_learner prediction for %s" % (a.ours, e))
                extra = {"ours_qini": float(qini_auc_score(y, uo, t)), "ours_auuc": float(uplift_auc_score(y, uo, t)),
                         "ours_mean_uplift": float(np.mean(uo)), "max_abs_diff": float(np.max(np.abs(uo - u)))}

            def coefs(m):
                return [float(m.intercept_[0])] + [float(c) for c in m.coef_[0]]
            res.append({
                "arm": arm, "outcome": y_name, "rows": int(len(y)), "n_treated": int(t.sum()),
                "n_control": int(len(t) - t.sum()), "mean_uplift": float(np.mean(u)),
                "qini": float(qini), "auuc": float(auuc),
                "features": ["(intercept)"] + [str(c) for c in X.columns],
                "coefficients": {"treated": coefs(tm.estimator_trmnt), "control": coefs(tm.estimator_ctrl)},
                "iterations": {"treated": int(tm.estimator_trmnt.n_iter_[0]),
                               "control": int(tm.estimator_ctrl.n_iter_[0])},
                **extra,
            })
    out = dict(v, read_s=read_s, call_s=call_s, metrics_s=metrics_s, models=res)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
