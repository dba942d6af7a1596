"""The reproducibility bundle: everything needed to make the same figure again, in one zip.

It holds the plugin's files, the input tables, the resolved config, the versions of R, its
packages and the Python packages used, and `reproduce.sh` with the one command that re-runs
the job with `plotforge run`.
"""

from __future__ import annotations

import functools
import json
import platform
import shlex
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.jobfolder import JobFolder

BUNDLE_NAME = "reproduce.zip"
PYTHON_PACKAGES = ("plotforge", "pandas", "numpy", "matplotlib", "plotly", "openpyxl", "rpy2", "jsonschema",
                   "pypdfium2", "pillow")  # the last two render raster outputs from the PDF


@functools.cache
def python_versions() -> dict[str, str]:
    """The versions of the Python packages a run may use (read once: importlib.metadata parses
    every package's METADATA, about 12 ms a job)."""
    versions = {"python": platform.python_version()}
    for name in PYTHON_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def reproduce_command(plugin: Plugin, job: JobFolder) -> str:
    document = json.loads(job.job_json.read_text(encoding="utf-8"))
    argv = ["plotforge", "run", f"plugin/{plugin.module}/{plugin.tool}", "--params", "config.json", "--out", "output"]
    for table in document["tables"]:
        if table["path"]:
            argv += ["--input", f"{table['name']}={_bundle_name(job, Path(table['path']))}"]
    return shlex.join(argv)


def _bundle_name(job: JobFolder, path: Path) -> str:
    """Where a job's input file sits inside the bundle: input/ for tables, uploads/ for uploads."""
    folder = "uploads" if path.is_relative_to(job.upload_dir) else "input"
    return f"{folder}/{path.name}"


def write_bundle(plugin: Plugin, job: JobFolder, config: dict[str, Any]) -> Path:
    """Write JOB/reproduce.zip and return its path."""
    target = job.root / BUNDLE_NAME
    temporary = target.with_suffix(".zip.tmp")
    r_session = job.root / "r-session.json"
    versions: dict[str, Any] = {"python": dict(python_versions())}
    if r_session.is_file():
        versions["r"] = json.loads(r_session.read_text(encoding="utf-8"))
    command = reproduce_command(plugin, job)
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(plugin.path.rglob("*")):
            rel = file.relative_to(plugin.path)
            if file.is_file() and "__pycache__" not in rel.parts:
                archive.write(file, f"plugin/{plugin.module}/{plugin.tool}/{rel.as_posix()}")
        for folder in (job.input_dir, job.upload_dir):
            for file in sorted(folder.iterdir()):
                if file.is_file():
                    archive.write(file, _bundle_name(job, file))
        archive.writestr("config.json", json.dumps({"params": config}, ensure_ascii=False, indent=2))
        archive.writestr("versions.json", json.dumps(versions, ensure_ascii=False, indent=2))
        archive.writestr(
            "reproduce.sh",
            "#!/bin/sh\n# Re-run this figure with PlotForge (pip install plotforge; R from Debian for R plugins).\n"
            f"cd \"$(dirname \"$0\")\" && {command}\n",
        )
        archive.writestr(
            "README.txt",
            f"Plot: {plugin.key} (version {plugin.version}, content {plugin.content_hash[:12]})\n"
            "config.json: the parameters as the plot received them\n"
            "input/: the tables, in the order the plot reads them\n"
            "versions.json: Python, R and package versions used\n"
            f"To make the figure again: sh reproduce.sh\n    {command}\n",
        )
    temporary.replace(target)
    return target
