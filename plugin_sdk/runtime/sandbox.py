"""Run an untrusted plugin inside bubblewrap: no network, a read-only system, one writable folder.

The sandbox sees /usr (R, Python's system libraries, fonts), the few /etc entries R and
fontconfig read, the Python environment, our runtime code, the plugin's own folder (read
only) and the job folder (read-write). Nothing else: not the server's data folder, not
other jobs, not its secrets. `--die-with-parent` and a PID namespace make every process of
the plugin die with its worker.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.executors import R_DIR, entry_command, job_environment, matplotlib_config_dir, r_library_dir
from plugin_sdk.runtime.jobfolder import JobFolder
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.process import ChildProcess, spawn_command

PLUGIN_SDK_DIR = Path(__file__).resolve().parent.parent
# What R, fontconfig and the dynamic loader read from /etc.
ETC_ENTRIES = ("R", "fonts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "mime.types")


@functools.cache
def bubblewrap_path() -> str | None:
    """bwrap, if it is installed and can create namespaces here (it cannot in some containers)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
             "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
             "--", "/usr/bin/true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return path if ok else None


def sandbox_argv(bwrap: str, plugin: Plugin, job: JobFolder, environment: dict[str, str]) -> list[str]:
    # No --new-session: the job has no terminal to protect (stdin is /dev/null and the
    # supervisor already made it a session leader), and staying in that session is what
    # lets the supervisor count and kill every process of the plugin.
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--clearenv",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for entry in ETC_ENTRIES:
        argv += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    read_only = {
        Path(sys.prefix), Path(sys.base_prefix), PLUGIN_SDK_DIR, R_DIR, r_library_dir(), plugin.path,
        matplotlib_config_dir(),
    }
    for folder in sorted(str(p) for p in read_only):
        argv += ["--ro-bind-try", folder, folder]
    argv += ["--bind", str(job.root), str(job.root), "--chdir", str(job.root)]
    for key, value in environment.items():
        argv += ["--setenv", key, value]
    # The editable install finds plugin_sdk through a path hook that names the project
    # folder, which is not in the sandbox; pointing PYTHONPATH at its parent is enough.
    argv += ["--setenv", "PYTHONPATH", str(PLUGIN_SDK_DIR.parent)]
    return argv


class SandboxedExecutor:
    """Runs each job in a fresh interpreter inside bubblewrap."""

    def __init__(self) -> None:
        bwrap = bubblewrap_path()
        if bwrap is None:
            raise RuntimeError("bubblewrap (bwrap) is not available: untrusted plugins cannot be sandboxed")
        self.bwrap = bwrap

    def start(self, plugin: Plugin, job: JobFolder, limits: Limits) -> ChildProcess:
        environment = job_environment(job)
        argv = [*sandbox_argv(self.bwrap, plugin, job, environment), "--", *entry_command(plugin, job)]
        return spawn_command(argv, job, limits, environment)
