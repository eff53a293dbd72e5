"""The speed tables of issue 18 in ``benchmarks/*/README.md`` are the committed JSON outputs.

Each table sits between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` and must equal
the table the benchmark script prints from its JSON (``--table``), so no number in them
is typed by hand; the ratios quoted in the prose are checked against the JSON too.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "benchmarks"


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _block(readme: Path, name: str) -> str:
    text = readme.read_text(encoding="utf-8")
    m = re.search(rf"<!-- BEGIN {name} -->\n(.*?)\n<!-- END {name} -->", text, re.S)
    assert m, f"no {name} block in {readme}"
    return m.group(1).strip()


def test_markov_e2e_table_is_the_json():
    result = json.loads((BENCH / "markov" / "results_e2e_issue18.json").read_text())
    mod = _module(BENCH / "markov" / "bench_markov.py")
    assert _block(BENCH / "markov" / "README.md", "e2e-issue18") == mod.e2e_table(result)
    meta = result["meta"]
    for key in ("commit", "command", "machine", "uptime_before", "uptime_after"):
        assert meta[key]
    text = (BENCH / "markov" / "README.md").read_text(encoding="utf-8")
    assert meta["commit"] in text and meta["uptime_before"].split("load average: ")[1] in text
    # every (generator, order) of the run is in the table, orders 1-4 for both generators
    got = {(r["set"], r["order"]) for r in result["rows"]}
    assert got == {(g, o) for g in ("sticky12", "long16") for o in (1, 2, 3, 4)}


def test_shapley_speed_table_is_the_json():
    result = json.loads((BENCH / "shapley" / "results_speed.json").read_text())
    mod = _module(BENCH / "shapley" / "bench_speed.py")
    assert _block(BENCH / "shapley" / "README.md", "speed-issue18") == mod.speed_table(result)
    text = (BENCH / "shapley" / "README.md").read_text(encoding="utf-8")
    markov50 = next(
        c for c in result["cases"] if c["case"] == "mixed50" and c["value_function"] == "markov"
    )
    assert f"{markov50['median_cpu_s']:.1f} s of CPU" in text
    assert f"{markov50['median_s']:.0f} s" in text


@pytest.mark.parametrize("script", ["markov/bench_markov.py", "shapley/bench_speed.py"])
def test_benchmark_scripts_print_their_tables(script, capsys):
    name = "results_e2e_issue18.json" if "markov" in script else "results_speed.json"
    mod = _module(BENCH / script)
    mod.main(["--table", str(BENCH / Path(script).parent / name)])
    assert capsys.readouterr().out.startswith("| ")
