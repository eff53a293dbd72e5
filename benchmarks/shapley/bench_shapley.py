"""Exact Shapley attribution: pathcredit vs the PyPI package ``mta`` vs brute force.

All three compute the same game, Zhao et al.'s v(S) = conversions of the journeys
whose channel set lies within S (it is what ``mta``'s ``shapley`` computes), so
the results are checked for agreement before any time is reported.

- pathcredit: ``read_paths(df)`` + ``shapley(j, "zhao")``: zeta transform of the
  journeys' channel-set table, then the subset-transform Shapley kernel (exact).
- mta: ``MTA(data=df, allow_loops=True, add_timepoints=False).shapley(normalize=False)``,
  run by the interpreter of a separate venv (``--mta-python``) in a subprocess.
- brute force: the Shapley formula enumerated in plain Python (itertools over
  coalitions, math.factorial weights, v(S) summed over the journeys' channel
  sets within S, memoised), in a subprocess; the enumeration is the test suite's
  oracle (``tests/oracles.py``).

Each tool is timed inside its own process around the work (DataFrame in, credit
out; imports excluded). Runs are interleaved: repetition r runs every tool at
every size before repetition r + 1. A run that exceeds ``--timeout`` seconds is
killed and reported as "> timeout"; a tool that timed out at a size is not run
again at that size or above.

Usage (see README.md)::

    /work/main/.venv/bin/python benchmarks/shapley/bench_shapley.py \
        --mta-python /tmp/mtavenv/bin/python --repeats 5 --timeout 60
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

import pathcredit
from pathcredit.models.shapley import shapley

SIZES = (8, 12, 16, 20)


def make_paths(n_channels: int, n_paths: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Aggregated paths over ``n_channels`` channels (Zipf-like popularity, 1-6 touches)."""
    rng = np.random.default_rng(seed)
    names = [f"ch{i:02d}" for i in range(n_channels)]
    pop = 1.0 / np.arange(1, n_channels + 1)
    pop /= pop.sum()
    paths = [" > ".join(rng.choice(names, size=rng.integers(1, 7), p=pop)) for _ in range(n_paths)]
    df = pd.DataFrame(
        {
            "path": paths,
            "total_conversions": rng.integers(0, 4, n_paths),
            "total_null": rng.integers(0, 20, n_paths),
        }
    )
    df = df.groupby("path", as_index=False).sum()
    # mta credits only channels that occur; make sure every channel occurs on a converting path
    extra = pd.DataFrame({"path": names, "total_conversions": 1, "total_null": 1})
    return pd.concat([df, extra], ignore_index=True).groupby("path", as_index=False).sum()


MTA_CODE = textwrap.dedent(
    """
    import io, json, sys, time, contextlib
    import pandas as pd
    from mta import MTA
    df = pd.read_json(io.StringIO(sys.stdin.read()), orient="split")
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # mta prints a timer banner
        m = MTA(data=df, allow_loops=True, add_timepoints=False)
        m.shapley(normalize=False)
    t = time.perf_counter() - t0
    print(json.dumps({"seconds": t, "credit": dict(m.attribution["shapley"])}))
    """
)

BRUTE_CODE = textwrap.dedent(
    """
    import io, json, sys, time
    from functools import lru_cache
    import pandas as pd
    sys.path.insert(0, TESTS)
    from oracles import brute_shapley  # the test suite's enumeration of the formula
    df = pd.read_json(io.StringIO(sys.stdin.read()), orient="split")
    t0 = time.perf_counter()
    conv = {}
    for path, c in zip(df["path"], df["total_conversions"]):
        key = frozenset(x.strip() for x in path.split(">"))
        conv[key] = conv.get(key, 0.0) + float(c)
    sets = list(conv.items())
    players = sorted(set().union(*conv))

    @lru_cache(maxsize=None)
    def v(s):
        return sum(c for t, c in sets if t <= s)

    credit = brute_shapley(v, players)
    t = time.perf_counter() - t0
    print(json.dumps({"seconds": t, "credit": credit}))
    """
).replace("TESTS", repr(str(Path(__file__).resolve().parents[2] / "tests")))


def run_subprocess(python: str, code: str, df: pd.DataFrame, timeout: float):
    try:
        out = subprocess.run(
            [python, "-c", code],
            input=df.to_json(orient="split"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_pathcredit(df: pd.DataFrame):
    t0 = time.perf_counter()
    j = pathcredit.read_paths(df)
    r = shapley(j, "zhao")
    t = time.perf_counter() - t0
    assert r.extras["method"] == "exact"
    return {"seconds": t, "credit": dict(zip(r.channels, r.conversions.tolist(), strict=True))}


def agree(a: dict, b: dict) -> float:
    """Largest absolute difference in credited conversions."""
    return max(abs(a[k] - b.get(k, 0.0)) for k in a)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mta-python", default="/tmp/mtavenv/bin/python")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = ap.parse_args(argv)

    data = {n: make_paths(n) for n in args.sizes}
    tools = {
        "pathcredit": lambda df: run_pathcredit(df),
        "mta": lambda df: run_subprocess(args.mta_python, MTA_CODE, df, args.timeout),
        "brute": lambda df: run_subprocess(sys.executable, BRUTE_CODE, df, args.timeout),
    }
    times = {(t, n): [] for t in tools for n in args.sizes}
    timed_out = {t: None for t in tools}  # smallest size at which the tool timed out
    max_diff = {}
    for rep in range(args.repeats):
        for n in args.sizes:
            results = {}
            for tool, fn in tools.items():
                if timed_out[tool] is not None and n >= timed_out[tool]:
                    continue
                res = fn(data[n])
                if res is None:
                    timed_out[tool] = n
                    print(f"rep {rep} n={n} {tool}: timed out (> {args.timeout:g} s)", flush=True)
                    continue
                times[(tool, n)].append(res["seconds"])
                results[tool] = res["credit"]
                print(f"rep {rep} n={n} {tool}: {res['seconds']:.4f} s", flush=True)
            ref = results.get("pathcredit")
            for tool in ("mta", "brute"):
                if ref is not None and tool in results:
                    d = agree(ref, results[tool])
                    max_diff[(tool, n)] = max(max_diff.get((tool, n), 0.0), d)
                    if d > 1e-6 * sum(ref.values()):
                        raise SystemExit(f"{tool} disagrees with pathcredit at n={n}: {d}")

    print()
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pathcredit {pathcredit.__version__}; {platform.machine()}, "
          f"{_cpu()}, repeats={args.repeats}, timeout={args.timeout:g} s")  # fmt: skip
    print()
    head = "| channels | distinct paths | pathcredit (s) | mta (s) | brute force (s) " \
           "| mta / pathcredit | brute / pathcredit | max abs diff vs mta, brute |"  # fmt: skip
    print(head)
    print("|" + "---|" * 8)
    for n in args.sizes:
        pc_med = statistics.median(times[("pathcredit", n)])
        cells = [str(n), str(len(data[n])), f"{pc_med:.4f}"]
        ratios = []
        for tool in ("mta", "brute"):
            ts = times[(tool, n)]
            if timed_out[tool] is not None and n >= timed_out[tool] and not ts:
                cells.append(f"> {args.timeout:g}")
                ratios.append(f"> {args.timeout / pc_med:,.0f}")
            else:
                med = statistics.median(ts)
                cells.append(f"{med:.4f} (n={len(ts)})")
                ratios.append(f"{med / pc_med:,.1f}")
        diffs = ", ".join(
            f"{max_diff[(t, n)]:.1e}" if (t, n) in max_diff else "-" for t in ("mta", "brute")
        )
        print("| " + " | ".join(cells + ratios + [diffs]) + " |")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    import os

    return f"{model}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
