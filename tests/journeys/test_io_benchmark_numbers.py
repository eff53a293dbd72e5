"""The numbers about read_paths in the READMEs come from the committed benchmark output:
benchmarks/read_paths/results.json (written by bench_read_paths.py) and the reader's
constants."""

import importlib.util
import json
import re
from pathlib import Path

from pathcredit.journeys import io

ROOT = Path(__file__).parents[2]
BENCH = ROOT / "benchmarks" / "read_paths"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_read_paths", BENCH / "bench_read_paths.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_readme_table_is_the_committed_results():
    results = json.loads((BENCH / "results.json").read_text())
    table = load_bench().summary_table(results)
    assert table in (BENCH / "README.md").read_text()


def test_main_readme_input_numbers():
    results = json.loads((BENCH / "results.json").read_text())
    text = (ROOT / "README.md").read_text()
    block = re.search(r"read in blocks of (\d+) KiB", text)
    assert block and int(block.group(1)) * 1024 == io._FAST_BLOCK
    ratio = re.search(r"peak memory stays near\s+([\d.]+) times the returned arrays", text)
    worst_csv = max(
        v["read_paths"]["ratio_median"] for k, v in results["memory"].items() if "csv" in k
    )
    assert ratio and float(ratio.group(1)) == round(worst_csv, 1)


def test_benchmark_readme_prose_numbers_are_the_results():
    """Every ratio stated under 'Results' is one of the committed results (to 2 decimals):
    a ratio to pyarrow, a memory ratio, or the batch reader's time over the fast one's."""
    results = json.loads((BENCH / "results.json").read_text())
    known = set()
    for label, row in results["speed"].items():
        ours = row["pathcredit.read_paths"]
        known |= {f"{ours['wall_vs_pyarrow']:.2f}", f"{ours['cpu_vs_pyarrow']:.2f}"}
        known.add(f"{row['read_paths batch reader']['wall'] / ours['wall']:.2f}")
        known.add(f"{results['memory'][label]['read_paths']['ratio_median']:.2f}")
    known.add("1.61")  # the reader before this work, from the previous version of the README
    known.add("1.5")  # the target
    text = (BENCH / "README.md").read_text()
    prose = text.split("## Results", 1)[1].split("##", 1)[0]
    prose = "\n".join(line for line in prose.splitlines() if not line.startswith("|"))
    stated = re.findall(r"\b\d+\.\d+\b", prose)
    assert stated and set(stated) <= known, set(stated) - known


def test_kernel_floor_numbers_are_the_results():
    """The floor section's table and ratios come from results_kernels.json: the table is
    that file's, and every decimal in its prose is a ratio of that run."""
    results = json.loads((BENCH / "results_kernels.json").read_text())
    text = (BENCH / "README.md").read_text()
    section = text.split("## The floor", 1)[1].split("\n## ", 1)[0]
    assert load_bench().summary_table(results) in section
    known = set()
    for row in results["speed"].values():
        ours, alone = row["pathcredit.read_paths"], row["Arrow kernels alone"]
        known |= {f"{alone['wall_vs_pyarrow']:.2f}", f"{ours['wall'] / alone['wall']:.2f}"}
    known.add("1.5")  # the target
    prose = "\n".join(line for line in section.splitlines() if not line.startswith("|"))
    stated = re.findall(r"\b\d+\.\d+\b", prose)
    assert stated and set(stated) <= known, set(stated) - known
