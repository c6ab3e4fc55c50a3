#!/usr/bin/env python3
"""ChannelAttribution's side of tests/bench/attribution.sh (the peer).

  channelattribution_peer.py --check
  channelattribution_peer.py CSV --model heuristics --out JSON
  channelattribution_peer.py CSV --model markov --order K [--nsim-start N] [--seed S] --out JSON

Reads ChannelAttribution's own CSV (path;total_conversions;total_conversion_value;
total_null, a header line first) with pandas.read_csv(sep=";"), then calls, once:

  heuristic_models(Data, "path", "total_conversions", var_value="total_conversion_value",
                   sep=">", flg_pro=False)
  markov_model(Data, "path", "total_conversions", var_value="total_conversion_value",
               var_null="total_null", order=K, nsim_start=N (default 1e5, the package's
               default), max_step=None, out_more=True, sep=">", ncore=1, nfold=10,
               seed=S (default 0), conv_par=0.05, rate_step_sim=1.5, verbose=False,
               flg_pro=False)

ncore=1: channel-attribute is single-threaded.  flg_pro=False turns off the
"ChannelAttribution Pro" banner each call would print (the package still prints
one at import; file descriptor 1 is sent to stderr, the answer goes to --out).

Writes JSON to --out: versions, read_s (read_csv), call_s (the model call alone,
time.perf_counter), and the answer per channel:
  heuristics: {"first"|"last"|"linear": {channel: {"conversions", "value"}}}
  markov:     {"markov": {channel: {"conversions", "value", "removal_effect",
                                    "removal_effect_value"}}}

ChannelAttribution 2.2.5 imports matplotlib when it is imported but does not declare
it as a dependency; only its plots (choose_order, auto_markov_model) use it.  When
matplotlib is missing an empty stand-in module is put in its place, so the
benchmark's environment needs only `pip install channelattribution`.
"""
import argparse
import json
import os
import platform
import sys
import time
import types


def import_ca():
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        mpl = types.ModuleType("matplotlib")
        mpl.pyplot = types.ModuleType("matplotlib.pyplot")
        mpl.__path__ = []
        sys.modules["matplotlib"] = mpl
        sys.modules["matplotlib.pyplot"] = mpl.pyplot
    import ChannelAttribution
    return ChannelAttribution


def versions():
    import numpy
    import pandas
    from importlib.metadata import version
    return {
        "channelattribution": version("ChannelAttribution"),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "python": platform.python_version(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="?")
    ap.add_argument("--check", action="store_true", help="import ChannelAttribution, print versions")
    ap.add_argument("--model", choices=["heuristics", "markov"])
    ap.add_argument("--order", type=int, default=1)
    ap.add_argument("--nsim-start", type=float, default=1e5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ncore", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()

    # The package prints banners on stdout (C and Python, at import and per call):
    # send file descriptor 1 to stderr for the whole run; only --check writes to
    # the real stdout.
    sys.stdout.flush()
    real_stdout = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    ca = import_ca()
    v = versions()
    if a.check:
        print("ChannelAttribution %(channelattribution)s, numpy %(numpy)s, pandas %(pandas)s, Python %(python)s" % v,
              file=real_stdout, flush=True)
        return 0
    if not a.csv or not a.model or not a.out:
        ap.error("CSV, --model and --out are required")

    import pandas as pd
    t0 = time.perf_counter()
    data = pd.read_csv(a.csv, sep=";")
    t1 = time.perf_counter()
    if a.model == "heuristics":
        res = ca.heuristic_models(data, "path", "total_conversions",
                                  var_value="total_conversion_value", sep=">", flg_pro=False)
    else:
        res = ca.markov_model(data, "path", "total_conversions",
                              var_value="total_conversion_value", var_null="total_null",
                              order=a.order, nsim_start=a.nsim_start, max_step=None,
                              out_more=True, sep=">", ncore=a.ncore, nfold=10, seed=a.seed,
                              conv_par=0.05, rate_step_sim=1.5, verbose=False, flg_pro=False)
    t2 = time.perf_counter()

    answer = {}
    if a.model == "heuristics":
        for m, col in (("first", "first_touch"), ("last", "last_touch"), ("linear", "linear_touch")):
            answer[m] = {str(r["channel_name"]): {"conversions": float(r[col + "_conversions"]),
                                                  "value": float(r[col + "_value"])}
                         for _, r in res.iterrows()}
    else:
        re = {str(r["channel_name"]): r for _, r in res["removal_effects"].iterrows()}
        answer["markov"] = {
            str(r["channel_name"]): {
                "conversions": float(r["total_conversions"]),
                "value": float(r["total_conversion_value"]),
                "removal_effect": float(re[str(r["channel_name"])]["removal_effects_conversion"]),
                "removal_effect_value": float(re[str(r["channel_name"])]["removal_effects_conversion_value"]),
            }
            for _, r in res["result"].iterrows()
        }
    out = dict(v, model=a.model, order=(a.order if a.model == "markov" else None),
               nsim_start=(a.nsim_start if a.model == "markov" else None), seed=a.seed, ncore=a.ncore,
               rows=int(len(data)), read_s=t1 - t0, call_s=t2 - t1, answer=answer)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
