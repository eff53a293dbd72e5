"""The numbers in the README's "Simulated truth and the benchmark" and "Testing" sections
come from the code or a committed record, read here independently of the README.

(The Quick start's demo paragraph is checked in ``test_cli_demo.py`` and ``test_cli.py``;
the benchmark grid's numbers in ``tests/paper/test_paper.py``.)
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
TIMINGS = ROOT / "benchmarks" / "test_suite" / "timings.json"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    body = re.split(rf"\n#{{2,3}} {re.escape(title)}\n", text, maxsplit=1)[1]
    body = re.split(r"\n#{2,3} [A-Z]", body, maxsplit=1)[0]  # to the next section
    return re.sub(r"[ \t]*\n[ \t]*", "\n", body)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_benchmark_section_states_the_worlds_and_the_quick_grid():
    from pathcredit.benchmark import QUICK_GRID
    from pathcredit.simulate import SCENARIOS

    sec = _flat(_section("Simulated truth and the benchmark"))
    m = re.search(r"has (\w+) named worlds", sec)
    assert m and {"nine": 9, "ten": 10, "eight": 8}[m.group(1)] == len(SCENARIOS)
    listed = re.search(r"\): ((?:`\w+`(?:, )?)+)", sec).group(1)
    assert re.findall(r"`(\w+)`", listed) == list(SCENARIOS)
    m = re.search(r"--quick +# .*?: ([\d,]+) journeys, (\d+) seeds, population cells", sec)
    assert m, "the --quick comment changed"
    assert [int(m.group(1).replace(",", ""))] == list(QUICK_GRID["sizes"])
    assert int(m.group(2)) == len(QUICK_GRID["seeds"]) and QUICK_GRID["population"]
    assert "about a minute" not in sec  # a speed claim belongs in benchmarks/


def test_benchmark_section_states_the_default_variants():
    from pathcredit.benchmark import DEFAULT_VARIANTS

    sec = _flat(_section("Simulated truth and the benchmark"))
    m = re.search(r"plus Markov orders (\d)-(\d), `bayesian_markov` at order (\d) and the other "
                  r"Shapley games", sec)  # fmt: skip
    assert m
    lo, hi, bm = (int(x) for x in m.groups())
    assert [v["order"] for v in DEFAULT_VARIANTS["markov"]] == list(range(lo, hi + 1))
    assert [v["order"] for v in DEFAULT_VARIANTS["bayesian_markov"]] == [bm]
    assert all("value_function" in v for v in DEFAULT_VARIANTS["shapley"])
    assert set(DEFAULT_VARIANTS) == {"markov", "bayesian_markov", "shapley"}


def test_repository_section_states_how_the_example_data_were_made():
    from pathcredit.datasets import load_example_truth

    _, about = load_example_truth(with_params=True)
    sec = _flat(_section("Repository"))
    m = re.search(r"the simulator's `(\w+)` scenario, default parameters, ([\d,]+) journeys, "
                  r"seed (\d+)\)", sec)  # fmt: skip
    assert m
    assert m.group(1) == about["scenario"]
    assert int(m.group(2).replace(",", "")) == about["n_journeys"]
    assert int(m.group(3)) == about["seed"]


def test_testing_section_states_the_hypothesis_profiles_and_sizes():
    from hypothesis import settings

    sec = _flat(_section("Testing"))
    m = re.search(r"`ci` profile runs (\d+) examples per property", sec)
    assert m and int(m.group(1)) == settings.get_profile("ci").max_examples
    m = re.search(r"HYPOTHESIS_PROFILE=nightly python -m pytest` runs ([\d,]+) per property", sec)
    nightly = settings.get_profile("nightly").max_examples
    assert m and int(m.group(1).replace(",", "")) == nightly
    fuzz = (ROOT / "tests" / "journeys" / "test_io_fuzz.py").read_text()
    m = re.search(r"fuzz file alone: about ([\d,]+) examples", sec)
    assert m and int(m.group(1).replace(",", "")) == nightly * fuzz.count("\n@given(")
    large = (ROOT / "tests" / "journeys" / "test_io_large.py").read_text()
    n_paths = int(re.search(r"^N_PATHS = ([\d_]+)", large, re.M).group(1).replace("_", ""))
    assert f"({n_paths:,} distinct paths" in sec


@pytest.fixture(scope="module")
def record_module():
    spec = importlib.util.spec_from_file_location(
        "record_timings", ROOT / "benchmarks" / "test_suite" / "record.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_testing_section_quotes_the_committed_timings(record_module):
    rec = json.loads(TIMINGS.read_text())
    text = README.read_text(encoding="utf-8")
    block = record_module.BLOCK.search(text)
    assert block, "README lost its test timings block"
    assert block.group(2).strip() == record_module.render(rec)
    # the record is one run of each tier, both green, and it adds up
    for tier in ("fast", "slow"):
        assert rec[tier]["returncode"] == 0 and rec[tier]["tests"] > 0
    assert rec["full"]["tests"] == rec["fast"]["tests"] + rec["slow"]["tests"]
    assert rec["full"]["cpu_s"] == pytest.approx(rec["fast"]["cpu_s"] + rec["slow"]["cpu_s"])


def test_the_fast_tier_claim_is_the_recorded_one():
    """The README states the targets (fast tier under 3 minutes, full suite under 15 on 2
    quiet cores) and says whether the record meets them; the record decides."""
    rec = json.loads(TIMINGS.read_text())
    sec = _flat(_section("Testing"))
    assert "under 3 minutes for the fast tier" in sec or "under 3 minutes" in sec
    assert "-n auto" in rec["fast"]["command"] and "-n auto" in rec["slow"]["command"]
    met = rec["fast"]["wall_s"] < 3 * 60 and rec["full"]["wall_s"] < 15 * 60
    assert ("(both are under their targets)" in sec) == met
    # a record taken on a busy machine says nothing about the targets
    assert max(rec["fast"]["load_before"][0], rec["slow"]["load_before"][0]) <= 2.0


def _readme_flat() -> str:
    return _flat(README.read_text(encoding="utf-8"))


def test_interval_paragraph_is_the_committed_grid():
    """'An interval measures sampling noise': every percentage is recomputed from the
    committed grid's aggregated.csv (sample mode, 20 seeds per cell)."""
    import pandas as pd

    grid = pd.read_csv(ROOT / "benchmarks" / "attribution" / "results" / "aggregated.csv")
    cov = grid[(grid["metric"] == "coverage") & (grid["mode"] == "sample")]
    markov = cov[(cov["scenario"] == "markov") & (cov["truth"] == "removal")]
    holds = markov[
        markov["model"].isin(
            [
                "bayesian_markov",
                "bayesian_markov(order=2)",
                "markov (bootstrap)",
                "markov(order=2) (bootstrap)",
            ]
        )
    ]
    assert set(holds["size"]) == {1_000, 10_000, 100_000, 1_000_000}
    lo, hi = round(100 * holds["mean"].min()), round(100 * holds["mean"].max())
    last = markov[markov["model"] == "last_touch (bootstrap)"].set_index("size")["mean"]
    baseline = cov[
        (cov["scenario"] != "markov") & (cov["truth"] == "incremental") & (cov["size"] >= 100_000)
    ]
    text = _readme_flat()
    assert f"contain the truth {lo}-{hi}% of the time at every size" in text
    assert (
        f"cover the Markov world's removal effects {round(100 * last[1_000])}% of the time "
        f"at 1,000 journeys and {round(100 * last[1_000_000])}% at 1,000,000" in text
    )
    assert f"at or below {round(100 * baseline['mean'].max())}% from 100,000" in text


def test_bayesian_response_numbers_are_the_committed_runs():
    bench = ROOT / "benchmarks" / "bayesian"
    summary = {
        row["world"]: row
        for row in json.loads((bench / "calibration_response.json").read_text())["summary"]
    }
    speed = json.loads((bench / "speed_response.json").read_text())["results"][0]
    text = _readme_flat()
    assert (
        f"cover the true incremental shares in {100 * summary['logistic']['coverage']:.1f}% "
        f"(logistic world) and {100 * summary['additive']['coverage']:.1f}% (additive world) "
        f"of channel-replicates over {summary['logistic']['replicates']} replicates"
    ) in text
    assert f"{100 * summary['confounded']['coverage']:.1f}% in the confounded world" in text
    assert (
        f"on 1,000,000 journeys ({speed['patterns']:,} patterns) fit and credit take "
        f"{speed['total_s']:.0f} s" in text
    )


def test_shapley_exact_speed_is_the_committed_run():
    """'Exact ... (20 channels in X s)': the exact20 case of benchmarks/shapley."""
    result = json.loads((ROOT / "benchmarks" / "shapley" / "results_speed.json").read_text())
    case = next(
        c
        for c in result["cases"]
        if c["case"] == "exact20" and c["value_function"] == "conversion_rate"
    )
    assert f"(20 channels in {case['median_s']:.2f} s)" in _readme_flat()
