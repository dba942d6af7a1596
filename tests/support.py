"""Small helpers the test packages share: waiting for a condition, asking whether a process runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from plugin_sdk.runtime.process import is_running

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, interval: float = 0.1, what: str = "") -> T:
    """Call ``probe`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {timeout:g} s{' for ' + what if what else ''} (last value: {value!r})")
        time.sleep(interval)


def process_exists(pid: int) -> bool:
    """The process runs (a zombie, exited but not yet reaped, runs nothing)."""
    return is_running(pid)
