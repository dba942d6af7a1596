"""Findings: one problem found in a plugin, located by file and JSON pointer.

Every check in the project (schema validation, cross-file rules, script linting, request
validation) reports through this one shape, so the linter, the catalogue and the web page
print problems the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """A problem in one file of a plugin.

    ``pointer`` is an RFC 6901 JSON pointer into the file ("" for the whole file);
    ``line`` is set instead (or as well) for text files such as the core script.
    """

    file: str
    pointer: str
    code: str
    severity: Severity
    message: str
    line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer:
            where += f"#{self.pointer}"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity.value} {self.code}: {self.message}"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


def json_pointer(*parts: object) -> str:
    """Build a JSON pointer from path parts, escaping '~' and '/' as RFC 6901 says."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)
