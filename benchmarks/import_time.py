"""Time `import pathcredit` in fresh interpreters (median of 7), against `import pandas`.

.venv/bin/python benchmarks/import_time.py
"""

import statistics
import subprocess
import sys
import time


def cold(stmt: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", stmt], check=True)
    return time.perf_counter() - t


def main() -> None:
    base, pkg, pandas = [], [], []
    for _ in range(7):  # interleaved
        base.append(cold("pass"))
        pkg.append(cold("import pathcredit"))
        pandas.append(cold("import pandas"))
    b = statistics.median(base)
    print(f"python startup       {b:.3f} s")
    for name, times in [("import pathcredit", pkg), ("import pandas", pandas)]:
        m = statistics.median(times)
        print(f"{name:20s} {m:.3f} s (+{m - b:.3f})")


if __name__ == "__main__":
    main()
