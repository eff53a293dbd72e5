"""Fuzzing the CLI's options: whatever a user types, `pathcredit attribute` either succeeds (exit
0) or prints one line naming the problem (exit 2); never a traceback, never an internal error."""

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathcredit.cli import main
from pathcredit.models import _REGISTRY

PATHS = (
    "path,total_conversions,total_conversion_value,total_null\n"
    "A > B > C,3,30,2\nB,2,5,0\nC > A > A,1,2,1\nD,0,0,4\nB > D,1,1,3\n"
)
# max_permutations=10**9 is a valid (if slow) request, not an error: not fuzzed
ODD_VALUES = [
    "-1", "0", "1", "2", "3", "0.5", "1e308", "-1e308", "nan", "inf", "-inf", "x", "",
    "[1, 2]", "null", "true", "false", "{}", "\"auto\"", "auto", "1e-300", "-0",
    "0.999999", "1.5", "1e21", str(10**30), "1000000000",
]  # fmt: skip
PARAMS = sorted(
    {p for spec in _REGISTRY.values() for p in spec.parameters()} - {"max_permutations"}
)


@pytest.fixture(scope="module")
def paths_csv(tmp_path_factory):
    f = tmp_path_factory.mktemp("fuzz") / "paths.csv"
    f.write_text(PATHS)
    return f


NAMED = {
    "order": "--order",
    "half_life": "--half-life",
    "first": "--first",
    "middle": "--middle",
    "last": "--last",
    "value_function": "--value-function",
}
transform = st.one_of(
    st.tuples(st.sampled_from(["--keep-last", "--sep", "--drop-channel", "--rename"]),
              st.sampled_from(ODD_VALUES + ["A", "A=B", "B=", "=", ">", "->", "|"])),
    st.tuples(st.sampled_from(["--collapse-repeats", "--first-occurrence"])),
)  # fmt: skip


@st.composite
def model_options(draw):
    """One model and a few of its own parameters (so the model, not the CLI, sees them)."""
    model = draw(st.sampled_from(sorted(_REGISTRY)))
    own = sorted(set(_REGISTRY[model].parameters()) & set(PARAMS))
    args = ["--model", model]
    for name in draw(st.lists(st.sampled_from(own), max_size=3, unique=True)) if own else []:
        value = draw(st.sampled_from(ODD_VALUES))
        args += [NAMED[name], value] if name in NAMED else ["--param", f"{name}={value}"]
    return args


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(model=model_options(), opts=st.lists(transform, max_size=2))
def test_attribute_never_crashes(paths_csv, model, opts):
    args = ["attribute", str(paths_csv), "--format", "json", *model]
    for o in opts:
        args += list(o)
    res = CliRunner().invoke(main, args)
    assert res.exit_code in (0, 2), (args, res.stderr, res.exception)
    assert "Traceback" not in res.stderr
    if res.exit_code == 2:
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert res.stderr.startswith("pathcredit: error: ")
