"""What a rejected run request reports: one `FieldError` per problem, all of them at once.

A biologist reads these next to the form, so each error names the field (as a JSON pointer
into the request), says what is wrong in plain words using the widget's label, and, for a
table, points at the table, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem in a run request.

    ``field`` is an RFC 6901 JSON pointer into the request, e.g. "/params/extra/p_cutoff",
    "/tables/datTable" or "/params/dataArg/datTable/2/value"; "" means the request as a whole.
    """

    field: str
    message: str
    column: str | None = None
    row: int | None = None
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "message": self.message,
            "column": self.column,
            "row": self.row,
            "table": self.table,
        }

    def __str__(self) -> str:
        return f"{self.field or '(request)'}: {self.message}"


class RequestInvalid(ValueError):
    """A run request that cannot run; `errors` lists every problem found, never empty."""

    def __init__(self, errors: list[FieldError]):
        if not errors:
            raise ValueError("RequestInvalid needs at least one FieldError")
        self.errors = list(errors)
        summary = "; ".join(str(e) for e in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(f"invalid run request: {summary}{more}")

    def to_list(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.errors]
