"""Run one Python plugin job from its folder: read JOB/job.json, call plot.py's main(ctx).

The runner prepares the job folder and starts `python -m plugin_sdk.runtime.run_python
JOB/job.json`, or, in a warm worker, calls `run_job(path)` in a child forked from a parent that
has called `prepare_interpreter()`. The caller points stdout and stderr at the job's log, so
`ctx.log(...)` lines and a failing plot's traceback land there. The job folder receives:

- `status.json`, Hiplot's step record, updated as the steps advance;
- `result.json`, always, even when the plot fails: `{"ok": true}`, or `{"ok": false, "message",
  "type", "traceback", "missing_package"}`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

STEP_LABELS = (
    "en:Read input;zh_cn:读取数据",
    "en:Draw plot;zh_cn:绘图",
    "en:Export;zh_cn:导出",
)
PENDING, RUNNING, DONE, ERROR = 0, 1, 2, 3
READ_INPUT, DRAW_PLOT, EXPORT = 0, 1, 2

RESULT_FILE = "result.json"
STATUS_FILE = "status.json"
_TRACEBACK_LINES = 200


def _write_json(path: Path, value: Any) -> None:
    """Write JSON under a temporary name and rename it, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temporary.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


class StepStatus:
    """Hiplot's status record: one status per step, rewritten on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.status = [PENDING] * len(STEP_LABELS)
        self._save()

    def start(self, step: int) -> None:
        """Mark every earlier step done and `step` running (no-op if it already ran)."""
        if self.status[step] != PENDING:
            return
        for earlier in range(step):
            self.status[earlier] = DONE
        self.status[step] = RUNNING
        self._save()

    def finish(self) -> None:
        self.status = [DONE] * len(STEP_LABELS)
        self._save()

    def fail(self) -> None:
        """The running step failed (or the first step, if none had started)."""
        step = self.status.index(RUNNING) if RUNNING in self.status else 0
        self.status[step] = ERROR
        self._save()

    def _save(self) -> None:
        _write_json(
            self.path,
            {"id": list(range(1, len(STEP_LABELS) + 1)), "label": list(STEP_LABELS), "status": self.status},
        )


def default_matplotlib_config_dir() -> Path:
    return Path.home() / ".cache" / "plotforge" / "matplotlib"


def prepare_interpreter() -> None:
    """Make this interpreter ready for plots: the Agg backend and a persistent matplotlib cache.

    Call it before anything imports matplotlib (a warm worker calls it once in the parent, so
    every forked child starts with matplotlib, pyplot and pandas imported and the font list
    built). Without a persistent MPLCONFIGDIR, matplotlib rebuilds its font cache (2 s) each run.
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "MPLCONFIGDIR" not in os.environ:
        config_dir = default_matplotlib_config_dir()
        try:
            config_dir.mkdir(parents=True, exist_ok=True)
            os.environ["MPLCONFIGDIR"] = str(config_dir)
        except OSError:
            pass  # an unwritable home: matplotlib falls back to a temporary folder by itself
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot  # imported here so forked children inherit it
    import pandas  # noqa: F401
    from matplotlib import font_manager

    font_manager.fontManager  # noqa: B018  (building the font list is the slow part of the first plot)


def run_job(job_json: Path) -> bool:
    """Run the job described by `job_json`; write result.json and status.json beside it.

    Returns True when the plot's main() returned. Never raises for anything the job does: every
    failure is written to result.json.
    """
    job_json = Path(job_json).resolve()
    job_dir = job_json.parent
    status: StepStatus | None = None
    try:
        status = StepStatus(job_dir / STATUS_FILE)
        prepare_interpreter()
        status.start(READ_INPUT)
        job = json.loads(job_json.read_text(encoding="utf-8"))
        context = build_context(job, on_export=lambda: status.start(EXPORT))
        status.start(DRAW_PLOT)
        _run_plot(job, context, job_dir)
    except BaseException as exc:  # the plot may raise anything, SystemExit included
        if status is not None:
            _try(status.fail)
        record = failure_record(exc)
        _write_json(job_dir / RESULT_FILE, record)
        print("\n".join(record["traceback"]), file=sys.stderr, flush=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return False
    _try(status.finish)
    _write_json(job_dir / RESULT_FILE, {"ok": True})
    return True


def build_context(job: dict[str, Any], on_export: Callable[[], None] | None = None) -> Any:
    """The PlotContext for a job: tables read and typed, config normalised, paths set."""
    from plugin_sdk.api import PlotContext
    from plugin_sdk.tables import read_table_file

    tables = job.get("tables") or []
    # An optional table the user left out has no path: it stays None, so later tables keep
    # their positions (as data2 stays data2 in R).
    frames = [read_table_file(Path(t["path"]), t["name"]).to_dataframe() if t.get("path") else None
              for t in tables]
    output_prefix = Path(job["output_prefix"])
    output_prefix.parent.mkdir(parents=True, exist_ok=True)
    return PlotContext(
        tables=frames,
        table_names=[t["name"] for t in tables],
        config=job.get("config") or {},
        output_prefix=output_prefix,
        plugin_dir=Path(job["plugin_dir"]),
        upload_dir=job.get("upload_dir"),
        on_export=on_export,
    )


def _run_plot(job: dict[str, Any], context: Any, job_dir: Path) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    from plugin_sdk.api import matplotlib_rc

    plugin_dir = Path(job["plugin_dir"]).resolve()
    scripts = [_script_path(plugin_dir, name) for name in job.get("scripts") or ["plot.py"]]
    # rc_context restores the settings afterwards; a job run in-process leaves no trace in the next.
    with matplotlib.rc_context(matplotlib_rc(context.general)), _plugin_environment(plugin_dir, job_dir):
        try:
            modules = [_load_module(path) for path in scripts]
            entry = next((m for m in reversed(modules) if callable(getattr(m, "main", None))), None)
            if entry is None:
                names = ", ".join(p.name for p in scripts)
                raise AttributeError(f"{names} defines no main(ctx) function")
            entry.main(context)
        finally:
            plt.close("all")


def _script_path(plugin_dir: Path, name: str) -> Path:
    path = (plugin_dir / name).resolve()
    if not path.is_relative_to(plugin_dir):
        raise ValueError(f"script {name!r} is outside the plugin folder")
    if not path.is_file():
        raise FileNotFoundError(f"the plugin folder has no {name}")
    return path


def _load_module(path: Path) -> ModuleType:
    """Import a script by its path under a name no other job uses."""
    stem = re.sub(r"\W", "_", path.stem)
    name = f"plotforge_plugin_{uuid.uuid4().hex}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path.name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@contextmanager
def _plugin_environment(plugin_dir: Path, job_dir: Path) -> Iterator[None]:
    """Let plot.py import modules beside it, and keep stray relative-path files in the job folder."""
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    saved_modules = set(sys.modules)
    sys.path.insert(0, str(plugin_dir))
    os.chdir(job_dir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        # Forget the plugin's own modules so the next job in this interpreter loads its own.
        for name in set(sys.modules) - saved_modules:
            module_file = getattr(sys.modules[name], "__file__", None)
            if name.startswith("plotforge_plugin_") or (module_file and Path(module_file).is_relative_to(plugin_dir)):
                del sys.modules[name]


def failure_record(exc: BaseException) -> dict[str, Any]:
    """result.json for a failed job."""
    if isinstance(exc, SystemExit):
        message = f"the plot script called sys.exit({exc.code!r})"
    else:
        message = str(exc) or type(exc).__name__
    lines = "".join(traceback.format_exception(exc)).splitlines()
    return {
        "ok": False,
        "message": message,
        "type": type(exc).__name__,
        "traceback": lines[-_TRACEBACK_LINES:],
        "missing_package": missing_package(exc),
    }


def missing_package(exc: BaseException | None) -> str | None:
    """The top-level name of a module that could not be imported, following the exception chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            return exc.name.split(".")[0]
        exc = exc.__cause__ or exc.__context__
    return None


def _try(action: Callable[[], None]) -> None:
    # The result file must still be written; the status file is a courtesy.
    with contextlib.suppress(OSError):
        action()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m plugin_sdk.runtime.run_python JOB/job.json", file=sys.stderr)
        return 2
    return 0 if run_job(Path(args[0])) else 1


if __name__ == "__main__":
    sys.exit(main())
