"""Run one plugin: validate the request, prepare the job folder, run, collect, explain.

`run_plugin` is the single function every caller uses (the `plotforge run` command, the
plugin test runner, the job service's workers), so a plugin behaves the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from plugin_sdk.params import RequestInvalid, Resolved, resolve_request
from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.bundle import write_bundle
from plugin_sdk.runtime.executors import Executor, SubprocessExecutor
from plugin_sdk.runtime.jobfolder import JobFolder, prepare_job_folder, publish_attempt
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.outcome import Reason, RunResult, describe_failure, list_outputs
from plugin_sdk.runtime.process import EventSink, supervise

LOG_TAIL_LINES = 40


def run_plugin(
    plugin: Plugin,
    request: dict[str, Any],
    workdir: Path,
    *,
    limits: Limits | None = None,
    executor: Executor | None = None,
    on_event: EventSink | None = None,
    should_cancel: Callable[[], bool] | None = None,
    attempt: int = 1,
) -> RunResult:
    """Validate ``request`` against the plugin's parameter schema, then run it in ``workdir``."""
    try:
        resolved = resolve_request(plugin, request)
    except RequestInvalid as invalid:
        errors = [e.to_dict() for e in invalid.errors]
        first = errors[0]["message"] if errors else "the request is not valid"
        return RunResult(Reason.INVALID_INPUT, f"Please check the input: {first}", field_errors=errors)
    return run_resolved(
        plugin, resolved, workdir, limits=limits, executor=executor, on_event=on_event,
        should_cancel=should_cancel, attempt=attempt, request=request,
    )


def run_resolved(
    plugin: Plugin,
    resolved: Resolved,
    workdir: Path,
    *,
    limits: Limits | None = None,
    executor: Executor | None = None,
    on_event: EventSink | None = None,
    should_cancel: Callable[[], bool] | None = None,
    attempt: int = 1,
    request: dict[str, Any] | None = None,
) -> RunResult:
    """Run a request that has already been validated (the job service validates at submit)."""
    if not plugin.runnable:
        return RunResult(Reason.INVALID_INPUT, f"{plugin.key} is a catalogue entry only; it has no script to run.")
    limits = limits or Limits()
    executor = executor or SubprocessExecutor()
    job = prepare_job_folder(workdir, plugin, resolved.config, resolved.tables, attempt, request)
    attempt_dir = job.attempt_dir(attempt)
    child = executor.start(plugin, job, limits)
    info = supervise(child, job, limits, attempt_dir, on_event, should_cancel)
    entry = job.read_result()
    log_lines = _read_log(job)

    stopped = info.cancelled or info.timed_out or info.output_exceeded or info.too_many_processes
    if not stopped and info.returncode == 0 and entry is not None and entry.get("ok"):
        produced = list_outputs(attempt_dir)
        if not produced:
            return RunResult(Reason.NO_OUTPUT, "The plot finished but wrote no files.",
                             log_tail=log_lines[-LOG_TAIL_LINES:], duration_s=info.duration_s)
        output_dir = publish_attempt(job, attempt)
        bundle = write_bundle(plugin, job, resolved.config)
        return RunResult(
            Reason.SUCCEEDED, "", outputs=list_outputs(output_dir), log_tail=log_lines[-LOG_TAIL_LINES:],
            duration_s=info.duration_s, output_dir=output_dir, bundle=bundle,
        )

    failure = describe_failure(info, entry, log_lines, resolved.config, resolved.tables, _limits_text(limits), plugin)
    return RunResult(failure.reason, failure.message, field_errors=failure.field_errors,
                     log_tail=log_lines[-LOG_TAIL_LINES:], duration_s=info.duration_s, detail=failure.detail)


def _read_log(job: JobFolder) -> list[str]:
    try:
        return job.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _limits_text(limits: Limits) -> dict[str, str]:
    return {
        "wall_clock": f"{limits.wall_clock_s:g} s",
        "memory": f"{limits.memory_mb} MB",
        "cpu": f"{limits.cpu_s} s",
        "output": f"{limits.output_mb} MB",
    }
