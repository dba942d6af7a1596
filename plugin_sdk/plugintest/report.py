"""The test report: one line per case, then a summary.

    PASS basic/volcano example (1.2 s)
    FAIL basic/volcano small-cutoff: volcano.png is 1800x1500, expected 1200x900
         volcano.pdf does not contain the text 'TP53'
    2 cases in 1 plugin: 1 passed, 1 failed (3.4 s)
"""

from __future__ import annotations

from collections.abc import Iterable

from plugin_sdk.plugintest.session import CaseResult, Status

LOG_LINES_SHOWN = 8


def case_lines(result: CaseResult, *, verbose: bool = False, outputs_kept: bool = False) -> list[str]:
    """The report lines of one case: its status line, then any further messages indented.

    ``verbose`` adds a failing case's log tail; ``outputs_kept`` its output folder (only worth
    showing when the folder outlives the run, as with --out).
    """
    # A plugin-level result (a load error, a catalogue-only plugin) has no case name to show.
    head = f"{result.status.value:<4} {result.plugin}" + (f" {result.case}" if result.case != "-" else "")
    if result.status is Status.PASS:
        lines = [f"{head} ({result.duration_s:.1f} s)"]
    else:
        first, *rest = result.messages or ["(no message)"]
        lines = [f"{head}: {first}", *(f"     {m}" for m in rest)]
    lines.extend(f"     updated: {change}" for change in result.updated)
    if result.status is Status.FAIL and result.log_tail and verbose:
        lines.append("     log:")
        lines.extend(f"     | {line}" for line in result.log_tail[-LOG_LINES_SHOWN:])
    if result.status is Status.FAIL and result.output_dir is not None and outputs_kept:
        lines.append(f"     outputs: {result.output_dir}")
    return lines


def summary(results: Iterable[CaseResult], seconds: float) -> str:
    results = list(results)
    plugins = len({r.plugin for r in results})
    counts = {status: sum(1 for r in results if r.status is status) for status in Status}
    cases = sum(1 for r in results if r.status is not Status.SKIP)
    parts = [f"{counts[Status.PASS]} passed"]
    for status, word in ((Status.FAIL, "failed"), (Status.ERROR, "could not run"), (Status.SKIP, "skipped")):
        if counts[status]:
            parts.append(f"{counts[status]} {word}")
    return (f"{cases} case{'s' if cases != 1 else ''} in {plugins} plugin{'s' if plugins != 1 else ''}: "
            f"{', '.join(parts)} ({seconds:.1f} s)")
