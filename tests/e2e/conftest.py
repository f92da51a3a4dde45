from __future__ import annotations

from pathlib import Path

import pytest

from shopperlens import demo


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo data folder shared by the end-to-end tests (read-only)."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    demo.write(demo.generate(800, seed=1), folder, fmt="csv")
    return folder
