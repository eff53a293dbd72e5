# ruff: noqa: E402
"""Speed and peak memory of bayesian_response on the 1,000,000-journey set, compilation included.

The data are the Markov benchmark's seeded synthetic set (benchmarks/markov/synthetic.py,
seed 0: 1,000,000 journeys, 12 channels, 170,272 distinct paths; cached as parquet by
bench_speed.py). Each run is a fresh subprocess (empty compile cache, its own peak
memory): it reads the paths, then times ``attribute(j, model="bayesian_response",
draws=..., tune=..., chains=..., seed=0)`` end to end: the pattern table, building the
PyMC model, compiling it (nutpie's numba backend, or PyMC's C backend), tuning and
sampling, diagnostics and the exact Shapley credit of every pattern per draw. It
reports the stages (sampling seconds, compile included, from the result's
diagnostics), VmHWM and the load average. BLAS is pinned to one thread.

Usage::

    nice python benchmarks/bayesian/bench_response.py --out benchmarks/bayesian/speed_response.json
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".cache" / "paths_1m.parquet"

WORKER = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
t_start = time.perf_counter()
import pathcredit as pc
df = pd.read_parquet(sys.argv[1])
draws, tune, chains, sampler = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
j = pc.read_paths(df)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")
load_before = open("/proc/loadavg").read().split()[:3]
t = time.perf_counter()
cpu = time.process_time()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    r = pc.attribute(j, model="bayesian_response", draws=draws, tune=tune, chains=chains,
                     seed=0, sampler_config={"sampler": sampler})
total = time.perf_counter() - t
cpu = time.process_time() - cpu
d = r.extras["diagnostics"]
print(json.dumps({
    "draws": draws, "tune": tune, "chains": chains, "sampler": d["sampler"],
    "total_s": total, "cpu_s": cpu, "sampling_s_incl_compile": d["seconds"],
    "attribution_and_rest_s": total - d["seconds"],
    "peak_mib": hwm(), "paths": j.n_paths, "patterns": r.extras["n_patterns"],
    "loadavg_before": load_before, "loadavg_after": open("/proc/loadavg").read().split()[:3],
    "diagnostics": d, "warnings": [str(w.message) for w in caught],
    "mean_share": r.share.round(5).tolist(),
    "share_width": (r.upper["share"] - r.lower["share"]).round(5).tolist(),
    "baseline_conversions": r.extras["baseline_conversions"],
    "total_conversions": r.total_conversions,
}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--sampler", default="auto", choices=["auto", "nutpie", "pymc"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not DATA.exists():
        sys.path.insert(0, str(HERE.parent / "markov"))
        from synthetic import make_paths

        DATA.parent.mkdir(exist_ok=True)
        make_paths().to_parquet(DATA)
    rows = []
    for _ in range(args.repeats):
        out = subprocess.run(
            [sys.executable, "-c", WORKER, str(DATA), str(args.draws), str(args.tune),
             str(args.chains), args.sampler],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['sampler']}: total {row['total_s']:.1f} s (sampling incl. compile "
            f"{row['sampling_s_incl_compile']:.1f} s, attribution and rest "
            f"{row['attribution_and_rest_s']:.1f} s), {row['patterns']} patterns, peak "
            f"{row['peak_mib']:.0f} MiB, load {row['loadavg_before']} -> {row['loadavg_after']}",
            flush=True,
        )
    import numpy

    import pathcredit

    meta = {
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pathcredit": pathcredit.__version__,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }
    for mod in ("pymc", "nutpie", "pytensor"):
        try:
            meta[mod] = __import__(mod).__version__
        except ImportError:
            meta[mod] = None
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
