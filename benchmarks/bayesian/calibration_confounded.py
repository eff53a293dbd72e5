# ruff: noqa: E402
"""Coverage in the confounded world: intervals that should fail, measured as they are.

The simulator's ``confounded`` scenario (issue 11): a latent intent to buy raises both
the baseline conversion rate and exposure to ``retargeting`` and ``brand_search``,
which have no effect (true credit zero). Each replicate draws a fresh sample
(seeds ``--seed`` + replicate), fits ``bayesian_markov(order=k)`` (its defaults:
90% highest-density intervals, ``concentration=1.0``) and
``bootstrap(model="markov", order=k)`` (90% percentile intervals, Poisson
resampling), and records per channel whether the interval of the share contains
the true share, for both truths (``removal``: the shares of the conversions lost
when a channel is withheld from everyone, what removal-effect models estimate;
``incremental``: per-journey Shapley values of the exposure game).

The output has the schema of ``calibration.py``'s files (``world`` =
``"confounded"``, coverage against the ``removal`` truth in the usual keys) so
``summarise.py`` prints it as one more row, plus the coverage against the
incremental truth and per channel (``incremental_*`` and ``by_channel``).

Usage::

    python benchmarks/bayesian/calibration_confounded.py --replicates 100 --orders 1 2 \
        --out benchmarks/bayesian/calibration_confounded.json
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
from pathcredit.models.bootstrap import BootstrapWarning
from pathcredit.simulate import simulate_journeys


def replicate(order, n_journeys, seed, draws, resamples):
    """Per-channel rows of one sample: both truths, both intervals, both point estimates."""
    sim = simulate_journeys("confounded", n_journeys, seed=seed)
    j = sim.journeys
    truths = {k: dict(zip(sim.channels, sim.truth.share(k), strict=True))
              for k in ("removal", "incremental")}  # fmt: skip
    t = time.perf_counter()
    b = pc.attribute(j, model="bayesian_markov", order=order, draws=draws, seed=seed)
    t_bayes = time.perf_counter() - t
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        boot = pc.bootstrap(j, model="markov", order=order, n_resamples=resamples, seed=seed)
    t_boot = time.perf_counter() - t
    eti = np.quantile(b.draws["share"][0], [0.05, 0.95], axis=0)
    rows = []
    for i, c in enumerate(j.channels):
        rows.append(
            {
                "channel": c,
                "truth": float(truths["removal"][c]),
                "truth_incremental": float(truths["incremental"][c]),
                "bayes_mean": float(b.share[i]),
                "bayes_lo": float(b.lower["share"][i]),
                "bayes_hi": float(b.upper["share"][i]),
                "bayes_eti_lo": float(eti[0, i]),
                "bayes_eti_hi": float(eti[1, i]),
                "boot_point": float(boot.share[i]),
                "boot_lo": float(boot.lower["share"][i]),
                "boot_hi": float(boot.upper["share"][i]),
            }
        )
    missing = sorted(set(sim.channels) - set(j.channels))
    return rows, missing, t_bayes, t_boot, j.total_conversions


def summarise(rows):
    def cov(lo, hi, truth="truth", sel=rows):
        return float(np.mean([r[lo] <= r[truth] <= r[hi] for r in sel]))

    def width(lo, hi):
        return float(np.mean([r[hi] - r[lo] for r in rows]))

    def mae(point, truth="truth"):
        return float(np.mean([abs(r[point] - r[truth]) for r in rows]))

    out = {
        "channel_replicates": len(rows),
        "bayes_hdi_coverage": cov("bayes_lo", "bayes_hi"),
        "bayes_eti_coverage": cov("bayes_eti_lo", "bayes_eti_hi"),
        "bootstrap_coverage": cov("boot_lo", "boot_hi"),
        "bayes_mean_width": width("bayes_lo", "bayes_hi"),
        "bootstrap_mean_width": width("boot_lo", "boot_hi"),
        "bayes_mean_abs_error": mae("bayes_mean"),
        "boot_mean_abs_error": mae("boot_point"),
        "incremental_bayes_hdi_coverage": cov("bayes_lo", "bayes_hi", "truth_incremental"),
        "incremental_bootstrap_coverage": cov("boot_lo", "boot_hi", "truth_incremental"),
        "incremental_bayes_mean_abs_error": mae("bayes_mean", "truth_incremental"),
    }
    by = {}
    for c in sorted({r["channel"] for r in rows}):
        sel = [r for r in rows if r["channel"] == c]
        by[c] = {
            "truth_removal": float(np.mean([r["truth"] for r in sel])),
            "truth_incremental": float(np.mean([r["truth_incremental"] for r in sel])),
            "bayes_mean": float(np.mean([r["bayes_mean"] for r in sel])),
            "bayes_hdi_coverage": cov("bayes_lo", "bayes_hi", sel=sel),
            "bootstrap_coverage": cov("boot_lo", "boot_hi", sel=sel),
            "incremental_bayes_hdi_coverage": cov(
                "bayes_lo", "bayes_hi", "truth_incremental", sel=sel
            ),  # fmt: skip
        }
    out["by_channel"] = by
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--journeys", type=int, default=20_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--resamples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    results = {}
    load_before = (
        open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else None
    )
    t_all = time.perf_counter()
    for order in args.orders:
        rows, missing, tb, tt, conv = [], [], [], [], []
        t0 = time.perf_counter()
        for rep in range(args.replicates):
            r, m, a, b, c = replicate(order, args.journeys, args.seed + rep, args.draws,
                                      args.resamples)  # fmt: skip
            rows += [{**x, "replicate": rep} for x in r]
            missing += m
            tb.append(a)
            tt.append(b)
            conv.append(c)
            if (rep + 1) % 20 == 0:
                s = summarise(rows)
                print(f"order {order}: {rep + 1} replicates, bayes {s['bayes_hdi_coverage']:.3f}"
                      f", bootstrap {s['bootstrap_coverage']:.3f}, "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        s = summarise(rows)
        s.update(
            replicates=args.replicates,
            missing_channel_replicates=len(missing),
            mean_conversions=float(np.mean(conv)),
            bayes_median_s=float(np.median(tb)),
            bootstrap_median_s=float(np.median(tt)),
        )
        results[f"order {order}"] = {"summary": s, "rows": rows}
        print(json.dumps({f"order {order}": s}, indent=1), flush=True)
    meta = {
        "command": " ".join(["python", *sys.argv]),
        "world": "confounded",
        "truth": "removal (summary keys); incremental (incremental_* keys)",
        "journeys_per_replicate": args.journeys,
        "draws": args.draws,
        "resamples": args.resamples,
        "concentration": 1.0,
        "ci_prob": 0.9,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "wall_time_s": time.perf_counter() - t_all,
        "loadavg_before": load_before,
        "loadavg_after": open("/proc/loadavg").read().split()[:3] if load_before else None,
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pathcredit": pc.__version__,
    }
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": results}) + "\n")


if __name__ == "__main__":
    main()
