"""The page modules that need no browser (table text in and out), run under Node."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not on PATH: cannot run the page modules' unit tests")
def test_table_modules_pass_their_node_tests() -> None:
    proc = subprocess.run([NODE, "--test", "tests/browser/js/"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout
