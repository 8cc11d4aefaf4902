"""docs/api.md's example runs as written, and the package exposes what it documents."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import unionkb
from tests.helpers import REPO


def test_api_doc_example_runs():
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/api.md has no python example"
    r = subprocess.run(
        [sys.executable, "-c", blocks[0]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "马背送学" in r.stdout and "error: no archive at" in r.stdout


def test_public_names_are_exported_and_documented():
    for name in unionkb.__all__:
        if name == "__version__":
            continue
        obj = getattr(unionkb, name)
        assert obj.__doc__ and obj.__doc__.strip(), f"{name} has no docstring"
    assert unionkb.__version__ not in ("", "0+unknown")


def test_python_dash_m_unionkb_runs_the_cli():
    r = subprocess.run(
        [sys.executable, "-m", "unionkb", "--version"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and unionkb.__version__ in r.stdout
