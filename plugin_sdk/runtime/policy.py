"""Which executor runs a plugin: warm fork for trusted plugins, bubblewrap for the rest."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.executors import Executor, SubprocessExecutor
from plugin_sdk.runtime.jobfolder import JobFolder
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.process import ChildProcess
from plugin_sdk.runtime.sandbox import SandboxedExecutor, bubblewrap_path

log = logging.getLogger(__name__)


@dataclass
class ExecutionPolicy:
    """An Executor that picks, per plugin, how to run it.

    Plugins under ``trusted_roots`` (the bundled ones by default) run in ``trusted``
    (a warm executor in workers); any other plugin runs sandboxed when bubblewrap works
    here, and otherwise in a plain subprocess, which `describe()` reports at start-up.
    """

    trusted_roots: list[Path]
    trusted: Executor = field(default_factory=SubprocessExecutor)
    sandbox: Executor | None = None

    @classmethod
    def create(cls, trusted_roots: Iterable[Path], trusted: Executor | None = None) -> ExecutionPolicy:
        sandbox = SandboxedExecutor() if bubblewrap_path() else None
        policy = cls([Path(p).resolve() for p in trusted_roots], trusted or SubprocessExecutor(), sandbox)
        (log.info if sandbox else log.warning)(policy.describe())
        return policy

    def describe(self) -> str:
        if self.sandbox is None:
            return ("WARNING: bubblewrap is not available: plugins outside the trusted folders run WITHOUT a "
                    "sandbox (install the 'bubblewrap' package)")
        return "untrusted plugins run sandboxed with bubblewrap"

    def is_trusted(self, plugin: Plugin) -> bool:
        return any(plugin.path.is_relative_to(root) for root in self.trusted_roots)

    def executor_for(self, plugin: Plugin) -> Executor:
        if self.is_trusted(plugin) or self.sandbox is None:
            return self.trusted
        return self.sandbox

    def start(self, plugin: Plugin, job: JobFolder, limits: Limits) -> ChildProcess:
        return self.executor_for(plugin).start(plugin, job, limits)

    def prepare_idle(self) -> None:
        """Called by an idle worker: lets the trusted executor get ready for the next job."""
        prepare = getattr(self.trusted, "prepare_idle", None)
        if prepare is not None:
            prepare()
