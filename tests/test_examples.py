"""Run the gallery examples in quick mode, as the documentation build does.

Each example runs in its own Python process from the examples folder (the working directory of
sphinx-gallery), with ``SKLEARN_PAWS_DOCS_QUICK=1`` and a non-interactive matplotlib backend.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))

# Seconds one example may take in quick mode; they take 10 to 40 s of CPU on a quiet 2-core machine.
TIMEOUT_SECONDS = 600


def _example_id(path):
    return path.stem


def test_examples_found():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_example_gallery_header(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring is not None, f"{path.name} has no module docstring, which sphinx-gallery needs"
    lines = docstring.splitlines()
    assert len(lines) >= 2, f"{path.name}: the docstring must start with a title and its underline"
    assert set(lines[1]) == {"="}, f"{path.name}: the title must be underlined with '='"
    assert len(lines[1]) >= len(lines[0]), f"{path.name}: the title underline is too short"


@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_example_reads_quick_flag(path):
    assert "SKLEARN_PAWS_DOCS_QUICK" in path.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_example_runs(path):
    environment = dict(os.environ, SKLEARN_PAWS_DOCS_QUICK="1", MPLBACKEND="Agg")
    completed = subprocess.run(
        [sys.executable, path.name],
        cwd=EXAMPLES_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, f"{path.name} failed:\n{completed.stderr[-3000:]}"


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_first_fit():
    """Return the Python code block of the README's "A first fit" section."""
    section = README.read_text(encoding="utf-8").split("## A first fit", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow
def test_readme_first_fit_finds_signal(tmp_path):
    from sklearn_paws.datasets._default import DATA_DIR, DATASET_FILENAME

    if not (DATA_DIR / DATASET_FILENAME).exists():
        pytest.skip("the default dataset has not been assembled into the package yet")
    script = tmp_path / "first_fit.py"
    script.write_text(_readme_first_fit(), encoding="utf-8")
    completed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=TIMEOUT_SECONDS)
    assert completed.returncode == 0, f"the README's first fit failed:\n{completed.stderr[-3000:]}"

    # The injected signal: (m_X, m_Y) = (300, 300) GeV at mu = 3 %.
    match = re.search(r"m_X = (\d+) GeV, m_Y = (\d+) GeV, mu = ([\d.]+)", completed.stdout)
    assert match is not None, completed.stdout
    mx, my, mu = (float(value) for value in match.groups())
    assert abs(mx - 300) < 30
    assert abs(my - 300) < 30
    assert 0.02 < mu < 0.045
