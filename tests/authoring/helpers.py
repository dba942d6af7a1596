"""Shared helpers for the authoring tests: the real CLI, in process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from plugin_sdk.cli import _register_commands, cli

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "authoring"
PLOTFORGE = Path(sys.executable).parent / "plotforge"

_register_commands()


def invoke(*args: str | Path) -> Result:
    """`plotforge <args>` in this process; stdout and stderr together in result.output."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`plotforge <args>` as its own process (as an author runs it), output captured."""
    return subprocess.run([str(PLOTFORGE), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ), check=False, timeout=600)
