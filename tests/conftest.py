"""Shared fixtures: plugin factories, R stand-ins, output checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def r_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our R stand-ins (pacman, ggplotify) installed once into a private library."""
    configured = os.environ.get("PLOTFORGE_R_LIBS")
    default = REPO / ".venv" / "R-library"
    for candidate in (Path(configured) if configured else None, default):
        if candidate is not None and (candidate / "pacman").is_dir():
            os.environ["PLOTFORGE_R_LIBS"] = str(candidate)
            return candidate
    library = tmp_path_factory.mktemp("R-library")
    subprocess.run(["bash", str(REPO / "plugin_sdk/runtime/r/install_standins.sh"), str(library)], check=True)
    os.environ["PLOTFORGE_R_LIBS"] = str(library)
    return library


@pytest.fixture(scope="session")
def mpl_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One matplotlib font cache for the whole session (building it takes seconds)."""
    folder = Path.home() / ".cache" / "plotforge" / "matplotlib"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLCONFIGDIR", str(folder))
    return folder


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run setup/install.sh")
    return path
