"""What a run came to, in words a biologist can act on.

The entry points write result.json with the raw error; the supervisor knows whether the
clock or a limit stopped the process. This module turns both into one `Reason` and one
readable message, naming the column or the parameter when the error points at one.
"""

from __future__ import annotations

import re
import signal
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.diagnosis import diagnose
from plugin_sdk.runtime.process import ExitInfo
from plugin_sdk.tables import Table


class Reason(StrEnum):
    SUCCEEDED = "succeeded"
    INVALID_INPUT = "invalid_input"
    PLUGIN_ERROR = "plugin_error"
    MISSING_PACKAGE = "missing_package"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    CPU_TIME = "cpu_time"
    OUTPUT_TOO_LARGE = "output_too_large"
    TOO_MANY_PROCESSES = "too_many_processes"
    NO_OUTPUT = "no_output"
    CANCELLED = "cancelled"
    KILLED = "killed"
    WORKER_LOST = "worker_lost"


@dataclass
class OutputFile:
    name: str
    kind: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    reason: Reason
    message: str = ""
    outputs: list[OutputFile] = field(default_factory=list)
    field_errors: list[dict[str, Any]] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    output_dir: Path | None = None
    bundle: Path | None = None
    detail: str = ""  # the raw error, for the log and for plugin authors

    @property
    def ok(self) -> bool:
        return self.reason is Reason.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason.value,
            "message": self.message,
            "detail": self.detail,
            "outputs": [o.to_dict() for o in self.outputs],
            "field_errors": self.field_errors,
            "log_tail": self.log_tail,
            "duration_s": round(self.duration_s, 3),
            "output_dir": str(self.output_dir) if self.output_dir else None,
            "bundle": str(self.bundle) if self.bundle else None,
        }


_MEMORY_PATTERNS = (
    re.compile(r"cannot allocate (vector|memory|buffer)", re.I),
    re.compile(r"\bMemoryError\b"),
    re.compile(r"std::bad_alloc"),
    re.compile(r"memory exhausted", re.I),
    re.compile(r"Cannot allocate memory", re.I),
)
_FORK_PATTERNS = (
    re.compile(r"Resource temporarily unavailable"),
    re.compile(r"cannot fork", re.I),
    re.compile(r"BlockingIOError"),
)
_MISSING_PACKAGE_PATTERNS = (
    re.compile(r"there is no package called [‘'\"]([^’'\"]+)[’'\"]"),
    re.compile(r"No module named [‘'\"]([^’'\".]+)"),
)


def _missing_package(text: str) -> str | None:
    for pattern in _MISSING_PACKAGE_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


@dataclass(frozen=True)
class Failure:
    reason: Reason
    message: str
    detail: str = ""  # the raw error, for the log and for plugin authors
    field_errors: list[dict[str, Any]] = field(default_factory=list)


def describe_failure(
    info: ExitInfo,
    entry_result: dict[str, Any] | None,
    log_lines: list[str],
    config: dict[str, Any],
    tables: list[Table | None],
    limits_text: dict[str, str],
    plugin: Plugin | None = None,
) -> Failure:
    """Why a run did not succeed, in words a biologist can act on."""
    if info.cancelled:
        return Failure(Reason.CANCELLED, "The job was cancelled.")
    if info.timed_out:
        return Failure(Reason.TIMEOUT, f"The plot took longer than {limits_text['wall_clock']} and was stopped.")
    if info.too_many_processes:
        return Failure(Reason.TOO_MANY_PROCESSES, "The plot tried to start too many processes and was stopped.")
    if info.output_exceeded:
        return Failure(Reason.OUTPUT_TOO_LARGE,
                       f"The plot wrote more than {limits_text['output']} of files and was stopped.")

    raw = ""
    if entry_result and not entry_result.get("ok", False):
        raw = str(entry_result.get("message") or "").strip()
    text_to_scan = raw + "\n" + "\n".join(log_lines[-60:])

    package = (entry_result or {}).get("missing_package") or _missing_package(text_to_scan)
    if package:
        return Failure(Reason.MISSING_PACKAGE,
                       f"This plot needs the package '{package}', which is not installed on this server. "
                       "Please tell the server's operator.", raw)
    if any(p.search(text_to_scan) for p in _MEMORY_PATTERNS):
        return Failure(Reason.OUT_OF_MEMORY,
                       f"The plot ran out of memory (limit {limits_text['memory']}). Try a smaller table.", raw)
    if info.signal == signal.SIGXCPU:
        return Failure(Reason.CPU_TIME,
                       f"The plot used more than {limits_text['cpu']} of processor time and was stopped.", raw)
    if any(p.search(text_to_scan) for p in _FORK_PATTERNS):
        return Failure(Reason.TOO_MANY_PROCESSES, "The plot tried to start too many processes and was stopped.", raw)
    if entry_result is None:
        if info.signal is not None:
            name = signal.Signals(info.signal).name if info.signal in signal.valid_signals() else info.signal
            return Failure(Reason.KILLED, f"The plot process was stopped by the system ({name}).",
                           _last_lines(log_lines))
        return Failure(Reason.PLUGIN_ERROR, "The plot stopped without reporting a result.", _last_lines(log_lines))
    message, field_errors = diagnose(raw, config, tables, plugin)
    return Failure(Reason.PLUGIN_ERROR, message, raw, field_errors)


def _last_lines(lines: list[str], count: int = 5) -> str:
    return "\n".join(lines[-count:])


OUTPUT_KINDS = {
    ".plotly.html": "plotly",
    ".addition.tar.gz": "addition",
    ".pdf": "pdf",
    ".png": "png",
    ".jpeg": "jpeg",
    ".jpg": "jpeg",
    ".tiff": "tiff",
    ".tif": "tiff",
    ".svg": "svg",
    ".xlsx": "xlsx",
    ".html": "html",
}


def output_kind(name: str) -> str:
    lower = name.lower()
    for suffix, kind in OUTPUT_KINDS.items():
        if lower.endswith(suffix):
            return kind
    return "other"


def list_outputs(folder: Path) -> list[OutputFile]:
    """Every file a run produced, with its kind; hidden and temporary files are not outputs."""
    files = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".tmp"):
            files.append(OutputFile(path.name, output_kind(path.name), path.stat().st_size))
    return files
