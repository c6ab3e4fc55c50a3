#!/usr/bin/env python3
"""MABWiser's side of tests/bench/bandit.sh: decisions per second of MAB.predict().

    mabwiser_peer.py thompson ARMS.ndjson [REQUESTS.ndjson] [options] > result.json
    mabwiser_peer.py lin_ts   ARMS.ndjson REQUESTS.ndjson   [options] > result.json

ARMS.ndjson is the very file bandit-decide reads with --stdin: one aggregated row
per arm (thompson: {"arm_id", "trials", "successes"}) or per arm and feature
vector (lin_ts: {"arm_id", "features": [...], "trials", "successes"}).  MABWiser
fits individual decisions, so each row becomes `trials` decisions of its arm
(with its feature vector), `successes` of them rewarded 1 and the rest 0: the
fitted posteriors are the ones bandit-decide computes from the aggregates
(Beta(1 + s, 1 + n - s) per arm; A = lambda I + sum n x x', b = sum s x).  The
Thompson fit is checked against the aggregates before anything is timed.

REQUESTS.ndjson (lin_ts) gives the contexts, the feature vector of each
request line ("context": {"features": [...]} or "features": [...]); the peer
reads the first --contexts lines and its calls cycle over them.

A decision is one Thompson sampling choice of an arm, given the fitted model:
  online  one mab.predict() call per decision (thompson: predict() with no
          contexts; lin_ts: predict() of one 1 x d context), each call timed
          on its own with time.perf_counter_ns; decisions/s = calls / the sum of
          the call times (the decision only, as bandit-decide --stats); latency
          p50/p99/max over the calls.  Calls go on until --seconds of calls or
          --max-decisions, after --warmup untimed calls.
  batch   mab.predict(contexts) over --batch contexts per call (thompson: a
          batch x 1 array of zeros; MABWiser's context-free predict returns one
          arm per context row, drawing each arm's Beta once per row); the
          per-call time over the contexts gives decisions/s; latency = the call
          time / batch (amortized: a batch gives no per-decision latency).

Output: one JSON object with the versions, the fit and both modes' figures,
and the count of picks per arm of each mode (bandit.sh compares the batch
picks with bandit-decide's: the same posteriors must give the same pick
frequencies up to sampling error).  For lin_ts the comparison is with
reference_picks instead (see below: MABWiser's LinTS arms share their normal
draws).
"""
import argparse
import json
import platform
import sys
import time


def fail(msg):
    print("mabwiser_peer: " + msg, file=sys.stderr)
    sys.exit(1)


def percentile(sorted_ns, q):
    """Nearest rank percentile, q in (0, 1], of a sorted list (nanoseconds)."""
    if not sorted_ns:
        return 0
    i = max(0, min(len(sorted_ns) - 1, int(-(-q * len(sorted_ns) // 1)) - 1))
    return sorted_ns[i]


def features_of(req):
    ctx = req.get("context")
    if isinstance(ctx, dict) and isinstance(ctx.get("features"), list):
        return ctx["features"]
    if isinstance(req.get("features"), list):
        return req["features"]
    if isinstance(ctx, list):
        return ctx
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("policy", choices=["thompson", "lin_ts"])
    ap.add_argument("arms")
    ap.add_argument("requests", nargs="?")
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds of online calls")
    ap.add_argument("--max-decisions", type=int, default=1000000)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--batch", type=int, default=1000, help="contexts per batch call (0: no batch)")
    ap.add_argument("--batch-seconds", type=float, default=3.0)
    ap.add_argument("--contexts", type=int, default=20000,
                    help="lin_ts: request vectors read (the first ones of the file; calls cycle over them)")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--l2-lambda", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=123456)
    a = ap.parse_args()

    try:
        import numpy as np
        from mabwiser.mab import MAB, LearningPolicy
        from mabwiser._version import __version__ as mab_version
    except ImportError as e:
        fail("cannot import mabwiser: %s" % e)

    # ---- the fit data: the aggregates expanded into single decisions ----------
    arm_ids, rows = [], []
    seen = set()
    with open(a.arms) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r["arm_id"] not in seen:
                seen.add(r["arm_id"])
                arm_ids.append(r["arm_id"])
            rows.append(r)
    arm_ids.sort()
    index = {arm: i for i, arm in enumerate(arm_ids)}
    n_rows = sum(int(r["trials"]) for r in rows)
    decisions = np.empty(n_rows, dtype=np.int64)
    rewards = np.zeros(n_rows, dtype=np.int64)
    contexts = None
    if a.policy == "lin_ts":
        d = len(rows[0]["features"])
        contexts = np.empty((n_rows, d), dtype=np.float64)
    at = 0
    for r in rows:
        n, s = int(r["trials"]), int(r["successes"])
        decisions[at:at + n] = index[r["arm_id"]]
        rewards[at:at + s] = 1
        if contexts is not None:
            contexts[at:at + n] = r["features"]
        at += n
    # Arms are the integers 0..K-1 (MABWiser compares decisions == arm for every
    # arm in fit; integers keep that a numpy comparison); index i is arm_ids[i].
    arms = list(range(len(arm_ids)))

    if a.policy == "thompson":
        mab = MAB(arms, LearningPolicy.ThompsonSampling(), seed=a.seed)
    else:
        mab = MAB(arms, LearningPolicy.LinTS(alpha=a.alpha, l2_lambda=a.l2_lambda), seed=a.seed)
    t0 = time.perf_counter()
    mab.fit(decisions, rewards, contexts)
    fit_s = time.perf_counter() - t0

    if a.policy == "thompson":
        imp = mab._imp
        for r in rows:
            i = index[r["arm_id"]]
            n, s = int(r["trials"]), int(r["successes"])
            if imp.arm_to_success_count[i] != 1 + s or imp.arm_to_fail_count[i] != 1 + n - s:
                fail("MABWiser's fitted Beta(%s, %s) for arm %s is not Beta(1 + %d, 1 + %d - %d)" %
                     (imp.arm_to_success_count[i], imp.arm_to_fail_count[i], r["arm_id"], s, n, s))

    # ---- the request contexts --------------------------------------------------
    req_x = None
    if a.policy == "lin_ts":
        if not a.requests:
            fail("lin_ts needs the requests file")
        need = max(a.contexts, a.batch)
        xs = []
        with open(a.requests) as f:
            for line in f:
                if len(xs) >= need:
                    break
                x = features_of(json.loads(line))
                if x is None or len(x) != d:
                    fail("%s:%d: no %d-feature vector" % (a.requests, len(xs) + 1, d))
                xs.append(x)
        if not xs:
            fail("no requests in " + a.requests)
        req_x = np.asarray(xs, dtype=np.float64, order="C")

    def context_rows(start, count):
        """count request rows starting at start, cycling over the file."""
        idx = (np.arange(start, start + count) % req_x.shape[0])
        return np.ascontiguousarray(req_x[idx])

    # ---- online: one predict() per decision ------------------------------------
    online_picks = [0] * len(arms)
    lat = []
    clock = time.perf_counter_ns
    budget = int(a.seconds * 1e9)
    if a.policy == "thompson":
        for _ in range(a.warmup):
            mab.predict()
        spent = 0
        wall0 = clock()
        while spent < budget and len(lat) < a.max_decisions:
            t0 = clock()
            arm = mab.predict()
            t1 = clock()
            lat.append(t1 - t0)
            spent += t1 - t0
            online_picks[arm] += 1
        wall = clock() - wall0
    else:
        singles = [req_x[i:i + 1] for i in range(req_x.shape[0])]
        m = len(singles)
        for i in range(a.warmup):
            mab.predict(singles[i % m])
        spent = 0
        i = a.warmup
        wall0 = clock()
        while spent < budget and len(lat) < a.max_decisions:
            x = singles[i % m]
            t0 = clock()
            arm = mab.predict(x)
            t1 = clock()
            lat.append(t1 - t0)
            spent += t1 - t0
            online_picks[arm] += 1
            i += 1
        wall = clock() - wall0
    lat.sort()
    online = {
        "decisions": len(lat),
        "seconds": spent / 1e9,
        "wall_seconds": wall / 1e9,
        "per_s": len(lat) / (spent / 1e9) if spent else 0,
        "p50_us": percentile(lat, 0.50) / 1e3,
        "p99_us": percentile(lat, 0.99) / 1e3,
        "max_us": lat[-1] / 1e3 if lat else 0,
        "picks": online_picks,
    }

    # ---- batch: predict() over many contexts in one call ------------------------
    batch = None
    if a.batch > 0:
        b = a.batch
        picks = [0] * len(arms)
        calls = []
        bbudget = int(a.batch_seconds * 1e9)
        zeros = np.zeros((b, 1))
        spent = 0
        done = 0
        start = 0
        # one untimed call: the first call pays numpy's one-off costs
        mab.predict(zeros if a.policy == "thompson" else context_rows(0, b))
        while spent < bbudget:
            ctx = zeros if a.policy == "thompson" else context_rows(start, b)
            t0 = clock()
            out = mab.predict(ctx)
            t1 = clock()
            if not isinstance(out, list) or len(out) != b:
                fail("predict over %d contexts did not return %d arms" % (b, b))
            calls.append(t1 - t0)
            spent += t1 - t0
            done += b
            start += b
            for arm in out:
                picks[arm] += 1
        calls.sort()
        batch = {
            "batch": b,
            "calls": len(calls),
            "decisions": done,
            "seconds": spent / 1e9,
            "per_s": done / (spent / 1e9) if spent else 0,
            "call_p50_us": percentile(calls, 0.50) / 1e3,
            "call_p99_us": percentile(calls, 0.99) / 1e3,
            "amortized_us": spent / 1e3 / done if done else 0,
            "picks": picks,
        }

    # ---- lin_ts: reference picks with independent draws per arm -----------------
    # MABWiser 2.7.4's LinTS fit deep-copies each arm's model, RNG included
    # (_Linear._fit_arm), so after fit every arm holds its own copy of the same
    # RNG state and the arms' beta draws use the same standard normals: their
    # sampled expectations are correlated (perfectly so when the arms' A are
    # equal).  Its pick frequencies are therefore not LinTS's; bandit.sh checks
    # bandit-decide's against these, drawn from MABWiser's fitted beta and
    # A^-1 with an independent N(0, I) per arm and context.
    reference = None
    if a.policy == "lin_ts":
        g = np.random.default_rng(a.seed)
        models = [mab._imp.arm_to_model[arm] for arm in arms]
        chol = [np.linalg.cholesky(np.square(a.alpha) * m.A_inv) for m in models]
        reference = [0] * len(arms)
        X = req_x
        reps = max(1, -(-100000 // X.shape[0]))
        for _ in range(reps):
            sc = np.stack([X @ m.beta + np.einsum("nd,nd->n", X, g.standard_normal(X.shape) @ L.T)
                           for m, L in zip(models, chol)], axis=1)
            for i, c in enumerate(np.bincount(sc.argmax(axis=1), minlength=len(arms))):
                reference[i] += int(c)

    json.dump({
        "policy": a.policy,
        "mabwiser": mab_version,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "arms": arm_ids,
        "fit_rows": n_rows,
        "fit_seconds": fit_s,
        "features": d if a.policy == "lin_ts" else None,
        "online": online,
        "batch": batch,
        "reference_picks": reference,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
