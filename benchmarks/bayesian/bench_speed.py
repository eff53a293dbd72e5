# ruff: noqa: E402
"""Speed and peak memory of bayesian_markov (and the bootstrap) on the 1,000,000-journey set.

The data are the Markov benchmark's seeded synthetic set (benchmarks/markov/synthetic.py:
1,000,000 journeys, 12 channels, 170,272 distinct paths), read once with
``read_paths``. Each case runs in a fresh subprocess (so peak memory is its own):
it warms up on a small slice, resets the memory high-water mark, then times
``attribute(j, model="bayesian_markov", order=k, draws=2000)`` ``--repeats`` times
and reports the median, the spread and VmHWM. BLAS is pinned to one thread, as in
the Markov benchmark (multi-threaded OpenBLAS busy-waits on this shared machine).

Usage::

    python benchmarks/bayesian/bench_speed.py --out benchmarks/bayesian/speed.json
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
import json, statistics, sys, time
import numpy as np, pandas as pd
import pathcredit as pc
df = pd.read_parquet(sys.argv[1])
case, order, draws, repeats = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
j = pc.read_paths(df)
small = pc.read_paths(df.head(2000))
def run(jj, n):
    if case == "bayesian_markov":
        return pc.attribute(jj, model="bayesian_markov", order=order, draws=n, seed=0)
    return pc.bootstrap(jj, model=case, n_resamples=n, seed=0, order=order) if case == "markov" \
        else pc.bootstrap(jj, model=case, n_resamples=n, seed=0)
run(small, 20)  # imports, first calls
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")
before = hwm()
times = []
for _ in range(repeats):
    t = time.perf_counter()
    r = run(j, draws)
    times.append(time.perf_counter() - t)
load = open("/proc/loadavg").read().split()[:3]
print(json.dumps({"case": case, "order": order, "draws": draws, "times_s": times,
                  "median_s": statistics.median(times), "peak_mib": hwm(),
                  "before_mib": before, "n_states": r.extras.get("n_states"),
                  "paths": j.n_paths, "loadavg_after": load,
                  "mean_share": r.share.round(5).tolist(),
                  "width": (r.upper["conversions"] - r.lower["conversions"]).round(2).tolist()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--bootstrap", type=int, default=0,
                    help="also time bootstrap(model='linear' and 'markov') with this many "
                    "resamples (0: skip)")  # fmt: skip
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not DATA.exists():
        sys.path.insert(0, str(HERE.parent / "markov"))
        from synthetic import make_paths

        DATA.parent.mkdir(exist_ok=True)
        t = time.perf_counter()
        make_paths().to_parquet(DATA)
        print(f"generated {DATA} in {time.perf_counter() - t:.1f} s", flush=True)
    cases = [("bayesian_markov", k, args.draws) for k in args.orders]
    if args.bootstrap:
        cases += [("linear", 1, args.bootstrap), ("markov", 1, args.bootstrap)]
    rows = []
    for case, order, n in cases:
        out = subprocess.run(
            [sys.executable, "-c", WORKER, str(DATA), case, str(order), str(n), str(args.repeats)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{case:16s} order {order}  {n:5d} draws  median {row['median_s']:.2f} s  "
            f"runs {[round(t, 2) for t in row['times_s']]}  states {row['n_states']}  "
            f"peak {row['peak_mib']:.0f} MiB  load {row['loadavg_after']}",
            flush=True,
        )
    import numpy
    import scipy

    import pathcredit

    meta = {
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pathcredit": pathcredit.__version__,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
