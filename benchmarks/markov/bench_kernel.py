# ruff: noqa: E402
"""Markov chain building: the fast kernel against its slow reference, interleaved.

Times ``_chain_arrays`` (what ``fit_chain`` uses) and ``_chain_arrays_reference``
(the former implementation, kept for the tests) on the same journeys, alternating
which goes first, and checks that both return bitwise-identical arrays.

Usage::

    python benchmarks/markov/bench_kernel.py [--journeys 1000000] [--repeats 9]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_paths

import pathcredit as pc
from pathcredit.models.markov.chain import _chain_arrays, _chain_arrays_reference


def same(a, b) -> bool:
    return (
        np.array_equal(a[0], b[0])
        and (a[1] != b[1]).nnz == 0
        and all(np.array_equal(x, y) for x, y in zip(a[2:], b[2:], strict=True))
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    args = ap.parse_args(argv)
    j = pc.read_paths(make_paths(args.journeys, 12, seed=0))
    print(f"{j.n_paths} distinct paths, {len(j.touches)} touches, {j.n_channels} channels")
    print("| order | fast_ms | reference_ms | speedup | identical |\n|---|---|---|---|---|")
    for order in args.orders:
        times = {"fast": [], "reference": []}
        fns = {"fast": _chain_arrays, "reference": _chain_arrays_reference}
        out = {k: f(j, order) for k, f in fns.items()}  # warm up
        for rep in range(args.repeats):
            for k in ("fast", "reference") if rep % 2 == 0 else ("reference", "fast"):
                t = time.perf_counter()
                fns[k](j, order)
                times[k].append(time.perf_counter() - t)
        f, r = statistics.median(times["fast"]), statistics.median(times["reference"])
        ident = same(out["fast"], out["reference"])
        print(f"| {order} | {1e3 * f:.1f} | {1e3 * r:.1f} | {r / f:.2f} | {ident} |", flush=True)


if __name__ == "__main__":
    main()
