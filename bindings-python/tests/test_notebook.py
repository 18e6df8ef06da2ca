"""Runs the demo notebook's code cells as one script (cheaper than a Jupyter kernel in CI)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "demo.ipynb"


def test_demo_notebook_code_cells_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    monkeypatch.chdir(NOTEBOOK.parent)
    namespace: dict[str, object] = {}
    exec(compile(code, str(NOTEBOOK), "exec"), namespace)
    out = capsys.readouterr().out
    assert "8 7 {'status-withdrawn': 1}" in out
    assert "Subject(insured_id=<masked>" in out and "試験" not in out
    assert "{'bloodPressure': 1, 'bodyMass': 1, 'subject': 1}" in out
    assert os.getcwd() == str(NOTEBOOK.parent)
    if not all(importlib.util.find_spec(m) for m in ("pandas", "pyarrow")):
        return  # the DataFrame cell printed its ImportError instead
    assert "2025-03-01 07:05:00" in out  # local wall-clock time of the weight reading
    assert "52.3" in out
