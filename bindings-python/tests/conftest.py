"""Shared fixtures: the synthetic inputs in tests/data (see tests/data/README.md)."""

from pathlib import Path

import pytest

import phrkit

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def lifelog() -> phrkit.Dataset:
    return phrkit.read(DATA / "lifelog.ndjson")
