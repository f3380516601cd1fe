"""Small helpers shared by the conformance tests."""

from __future__ import annotations

import contextlib

import pytest
from mlflow.exceptions import MlflowException


@contextlib.contextmanager
def raises_mlflow(error_code: str, match: str | None = None):
    """Expects an MlflowException (RestException included) with this error_code."""
    with pytest.raises(MlflowException) as info:
        yield info
    assert info.value.error_code == error_code, f"{info.value.error_code}: {info.value}"
    if match is not None:
        assert match in str(info.value), str(info.value)


def metric_map(run) -> dict[str, float]:
    return dict(run.data.metrics)
