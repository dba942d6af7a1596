"""Run plugins' test cases: load each plugin, run each case with `run_plugin`, check, report.

One executor serves the whole session. By default it is the warm one: R (and Python's
plotting stack) start once, and every case runs in a child forked from this process, so a
suite of many cases costs one R start-up rather than one per case.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from plugin_sdk.loader import find_plugin_folders, load_plugin
from plugin_sdk.plugin import JSON_FILES, Plugin
from plugin_sdk.plugintest.cases import Case, load_cases
from plugin_sdk.plugintest.expectations import check, update_snapshots
from plugin_sdk.runtime.executors import Executor, SubprocessExecutor
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.tables import TableError


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"  # an expectation does not hold, or the run failed unexpectedly
    ERROR = "ERROR"  # the case cannot be run: a broken case file or a plugin that does not load
    SKIP = "SKIP"  # nothing to run (a catalogue-only plugin)


@dataclass
class CaseResult:
    plugin: str  # "module/tool"
    case: str
    status: Status
    messages: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    updated: list[str] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)
    output_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in (Status.PASS, Status.SKIP)


@dataclass
class PluginUnderTest:
    key: str
    path: Path
    plugin: Plugin | None
    load_errors: list[str] = field(default_factory=list)


def collect_plugins(paths: Iterable[Path]) -> list[PluginUnderTest]:
    """Every plugin folder under the paths (a plugin folder, or a folder of <module>/<tool>)."""
    found: list[PluginUnderTest] = []
    seen: set[Path] = set()
    for path in paths:
        for folder in _plugin_folders(Path(path)):
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            loaded = load_plugin(folder)
            errors = [str(f) for f in loaded.findings if f.is_error]
            found.append(PluginUnderTest(loaded.key, loaded.path, loaded.plugin, errors))
    return found


def _plugin_folders(path: Path) -> list[Path]:
    """A plugin folder, a plugins root (<module>/<tool>), or one module folder (<tool>/...)."""
    found = find_plugin_folders(path)
    if found or not path.is_dir():
        return found
    return [child for child in sorted(path.iterdir())
            if child.is_dir() and any((child / name).is_file() for name in JSON_FILES)]


def choose_executor(plugins: Iterable[Plugin], warm: bool) -> tuple[Executor, str]:
    """The session's executor and a note for the report ("" when all is as asked)."""
    languages = {p.language for p in plugins if p.runnable}
    if not warm or not languages:
        return SubprocessExecutor(), ""
    try:
        from plugin_sdk.runtime.warm import WarmExecutor

        return WarmExecutor(r="r" in languages, python="python" in languages), ""
    except Exception as exc:  # rpy2 or R cannot start embedded here: a fresh process per case still works
        return SubprocessExecutor(), f"warm executor unavailable ({type(exc).__name__}: {exc}); " \
                                     "running each case in a fresh process"


def selected(case: Case, patterns: Iterable[str]) -> bool:
    patterns = list(patterns)
    return not patterns or any(fnmatch.fnmatchcase(case.name, p) for p in patterns)


def run_session(
    plugins: list[PluginUnderTest],
    executor: Executor,
    workdir: Path,
    *,
    update: bool = False,
    case_patterns: Iterable[str] = (),
    limits: Limits | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every selected case of every plugin; `on_result` sees each result as it comes."""
    results: list[CaseResult] = []
    patterns = list(case_patterns)
    for item in plugins:
        for result in _plugin_results(item, executor, workdir, update, patterns, limits):
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def _plugin_results(
    item: PluginUnderTest, executor: Executor, workdir: Path, update: bool, patterns: list[str],
    limits: Limits | None,
) -> Iterator[CaseResult]:
    if item.plugin is None:
        yield CaseResult(item.key, "load", Status.ERROR, [f"{item.key} does not load: {e}" for e in item.load_errors])
        return
    plugin = item.plugin
    if not plugin.runnable:
        yield CaseResult(item.key, "-", Status.SKIP, ["a catalogue entry only: nothing to run"])
        return
    cases = [c for c in load_cases(plugin) if selected(c, patterns)]
    if not cases and not patterns:
        yield CaseResult(item.key, "-", Status.FAIL, ["no test cases in tests/ and no example data: nothing tests "
                                                      "this plugin"])
    used: set[str] = set()
    for case in cases:
        folder = workdir / plugin.module / plugin.tool / _unique_slug(case.name, used)
        yield run_case(case, executor, folder, update=update, limits=limits)


def run_case(case: Case, executor: Executor, workdir: Path, *, update: bool = False,
             limits: Limits | None = None) -> CaseResult:
    """Run one case and check it; with ``update``, refresh its snapshots first."""
    key = case.plugin.key
    if case.problem:
        return CaseResult(key, case.name, Status.ERROR, [case.problem])
    started = time.perf_counter()
    try:
        request = case.request()
    except (OSError, TableError) as exc:
        return CaseResult(key, case.name, Status.ERROR, [f"{case.where}: a test table cannot be read: {exc}"])
    result = run_plugin(case.plugin, request, workdir, limits=limits, executor=executor)
    updated = update_snapshots(case, result) if update else []
    failures = check(case, result)
    return CaseResult(
        key, case.name, Status.FAIL if failures else Status.PASS, failures,
        duration_s=time.perf_counter() - started, updated=updated,
        log_tail=result.log_tail if failures else [], output_dir=result.output_dir,
    )


def _unique_slug(name: str, used: set[str]) -> str:
    slug = re.sub(r"[^\w.-]+", "_", name).strip("._") or "case"
    candidate, n = slug, 1
    while candidate in used:
        n += 1
        candidate = f"{slug}-{n}"
    used.add(candidate)
    return candidate
