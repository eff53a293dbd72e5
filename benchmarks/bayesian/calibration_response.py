# ruff: noqa: E402
"""Calibration of bayesian_response: do its 90% intervals cover the true incremental shares?

Worlds: the simulator's exposure-response scenarios (:func:`pathcredit.simulate.
simulate_journeys`) at their default parameters: ``logistic`` (the model's own form:
``logit P = intercept + sum beta_c log2(1 + touches)``), ``additive`` (linear in
probability: the logistic model is misspecified there) and ``confounded`` (a latent
intent drives both exposure to two channels without effect and conversion: intervals
of an observational model should fail). The truth is ``sim.truth.incremental_share``:
per journey, the Shapley value of ``v(S) = P(convert | only the exposures in S) -
P(convert | none)``, summed, as shares; the quantity bayesian_response estimates.

Each replicate draws a fresh sample (seed ``--seed`` + replicate), fits
``bayesian_response`` at its defaults (1000 draws, 1000 tuning steps, 2 chains,
nutpie; 90% highest-density intervals) and, beside it, ``bootstrap(model="shapley",
value_function="conversion_rate")`` (the point model that targets the same
incremental game from raw conversion rates of channel sets; 90% percentile
intervals, Poisson resampling), and records per channel whether the interval of
the share contains the true share. Coverage is over channel-replicates; sampler
warnings (R-hat, ESS, divergences) are counted, not hidden.

Usage::

    nice python benchmarks/bayesian/calibration_response.py --replicates 50 \
        --out benchmarks/bayesian/calibration_response.json
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import pathcredit as pc
from pathcredit.simulate import simulate_journeys


def replicate(world, n_journeys, seed, resamples, ci_prob):
    sim = simulate_journeys(world, n_journeys, seed=seed)
    j = sim.journeys
    truth = sim.truth.incremental_share
    row = {"world": world, "seed": seed, "channels": list(j.channels), "truth": truth.tolist()}
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = pc.attribute(j, model="bayesian_response", seed=seed, ci_prob=ci_prob)
    row["bayes_s"] = time.perf_counter() - t
    row["bayes_warnings"] = [str(w.message) for w in caught if "diagnostics" in str(w.message)]
    row["bayes_mean"] = r.share.tolist()
    row["bayes_lo"] = r.lower["share"].tolist()
    row["bayes_hi"] = r.upper["share"].tolist()
    row["patterns"] = r.extras["n_patterns"]
    row["conversions"] = j.total_conversions
    row["baseline_est"] = r.extras["baseline_conversions"]
    row["baseline_true"] = sim.truth.baseline_conversions
    if resamples:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = pc.bootstrap(
                j, model="shapley", value_function="conversion_rate",
                n_resamples=resamples, seed=seed, ci_prob=ci_prob,
            )  # fmt: skip
        row["boot_s"] = time.perf_counter() - t
        T = b.total_conversions
        row["boot_point"] = b.share.tolist()
        row["boot_lo"] = (b.lower["conversions"] / T).tolist()
        row["boot_hi"] = (b.upper["conversions"] / T).tolist()
    return row


def summarise(rows, world):
    rs = [r for r in rows if r["world"] == world]
    truth = np.array([r["truth"] for r in rs])
    out = {"world": world, "replicates": len(rs), "channels": rs[0]["channels"]}

    def cov(lo, hi):
        L, H = np.array([r[lo] for r in rs]), np.array([r[hi] for r in rs])
        inside = (L <= truth + 1e-12) & (truth <= H + 1e-12)
        return float(inside.mean()), inside.mean(axis=0).round(3).tolist(), float((H - L).mean())

    c, by, w = cov("bayes_lo", "bayes_hi")
    mean = np.array([r["bayes_mean"] for r in rs])
    out.update(
        coverage=c, coverage_by_channel=by, mean_width=w,
        mean_abs_error=float(np.abs(mean - truth).mean()),
        bias_by_channel=(mean - truth).mean(axis=0).round(4).tolist(),
        truth_mean=truth.mean(axis=0).round(4).tolist(),
        replicates_with_sampler_warnings=int(sum(bool(r["bayes_warnings"]) for r in rs)),
        median_fit_s=float(np.median([r["bayes_s"] for r in rs])),
        median_patterns=float(np.median([r["patterns"] for r in rs])),
        mean_conversions=float(np.mean([r["conversions"] for r in rs])),
        baseline_ratio=float(np.mean([r["baseline_est"] / r["baseline_true"] for r in rs])),
    )  # fmt: skip
    if "boot_lo" in rs[0]:
        c, by, w = cov("boot_lo", "boot_hi")
        point = np.array([r["boot_point"] for r in rs])
        out.update(
            bootstrap_coverage=c, bootstrap_coverage_by_channel=by, bootstrap_mean_width=w,
            bootstrap_mean_abs_error=float(np.abs(point - truth).mean()),
            bootstrap_median_s=float(np.median([r["boot_s"] for r in rs])),
        )  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", nargs="+", default=["logistic", "additive", "confounded"])
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--journeys", type=int, default=20_000)
    ap.add_argument("--resamples", type=int, default=200, help="bootstrap resamples (0: skip)")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--ci-prob", type=float, default=0.9)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows, summary = [], []
    t0 = time.perf_counter()
    for world in args.worlds:
        for i in range(args.replicates):
            rows.append(replicate(world, args.journeys, args.seed + i, args.resamples,
                                  args.ci_prob))  # fmt: skip
            if (i + 1) % 10 == 0:
                s = summarise(rows, world)
                print(f"{world} {i + 1:3d}: coverage {s['coverage']:.3f} width "
                      f"{s['mean_width']:.3f}" + (f", bootstrap {s['bootstrap_coverage']:.3f}"
                      if "bootstrap_coverage" in s else "")
                      + f"  load {open('/proc/loadavg').read().split()[:3]}",
                      flush=True)  # fmt: skip
        summary.append(summarise(rows, world))
    import pymc

    meta = {
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seconds": time.perf_counter() - t0,
        "loadavg_end": open("/proc/loadavg").read().split()[:3],
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "pathcredit": pc.__version__,
        "pymc": pymc.__version__,
        "journeys": args.journeys,
        "ci_prob": args.ci_prob,
        "resamples": args.resamples,
    }
    for s in summary:
        print(json.dumps(s))
    if args.out:
        args.out.write_text(
            json.dumps({"meta": meta, "summary": summary, "replicates": rows}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
