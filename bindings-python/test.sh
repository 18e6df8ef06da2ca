#!/usr/bin/env bash
# Builds the Python extension into a local venv and runs the Python checks: pytest (which includes the
# stub check, mypy --strict on the examples and the notebook's code cells) plus stubtest on its own.
#
# Self-contained and idempotent: creates bindings-python/.venv (gitignored) on first use, reuses it after.
# Honours CARGO_TARGET_DIR (maturin builds through cargo); PYTHON picks the interpreter (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
python="${PYTHON:-python3}"
venv="$here/.venv"

if ! "$venv/bin/python" -c "import sys; assert sys.version_info >= (3, 9)" 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"

# Quiet when everything is already installed (second run: no downloads).
python -m pip install -q --disable-pip-version-check \
    "maturin>=1.9,<2" "pytest>=7" "mypy>=1.8" "pyarrow>=14" "pandas>=1.5" "polars>=1.0" "tqdm>=4"

# Dev profile: the extension is small and tests are I/O-light; release builds are for wheels.
maturin develop --quiet

python -m pytest -q tests
python -m mypy.stubtest phrkit
