"""The CLI never prints a traceback: one line naming the parameter or the input, exit 2 for bad
input and usage, exit 1 (with how to get the traceback) for an unexpected internal error."""

import importlib
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import pathcredit.models
import pathcredit.models.heuristics
from pathcredit.cli import main

PATHS = "path,total_conversions,total_null\nA > B > C,3,2\nB,2,0\nC > A,1,1\n"


@pytest.fixture
def paths_csv(tmp_path):
    f = tmp_path / "paths.csv"
    f.write_text(PATHS)
    return f


def run(*args, env=None):
    return CliRunner(env=env).invoke(main, [str(a) for a in args])


def one_line_error(res, code=2):
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--model", "shapley", "--param", "seed=x"], "seed must be None, a whole number >= 0"),
        (["--model", "shapley", "--param", "seed=-1"], "seed must be None"),
        (["--model", "shapley", "--param", "ci_prob=nan"], "ci_prob must be a number"),
        (["--model", "shapley", "--param", "ci_prob=1.5"], "ci_prob must satisfy 0 < ci_prob < 1"),
        (["--model", "shapley", "--param", "tol=0"], "tol must satisfy 0 < tol"),
        (["--model", "time_decay_position", "--half-life", "inf"], "half_life must be a finite"),
        (["--model", "custom", "--first", "-1"], "first must satisfy 0 <= first"),
        (["--model", "position_based", "--first", "0.9", "--last", "0.9"], "at most 1"),
        (["--keep-last", "0"], "keep_last must be a whole number in [1, inf], got 0"),
        (["--model", "markov", "--order", str(10**30)], "order must be a whole number from 1"),
        (
            ["--model", "markov", "--order", "auto", "--param", "folds=1000000000"],
            "folds must be a whole number from 2",
        ),
        (["--model", "custom", "--first", "1e309"], "first must be a finite number"),
        (["--model", "bayesian_markov", "--param", "prior=1e308"], "prior must satisfy 0 < prior"),
        (["--sep", "1" * 31], "never occurs, but '>' occurs"),
        (["--bogus"], "No such option '--bogus'"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_parameter_is_one_line_naming_it(paths_csv, args, fragment):
    line = one_line_error(run("attribute", paths_csv, *args))
    assert line.startswith("pathcredit: error: ") and fragment in line


def test_report_top_must_be_positive(paths_csv):
    assert "top must be a whole number in [1, inf], got -1" in one_line_error(
        run("report", paths_csv, "--top", "-1")
    )


@pytest.mark.parametrize("command", ["attribute", "report"])
def test_header_only_file_says_no_paths(tmp_path, command):
    f = tmp_path / "empty.csv"
    f.write_text("path,total_conversions,total_null\n")
    line = one_line_error(run(command, f))
    assert str(f) in line and "no paths" in line


def test_dropping_every_channel_says_what_removed_the_paths(paths_csv):
    args = ["--drop-channel", "A", "--drop-channel", "B", "--drop-channel", "C"]
    line = one_line_error(run("attribute", paths_csv, *args))
    assert "no paths left (drop_channels(['A', 'B', 'C']) removed 3)" in line


def test_keep_last_beyond_int64_keeps_every_touch(paths_csv):
    # 10**21 touches overflowed int64; it keeps the whole path, like any n >= longest path
    huge = run("attribute", paths_csv, "--keep-last", str(10**21), "--format", "json")
    plain = run("attribute", paths_csv, "--format", "json")
    assert huge.exit_code == 0, huge.output
    got, ref = json.loads(huge.stdout)[0], json.loads(plain.stdout)[0]
    assert got["channels"] == ref["channels"]
    # linear by hand: A 3/3 + 1/2, B 3/3 + 2, C 3/3 + 1/2
    assert [c["conversions"] for c in got["channels"]] == [1.5, 3.0, 1.5]


def test_custom_weights_near_float_max(paths_csv):
    # equal weights of 1e308 are the linear model; their sum overflowed to inf and gave nan
    res = run(
        "attribute", paths_csv, "--model", "custom", "--format", "json",
        "--first", "1e308", "--middle", "1e308", "--last", "1e308",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert [c["conversions"] for c in json.loads(res.stdout)[0]["channels"]] == [1.5, 3.0, 1.5]


def test_internal_error_is_one_line_exit_1_with_how_to_debug(paths_csv, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kernel exploded\nsecond line")

    # the command module (the package attribute of that name is the click command)
    monkeypatch.setattr(importlib.import_module("pathcredit.cli.attribute"), "run", broken)
    line = one_line_error(run("attribute", paths_csv), code=1)
    assert "internal error: RuntimeError: kernel exploded second line" in line
    assert "--debug" in line and "PATHCREDIT_DEBUG=1" in line
    # asking for the traceback re-raises the original error
    for res in (
        run("--debug", "attribute", paths_csv),
        run("attribute", paths_csv, env={"PATHCREDIT_DEBUG": "1"}),
    ):
        assert isinstance(res.exception, RuntimeError)


def test_a_broken_invariant_exits_1_and_bad_input_exits_2(paths_csv, monkeypatch):
    # a model whose credit does not sum to the journeys' totals is a bug (InternalError,
    # exit 1), never reported as bad input; an unknown model is bad input (exit 2)
    from pathcredit import AttributionResult, InternalError, PathcreditError

    assert issubclass(InternalError, RuntimeError)
    assert not issubclass(InternalError, PathcreditError)

    def leaky(journeys, **params):
        return AttributionResult("linear", {}, journeys.channels, [0.0] * journeys.n_channels,
                                 total_conversions=journeys.total_conversions)  # fmt: skip

    monkeypatch.setattr(pathcredit.models.heuristics, "linear", leaky)
    line = one_line_error(run("attribute", paths_csv, "--model", "linear"), code=1)
    assert "internal error: InternalError: model 'linear' credited 0.0 conversions" in line
    line = one_line_error(run("attribute", paths_csv, "--model", "nonesuch"), code=2)
    assert "unknown model 'nonesuch'" in line


def test_real_process_prints_no_traceback(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("path,total_conversions\n")
    env = {k: v for k, v in os.environ.items() if k != "PATHCREDIT_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-m", "pathcredit.cli", "report", str(f)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"pathcredit: error: {f}: no paths")


def test_compare_to_adds_the_baseline_and_its_changes(paths_csv):
    res = run("attribute", paths_csv, "--model", "linear", "--compare-to", "last_touch",
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    linear, last = json.loads(res.stdout)
    assert last["label"] == "last_touch" and "baseline" not in last
    # A > B > C (3), B (2), C > A (1): last touch A 1, B 2, C 3; linear A 1.5, B 3, C 1.5
    changes = {c["channel"]: (c["change"], c["change_pct"]) for c in linear["baseline"]["channels"]}
    assert changes == {"A": (0.5, 50.0), "B": (1.0, 50.0), "C": (-1.5, -50.0)}
    assert "names none of the results" in one_line_error(
        run("attribute", paths_csv, "--model", "markov", "--compare-to", "markov(order=2)")
    )


def test_journeys_output_format_follows_the_extension(tmp_path):
    import pandas as pd

    import pathcredit as pc

    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "channel": ["email", None, "search"],
            "conversion": [0, 1, 0],
        }
    )
    log.to_csv(tmp_path / "ev.csv", index=False)
    for name in ("paths.csv", "paths.parquet"):
        res = run("journeys", tmp_path / "ev.csv", "--output", tmp_path / name)
        assert res.exit_code == 0, res.output
        j = pc.read_paths(tmp_path / name)  # a .csv holds CSV text, not Parquet bytes
        assert j.path_strings() == ["email", "search"]
        assert j.conversions.tolist() == [1.0, 0.0] and j.nulls.tolist() == [0.0, 1.0]
    assert (tmp_path / "paths.csv").read_text().startswith("path,")
    line = one_line_error(run("journeys", tmp_path / "ev.csv", "--output", tmp_path / "p.xlsx"))
    assert "cannot tell the output format from the extension" in line
    assert not (tmp_path / "p.xlsx").exists()


def test_bootstrap_and_bayesian_options(paths_csv):
    res = run("attribute", paths_csv, "--model", "linear", "--bootstrap", "300", "--seed", "4",
              "--ci-prob", "0.8", "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    assert out["ci_prob"] == 0.8
    for c in out["channels"]:  # the point credit is the plain linear one, inside its interval
        assert c["conversions_lower"] <= c["conversions"] <= c["conversions_upper"]
    assert [c["conversions"] for c in out["channels"]] == [1.5, 3.0, 1.5]
    res = run("attribute", paths_csv, "--model", "bayesian_markov", "--draws", "200",
              "--seed", "1", "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    assert out["label"] == "bayesian_markov(draws=200, seed=1)"
    assert all("share_lower" in c for c in out["channels"])
    assert "no selected model takes the parameter 'ci_prob'" in one_line_error(
        run("attribute", paths_csv, "--model", "linear", "--ci-prob", "0.8")
    )
    assert "no bootstrap" in one_line_error(
        run("attribute", paths_csv, "--model", "bayesian_markov", "--bootstrap", "10")
    )
    table = run("attribute", paths_csv, "--model", "linear", "--bootstrap", "50")
    assert "linear (bootstrap): conversions with 90% intervals" in table.stdout
