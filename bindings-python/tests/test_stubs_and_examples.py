"""Stubs match the native module, and the examples type-check under mypy --strict and run."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import phrkit._native as native

ROOT = Path(__file__).parents[1]
STUB = ROOT / "python" / "phrkit" / "_native.pyi"


def _stub_public_names() -> set[str]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") or n == "__version__"}


def test_stub_names_match_module() -> None:
    runtime = {n for n in dir(native) if not n.startswith("_") or n == "__version__"}
    assert _stub_public_names() == runtime


def test_stubtest() -> None:
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "phrkit"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_examples_pass_mypy_strict() -> None:
    pytest.importorskip("mypy")
    examples = sorted(str(p) for p in (ROOT / "examples").glob("*.py")) + [str(ROOT / "tests")]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *examples], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_examples_run(example: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / example)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout
