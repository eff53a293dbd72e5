"""``pathcredit simulate``: the files it writes, read back by ``attribute``; one-line errors;
the one --output rule and the one --param parser shared with the other commands."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from pathcredit.cli import main


def test_cli_simulate_writes_files_attribute_reads(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sim"
    res = runner.invoke(
        main,
        [
            "simulate",
            "additive",
            "--journeys",
            "5000",
            "--seed",
            "2",
            "--output",
            str(out),
            "--param",
            "cross_device=0.2",
        ],
    )
    assert res.exit_code == 0, res.output
    for f in ("events.parquet", "identity_map.parquet", "paths.csv", "truth.json"):
        assert (out / f).exists()
    truth = json.loads((out / "truth.json").read_text())
    assert truth["scenario"] == "additive"
    assert set(truth["truth"]) >= {"incremental", "removal"}
    assert set(truth["truth"]["incremental"]["search"]) >= {"conversions", "share"}
    # the additive truth recomputed from the params and the paths
    paths = pd.read_csv(out / "paths.csv")
    assert list(paths.columns) == [
        "path",
        "total_conversions",
        "total_conversion_value",
        "total_null",
    ]
    beta = truth["params"]["beta"]
    journeys = paths.total_conversions + paths.total_null
    for c, b in beta.items():
        seen = paths.path.str.split(" > ").apply(lambda p, c=c: c in p)
        assert truth["truth"]["incremental"][c]["conversions"] == pytest.approx(
            b * journeys[seen].sum()
        )
    res = runner.invoke(main, ["attribute", str(out / "paths.csv"), "--model", "linear"])
    assert res.exit_code == 0, res.output


def test_cli_simulate_population_and_list(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["simulate", "--list"])
    assert res.exit_code == 0 and "confounded" in res.output
    out = tmp_path / "pop"
    res = runner.invoke(
        main,
        [
            "simulate",
            "funnel",
            "--population",
            "--journeys",
            "1000",
            "--output",
            str(out),
            "--param",
            "population_tol=1e-4",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (out / "paths.csv").exists() and not (out / "events.parquet").exists()


@pytest.mark.parametrize(
    "args,word",
    [
        (["simulate", "nope"], "unknown scenario"),
        (["simulate", "additive", "--param", "baseline=2"], "baseline"),
        (["simulate", "additive", "--param", "oops"], "KEY=VALUE"),
        (["simulate"], "SCENARIO"),
        (["benchmark", "--scenario", "nope"], "unknown scenario"),
        (["benchmark", "--model", "nope", "--quick"], "unknown model"),
    ],
)
def test_cli_errors_are_one_line(args, word, tmp_path):
    res = CliRunner().invoke(
        main,
        [*args, "--output", str(tmp_path / "x")]
        if args[0] == "benchmark" or len(args) > 1
        else args,
    )
    assert res.exit_code == 2
    assert word in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_out_is_a_deprecated_alias_of_output(tmp_path):
    args = ["simulate", "funnel", "--population", "--journeys", "1000"]
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "old")])
    assert res.exit_code == 0, res.output
    assert "pathcredit: warning: --out is deprecated; use --output" in res.stderr
    assert (tmp_path / "old" / "paths.csv").exists()
    res = CliRunner().invoke(main, [*args, "--output", str(tmp_path / "new")])
    assert res.exit_code == 0 and "deprecated" not in res.stderr
    # the two spellings give the same files
    assert (tmp_path / "new" / "paths.csv").read_bytes() == (
        tmp_path / "old" / "paths.csv"
    ).read_bytes()
    res = CliRunner().invoke(
        main, [*args, "--out", str(tmp_path / "a"), "--output", str(tmp_path / "b")]
    )
    assert res.exit_code == 2 and "give --output only" in res.output


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "funnel", "--population", "--journeys", "1000"],
        ["benchmark", "--scenario", "additive", "--model", "linear", "--size", "1000",
         "--seeds", "1", "--no-population", "--jobs", "1", "--no-progress", "--bootstrap", "0"],
        ["demo"],
    ],
)  # fmt: skip
def test_every_command_refuses_a_missing_output_folder_before_any_work(tmp_path, args):
    # one rule: --output's own name is created, the folder holding it must exist
    target = tmp_path / "missing" / "out"
    if args[0] == "demo":
        target = tmp_path / "missing" / "demo.png"
    res = CliRunner().invoke(main, [*args, "--output", str(target)])
    assert res.exit_code == 2, res.output
    assert f"{tmp_path / 'missing'}: output folder does not exist" in res.output
    assert not (tmp_path / "missing").exists()


def test_output_naming_a_file_is_refused_for_folder_commands(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("keep me\n")
    res = CliRunner().invoke(main, ["simulate", "funnel", "--population", "--output", str(f)])
    assert res.exit_code == 2 and f"Directory '{f}' is a file" in res.output
    assert f.read_text() == "keep me\n"


@pytest.mark.parametrize("bad", ["oops", "=2", " =x"])
def test_one_param_parser_one_message(tmp_path, bad, paths_csv):
    for args in (
        ["simulate", "additive", "--output", str(tmp_path / "s")],
        ["attribute", str(paths_csv), "--model", "shapley"],
    ):
        res = CliRunner().invoke(main, [*args, "--param", bad])
        assert res.exit_code == 2, res.output
        assert res.output.strip() == f"pathcredit: error: --param takes KEY=VALUE, got {bad!r}"


@pytest.fixture
def paths_csv(tmp_path):
    f = tmp_path / "paths.csv"
    f.write_text("path,total_conversions,total_null\nA > B,3,2\nB,2,0\n")
    return f
