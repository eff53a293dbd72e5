"""Package-level promises: a light import, a curated namespace."""

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


def test_readme_defines_every_model_in_one_line():
    from pathlib import Path

    from pathcredit.models import _REGISTRY

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for spec in _REGISTRY.values():
        assert f"| `{spec.name}` | {spec.definition} |" in readme, spec.name
