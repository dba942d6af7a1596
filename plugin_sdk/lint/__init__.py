"""Linting a plugin folder: every rule module registers its rules on import."""

from __future__ import annotations

from collections.abc import Iterable

from plugin_sdk.findings import Finding
from plugin_sdk.lint.registry import RULES, Problem, Rule, rule, run_rules
from plugin_sdk.plugin import PluginFolder

__all__ = ["RULES", "Problem", "Rule", "lint_folder", "rule"]


def lint_folder(folder: PluginFolder, disabled: Iterable[str] = ()) -> list[Finding]:
    """All findings for one plugin folder, file-reading problems first."""
    _register_rules()
    return run_rules(folder, disabled)


def _register_rules() -> None:
    # Imported for their side effect (each @rule registers itself); importing lazily keeps
    # `plugin_sdk.lint.registry` free of import cycles with the modules the rules use.
    import importlib
    import pkgutil

    import plugin_sdk.lint as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("rules_"):
            importlib.import_module(f"plugin_sdk.lint.{info.name}")
