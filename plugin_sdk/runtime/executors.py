"""How a job's process is started: a fresh interpreter (this module) or a warm fork (warm.py).

Both start the same entry point on the same job folder (`run_job.R` for R plugins,
`plugin_sdk.runtime.run_python` for Python ones), so a plugin behaves the same either way.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Protocol

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.jobfolder import JobFolder
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.process import ChildProcess, spawn_command

R_DIR = Path(__file__).resolve().parent / "r"
R_ENTRY = R_DIR / "run_job.R"


class Executor(Protocol):
    def start(self, plugin: Plugin, job: JobFolder, limits: Limits) -> ChildProcess:
        """Start the job's entry point as a process-group leader and return it."""


def r_library_dir() -> Path:
    """Where setup installs our R stand-ins (pacman, ggplotify): .venv/R-library by default."""
    configured = os.environ.get("PLOTFORGE_R_LIBS")
    return Path(configured) if configured else Path(sys.prefix) / "R-library"


def matplotlib_config_dir() -> Path:
    # matplotlib builds its font cache on first use (about 2 s): keep it across jobs.
    configured = os.environ.get("MPLCONFIGDIR")
    return Path(configured) if configured else Path.home() / ".cache" / "plotforge" / "matplotlib"


def job_environment(job: JobFolder) -> dict[str, str]:
    """A small, clean environment: the job sees no secrets of the server's."""
    tmp = job.root / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(job.root),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",  # R asks timedatectl for the zone otherwise, which fails in containers
        "TMPDIR": str(tmp),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(matplotlib_config_dir()),
        "PLOTFORGE_R_LIBS": str(r_library_dir()),
        "PLOTFORGE_PYTHON": sys.executable,  # export_single renders raster outputs with it (rasterise.py)
        "R_LIBS_USER": str(r_library_dir()),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def entry_command(plugin: Plugin, job: JobFolder) -> list[str]:
    if plugin.language == "python":
        return [sys.executable, "-m", "plugin_sdk.runtime.run_python", str(job.job_json)]
    rscript = shutil.which("Rscript") or "Rscript"
    return [rscript, "--no-save", "--no-restore", "--no-site-file", "--no-init-file", str(R_ENTRY), str(job.job_json)]


class SubprocessExecutor:
    """A fresh Rscript or Python per job: slow to start, but nothing is shared."""

    def start(self, plugin: Plugin, job: JobFolder, limits: Limits) -> ChildProcess:
        return spawn_command(entry_command(plugin, job), job, limits, job_environment(job))
