"""The CLI: the JSON contract, formats, atomic output, one-line errors."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import pathcredit as pc
from pathcredit.cli import main


@pytest.fixture
def paths_csv(tmp_path):
    f = tmp_path / "paths.csv"
    pd.DataFrame(
        {
            "path": ["A>B>A>B>B>A", "A>B>B>A>A", "A>A"],
            "total_conversions": [1, 1, 1],
            "total_conversion_value": [10.0, 20.0, 30.0],
            "total_null": [2, 0, 1],
        }
    ).to_csv(f, index=False)
    return f


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_attribute_json_contract(paths_csv):
    res = run(
        "attribute", paths_csv, "--model", "linear", "--model", "first_touch", "--format", "json"
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [o["model"] for o in out] == ["linear", "first_touch"]
    lin = out[0]
    assert set(lin) >= {"model", "params", "total_conversions", "total_value", "channels"}
    assert lin["total_conversions"] == 3.0 and lin["total_value"] == 60.0
    a = lin["channels"][0]
    assert a["channel"] == "A" and a["conversions"] == pytest.approx(2.1)
    # value: A gets 3/6 of 10, 3/5 of 20 and all of 30
    assert a["value"] == pytest.approx(5 + 12 + 30)
    assert a["share"] == pytest.approx(0.7)


def test_model_parameters_as_options(paths_csv):
    res = run(
        "attribute",
        paths_csv,
        "--model",
        "position_based",
        "--first",
        "0.3",
        "--last",
        "0.5",
        "--format",
        "json",
    )
    assert json.loads(res.output)[0]["params"] == {"first": 0.3, "last": 0.5}
    res = run(
        "attribute",
        paths_csv,
        "--model",
        "time_decay_position",
        "--param",
        "half_life=2",
        "--format",
        "json",
    )
    assert json.loads(res.output)[0]["params"] == {"half_life": 2}
    res = run("attribute", paths_csv, "--model", "linear", "--half-life", "3")
    assert res.exit_code == 2 and "no selected model takes the parameter 'half_life'" in res.output


def test_csv_and_table_formats_and_output_file(paths_csv, tmp_path):
    out = tmp_path / "credit.csv"
    res = run("attribute", paths_csv, "--model", "linear", "--format", "csv", "--output", out)
    assert res.exit_code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["model", "channel", "metric", "value", "lower", "upper"]
    res = run("attribute", paths_csv, "--model", "participation")
    assert "not additive" in res.output and "conversions:" in res.output


def test_transform_options_report_what_they_removed(paths_csv):
    res = CliRunner().invoke(
        main,
        [
            "attribute",
            str(paths_csv),
            "--drop-channel",
            "B",
            "--keep-last",
            "1",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0
    # B appears 3 + 2 times
    assert "drop_channels(['B']): 5 touches" in res.stderr


def test_report_command(paths_csv):
    res = run("report", paths_csv, "--format", "json")
    rep = json.loads(res.output)
    assert rep["channels"][1]["assisted_conversions"] == 2.0  # B assists paths 1 and 2
    assert "top conversion paths" in run("report", paths_csv).output


def test_models_command_lists_definitions():
    res = run("models")
    assert "linear_unique" in res.output and "[not additive]" in res.output


@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ("path,total_conversions\nA>B,-1\n", [], "column 'total_conversions', row 0, value -1"),
        ("path,conv\nA>B,1\n", [], "missing column(s) ['total_conversions']"),
        ("path,total_conversions\nA|B,1\n", [], "pass sep='|'"),
        ("path,total_conversions\nA>B,1\n", ["--model", "nope"], "unknown model 'nope'"),
        (
            "path,total_conversions\nA>B,1\n",
            ["--order", "x", "--model", "linear"],
            "--order takes a whole number",
        ),
    ],
)
def test_bad_input_one_line_no_traceback(tmp_path, content, args, fragment):
    f = tmp_path / "in.csv"
    f.write_text(content)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pathcredit.cli", "attribute", str(f), *args, "--output", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert fragment in lines[0]
    assert str(f) in lines[0] or "model" in fragment or "order" in fragment
    assert not out.exists()  # nothing half-written
    assert not list(tmp_path.glob(".out.json.*"))


def test_failed_write_leaves_no_file(paths_csv, tmp_path):
    res = run("attribute", paths_csv, "--output", tmp_path / "missing_dir" / "x.json")
    assert res.exit_code == 2
    assert not (tmp_path / "missing_dir").exists()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One run of ``pathcredit demo`` (every registered model) for the tests below."""
    fig = tmp_path_factory.mktemp("demo") / "demo.png"
    res = run("demo", "--output", fig)
    assert res.exit_code == 0, res.output
    return res, fig


@pytest.mark.slow
def test_demo_writes_figure_and_table(demo_run):
    res, fig = demo_run
    assert fig.stat().st_size > 20_000
    for model in pc.available_models():
        assert model in res.output  # every model shown or skipped with its reason


@pytest.mark.slow
def test_demo_scores_last_click_against_the_bundled_truth(demo_run):
    # last click by hand from the bundled CSV: each path's last channel gets its conversions
    raw = pd.read_csv(pc.datasets.example_paths_file())
    last = raw["path"].str.split(" > ").str[-1]
    by_hand = raw.groupby(last)["total_conversions"].sum()
    by_hand = by_hand / by_hand.sum()
    truth = json.loads((pc.datasets.example_paths_file().parent / "example_truth.json").read_text())
    res = demo_run[0]
    # the error table comes after the share table: its last_touch row is the last one
    line = [x for x in res.output.splitlines() if x.startswith("last_touch ")][-1]
    printed = [float(v) for v in line.split()[1:]]
    assert len(printed) == 2
    for kind in ("incremental", "removal"):
        true = pd.Series({c: v["share"] for c, v in truth["truth"][kind].items()})
        tv = 0.5 * (by_hand.reindex(true.index, fill_value=0.0) - true).abs().sum()
        assert 0.05 < tv < 0.5  # last click is far from either truth on this world
        assert printed[("incremental", "removal").index(kind)] == pytest.approx(tv, abs=5e-4)
    assert "truth: incremental" in res.output and "nearest the incremental truth" in res.output


def test_attribute_reads_an_event_log_directly(tmp_path):
    # person u1: email 14 days and search 0 days before a conversion worth 9;
    # person u2: display then no conversion (a null journey)
    ev = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2"],
            "timestamp": ["2024-01-01", "2024-01-15", "2024-01-15", "2024-01-03"],
            "channel": ["email", "search", None, "display"],
            "conversion": [0, 0, 1, 0],
            "revenue": [0.0, 0.0, 9.0, 0.0],
        }
    )
    f = tmp_path / "events.csv"
    ev.to_csv(f, index=False)
    res = run(
        "attribute",
        "--events",
        f,
        "--value-col",
        "revenue",
        "--model",
        "time_decay",
        "--model",
        "first_touch",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    td, ft = json.loads(res.output)
    credit = {c["channel"]: c["conversions"] for c in td["channels"]}
    # half-life 7 days: weights 2^-2 and 1
    assert credit["email"] == pytest.approx(0.25 / 1.25)
    assert credit["search"] == pytest.approx(1 / 1.25)
    assert td["total_value"] == 9.0
    assert {c["channel"]: c["conversions"] for c in ft["channels"]}["email"] == 1.0


@pytest.mark.slow
def test_readme_states_the_demos_errors(demo_run):
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    m = re.search(
        r"last\s+click\s+is\s+(\d\.\d+)\s+off\s+the\s+incremental\s+truth\s+and\s+(\d\.\d+)\s+off",
        readme,
    )
    assert m, "README lost the demo's sentence"
    res = demo_run[0]
    line = [x for x in res.output.splitlines() if x.startswith("last_touch ")][-1]
    printed = [float(v) for v in line.split()[1:]]
    assert [round(p, 2) for p in printed] == [float(m.group(1)), float(m.group(2))]
