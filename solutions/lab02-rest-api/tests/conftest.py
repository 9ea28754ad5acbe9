"""Make `app` importable when you run `pytest tests` from the lab folder (or from anywhere)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Generous limits so the visible tests never meet the rate limiter.
os.environ.setdefault("RATE_LIMIT", "1000")
os.environ.setdefault("RATE_WINDOW_SECONDS", "60")


def pytest_configure(config: pytest.Config) -> None:
    # Starlette's TestClient nudges towards another HTTP client; not your concern in this lab.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")
