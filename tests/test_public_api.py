from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFitted

import shopperlens

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "duckdb", "pyarrow", "pydantic")


def test_all_is_sorted_and_complete() -> None:
    names = shopperlens.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(shopperlens, name), name
    assert set(names) <= set(dir(shopperlens))


def test_lazy_names_are_the_real_ones() -> None:
    from shopperlens.batch.result import RunResult
    from shopperlens.batch.runner import run

    assert shopperlens.run is run and shopperlens.RunResult is RunResult
    with pytest.raises(AttributeError, match="no attribute 'pipelines'"):
        shopperlens.pipelines  # noqa: B018


@pytest.mark.parametrize("module", ["shopperlens", "shopperlens.errors", "shopperlens.cli"])
def test_the_package_root_the_errors_and_the_cli_load_nothing_heavy(module: str) -> None:
    code = (f"import sys, {module}; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_not_fitted_error_is_made_once_and_is_scikit_learns_too() -> None:
    from shopperlens.errors import NotFittedError

    assert NotFittedError is shopperlens.NotFittedError
    assert issubclass(NotFittedError, (shopperlens.ShopperLensError, SklearnNotFitted))
    error = pickle.loads(pickle.dumps(NotFittedError("call fit first")))
    assert type(error) is NotFittedError and str(error) == "call fit first"
