"""The full attribution benchmark: every registered model x every scenario x sizes x seeds.

    .venv/bin/python benchmarks/attribution/run.py            # the full grid
    .venv/bin/python benchmarks/attribution/run.py --seeds 5  # fewer seeds
    .venv/bin/python benchmarks/attribution/run.py --report-only  # redraw summary.md, figures
    # bayesian_response (opt-in: MCMC per cell) on a chosen interval grid:
    .venv/bin/python benchmarks/attribution/run.py --model bayesian_response linear markov \
        --scenario additive logistic confounded --sizes 10000 100000 --seeds 5 \
        --no-population --jobs 1 --cache benchmarks/attribution/cache_response \
        --out benchmarks/attribution/results_response

Same as ``pathcredit benchmark --output benchmarks/attribution/results`` plus a
compact ``results/aggregated.csv`` (mean, sd and count over seeds per scenario,
mode, size, model, truth and metric). Finished cells are cached in
``benchmarks/attribution/cache/`` (not committed), so an interrupted run resumes
and a rerun with more seeds only computes the new cells.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pathcredit.benchmark import BOOTSTRAP_RESAMPLES, FULL_GRID, run_benchmark

HERE = Path(__file__).parent


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=len(FULL_GRID["seeds"]))
    ap.add_argument("--sizes", type=int, nargs="+", default=list(FULL_GRID["sizes"]))
    ap.add_argument("--scenario", nargs="+", default=None)
    ap.add_argument("--model", nargs="+", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--bootstrap", type=int, default=BOOTSTRAP_RESAMPLES)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--cache", type=Path, default=HERE / "cache")
    ap.add_argument("--no-population", dest="population", action="store_false")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="redraw summary.md and the figures from OUT/results.parquet and run.json",
    )
    args = ap.parse_args(argv)
    if args.report_only:
        import json

        import pandas as pd

        from pathcredit.benchmark import BenchmarkResult

        run = json.loads((args.out / "run.json").read_text())
        res = BenchmarkResult(
            pd.read_parquet(args.out / "results.parquet"), run["wall_time_s"], run["settings"]
        )
        res.write_report(args.out)
        print(f"wrote {args.out / 'summary.md'} and the figures")
        return
    t0 = time.perf_counter()
    res = run_benchmark(
        args.scenario,
        args.model,
        sizes=args.sizes,
        seeds=range(args.seeds),
        population=args.population,
        cache_dir=args.cache,
        n_jobs=args.jobs,
        bootstrap=args.bootstrap,
    )
    res.save(args.out)
    t = res.table
    agg = (
        t[t.metric != "error"]
        .groupby(["scenario", "mode", "size", "model", "truth", "metric"], dropna=False)["value"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    agg.to_csv(args.out / "aggregated.csv", index=False, float_format="%.6g")
    print(res.summary())
    print(f"wall time {time.perf_counter() - t0:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
