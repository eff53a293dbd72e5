# ruff: noqa: E402
"""Calibration: do the 90% intervals of bayesian_markov and of the bootstrap cover the truth?

Data come from a known absorbing Markov chain, whose exact removal-effect shares are
the truth that ``markov`` (and so ``bayesian_markov``) estimates:

* ``--world simulate`` (default when available): the simulator's ``markov``
  scenario (:func:`pathcredit.simulate.simulate_journeys`, issue 11) at its default
  parameters and the given ``order``; truth ``sim.truth.removal_share``. The chain
  is fixed and every replicate is a fresh sample from it (frequentist coverage).
* ``--world own``: a random first-order chain per replicate
  (``tests/oracles.py``), truth by a dense solve per channel.

Each replicate fits ``bayesian_markov(order, draws)`` (90% highest-density
intervals) and ``bootstrap(model="markov", order, n_resamples)`` (90% percentile
intervals, Poisson resampling) and records, per channel, whether the interval of the
channel's share contains the true share. Coverage is over channel-replicates.

Usage::

    python benchmarks/bayesian/calibration.py --replicates 100 --orders 1 2 \
        --out benchmarks/bayesian/calibration.json
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

# the known chain and its exact credit are the test suite's oracle (tests/oracles.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from oracles import chain_truth, random_chain, simulate_chain  # noqa: E402


def _simulator_available() -> bool:
    try:
        from pathcredit.simulate import simulate_journeys

        simulate_journeys("markov", 200, seed=0)
    except Exception:  # not there yet (issue 11) or changed: fall back to our own chain
        return False
    return True


def replicate(world, order, n_journeys, seed, draws, resamples, channels, concentration="auto"):
    """One sample: (channel names, truth shares, bayes (lo, hi, mean), boot (lo, hi, point))."""
    if world == "simulate":
        from pathcredit.simulate import simulate_journeys

        sim = simulate_journeys("markov", n_journeys, seed=seed, order=order)
        j = sim.journeys
        truth = dict(zip(sim.truth.channels, sim.truth.removal_share, strict=True))
    else:
        rng = np.random.default_rng(seed)
        start, T = random_chain(channels, rng, conversion=(0.005, 0.04), null=(0.3, 0.5))
        j = simulate_chain(start, T, n_journeys, rng)
        names = [f"c{i:02d}" for i in range(channels)]
        truth = dict(zip(names, chain_truth(start, T), strict=True))
    t = time.perf_counter()
    b = pc.attribute(j, model="bayesian_markov", order=order, draws=draws, seed=seed,
                     concentration=concentration)  # fmt: skip
    t_bayes = time.perf_counter() - t
    T_ = j.total_conversions
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        boot = pc.bootstrap(j, model="markov", order=order, n_resamples=resamples, seed=seed)
    t_boot = time.perf_counter() - t
    d = b.draws["share"][0]
    eti = np.quantile(d, [0.05, 0.95], axis=0)
    rows = []
    for i, c in enumerate(j.channels):
        rows.append(
            {
                "channel": c,
                "truth": float(truth[c]),
                "bayes_mean": float(b.share[i]),
                "bayes_lo": float(b.lower["conversions"][i] / T_),
                "bayes_hi": float(b.upper["conversions"][i] / T_),
                "bayes_eti_lo": float(eti[0, i]),
                "bayes_eti_hi": float(eti[1, i]),
                "boot_point": float(boot.share[i]),
                "boot_lo": float(boot.lower["share"][i]),
                "boot_hi": float(boot.upper["share"][i]),
            }
        )
    missing = sorted(set(truth) - set(j.channels))
    return rows, missing, t_bayes, t_boot, j.total_conversions


def summarise(rows):
    def cov(lo, hi):
        return float(np.mean([r[lo] <= r["truth"] <= r[hi] for r in rows]))

    def width(lo, hi):
        return float(np.mean([r[hi] - r[lo] for r in rows]))

    return {
        "channel_replicates": len(rows),
        "bayes_hdi_coverage": cov("bayes_lo", "bayes_hi"),
        "bayes_eti_coverage": cov("bayes_eti_lo", "bayes_eti_hi"),
        "bootstrap_coverage": cov("boot_lo", "boot_hi"),
        "bayes_mean_width": width("bayes_lo", "bayes_hi"),
        "bootstrap_mean_width": width("boot_lo", "boot_hi"),
        "bayes_mean_abs_error": float(np.mean([abs(r["bayes_mean"] - r["truth"]) for r in rows])),
        "boot_mean_abs_error": float(np.mean([abs(r["boot_point"] - r["truth"]) for r in rows])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", choices=["auto", "simulate", "own"], default="auto")
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--journeys", type=int, default=20_000)
    ap.add_argument("--channels", type=int, default=6, help="own world only")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--resamples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument(
        "--concentration",
        default="auto",
        help="bayesian_markov concentration at order >= 2 ('auto' or a number)",
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    world = args.world
    concentration = "auto" if args.concentration == "auto" else float(args.concentration)
    if world == "auto":
        world = "simulate" if _simulator_available() else "own"
    results = {}
    for order in args.orders:
        rows, missing, tb, tt, conv = [], [], [], [], []
        t0 = time.perf_counter()
        for rep in range(args.replicates):
            r, m, a, b, c = replicate(world, order, args.journeys, args.seed + rep, args.draws,
                                      args.resamples, args.channels, concentration)  # fmt: skip
            rows += [{**x, "replicate": rep} for x in r]
            missing += m
            tb.append(a)
            tt.append(b)
            conv.append(c)
            if (rep + 1) % 10 == 0:
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
        "world": world,
        "journeys_per_replicate": args.journeys,
        "draws": args.draws,
        "resamples": args.resamples,
        "concentration": concentration,
        "ci_prob": 0.9,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pathcredit": pc.__version__,
    }
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": results}) + "\n")


if __name__ == "__main__":
    main()
