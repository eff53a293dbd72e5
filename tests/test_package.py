"""Package-level promises: a light import, a curated namespace."""

import json
import subprocess
import sys

import pathcredit


def test_import_does_not_load_heavy_modules():
    # Import time itself is measured in benchmarks/import_time.py; here we check the cause:
    # nothing heavy is imported by `import pathcredit`.
    code = (
        "import sys, pathcredit; "
        "print(','.join(m for m in ['pandas', 'scipy', 'matplotlib', 'pyarrow', 'networkx', "
        "'ibis', 'duckdb', 'pyspark', 'pymc', 'arviz'] if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in pathcredit.__all__:
        assert getattr(pathcredit, name) is not None


def test_dir_lists_every_public_name_lazy_ones_included():
    # tab completion reads dir(); the lazily loaded names (read_ga4, bootstrap, plot_*...)
    # are listed before they are first used, in a fresh interpreter
    code = "import json, pathcredit; print(json.dumps(dir(pathcredit)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listed = set(json.loads(out.stdout))
    assert set(pathcredit.__all__) <= listed
    assert {"read_ga4", "bootstrap", "plot_attribution", "build_journeys"} <= listed


def test_every_warning_and_error_class_lives_in_exceptions():
    from pathcredit import exceptions
    from pathcredit.models import bootstrap
    from pathcredit.models.bayesian import response

    assert bootstrap.BootstrapWarning is exceptions.BootstrapWarning
    assert response.SamplingWarning is exceptions.SamplingWarning
    for name in ("BootstrapWarning", "SamplingWarning", "PathcreditWarning"):
        assert issubclass(getattr(exceptions, name), exceptions.PathcreditWarning)
        assert getattr(pathcredit, name) is getattr(exceptions, name)
    assert issubclass(exceptions.InternalError, RuntimeError)
    assert not issubclass(exceptions.InternalError, exceptions.PathcreditError)


def test_readme_model_table_is_the_registrys():
    # the committed copy between the markers equals `pathcredit models --markdown`
    from pathlib import Path

    from click.testing import CliRunner

    from pathcredit.cli import main
    from pathcredit.cli.models import README_BEGIN, README_END
    from pathcredit.models import _REGISTRY

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert readme.count(README_BEGIN) == 1 and readme.count(README_END) == 1
    committed = readme.split(README_BEGIN)[1].split(README_END)[0].strip()
    res = CliRunner().invoke(main, ["models", "--markdown"])
    assert res.exit_code == 0, res.output
    assert committed == res.stdout.strip()
    lines = committed.splitlines()
    assert len(lines) == 2 + len(_REGISTRY)  # header, rule, one row per model
    for spec in _REGISTRY.values():
        assert f"| `{spec.name}` | {spec.definition} |" in lines, spec.name


def test_bad_arguments_raise_the_packages_own_errors():
    import numpy as np
    import pytest

    from pathcredit import InputError, Journeys
    from pathcredit.simulate import simulate_events

    with pytest.raises(InputError, match="n_users"):
        simulate_events(0)
    with pytest.raises(InputError, match="one entry per path"):
        Journeys(["A"], np.array([0]), np.array([0, 1]), np.array([1.0, 2.0]))
