"""The rule registry: each lint rule is a small named function with a stable code.

Modelled on planemo's linters: a rule is easy to add (decorate a function), to test (call it
on a folder) and to switch off (pass its code in ``disabled``). A rule yields `Problem`s; the
registry stamps them with the rule's code and severity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from plugin_sdk.findings import Finding, Severity
from plugin_sdk.plugin import PluginFolder


@dataclass(frozen=True)
class Problem:
    file: str
    pointer: str
    message: str
    line: int | None = None


RuleCheck = Callable[[PluginFolder], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str
    check: RuleCheck

    def run(self, folder: PluginFolder) -> Iterator[Finding]:
        for p in self.check(folder):
            yield Finding(p.file, p.pointer, self.code, self.severity, p.message, p.line)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, summary: str) -> Callable[[RuleCheck], RuleCheck]:
    """Register a lint rule under a stable code such as "X010"."""

    def register(check: RuleCheck) -> RuleCheck:
        if code in RULES:
            raise ValueError(f"lint rule code {code} is registered twice")
        RULES[code] = Rule(code, severity, summary, check)
        return check

    return register


def run_rules(folder: PluginFolder, disabled: Iterable[str] = ()) -> list[Finding]:
    skip = set(disabled)
    findings = list(folder.read_findings)
    for code in sorted(RULES):
        if code not in skip:
            findings.extend(RULES[code].run(folder))
    return findings
