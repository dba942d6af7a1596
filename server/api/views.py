"""Records as the API shows them: cards, plugin pages, examples and jobs, in API.md's shapes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import quote

from plugin_sdk.catalogue import Card, Catalogue
from plugin_sdk.labels import normalise_language
from plugin_sdk.params import derive_schema, overlay_two_levels
from plugin_sdk.plugin import Plugin
from plugin_sdk.tables import TableLimits
from server.api.forms import build_form
from server.db.models import Job
from server.jobs.folders import BUNDLE_KIND
from server.jobs.states import JobState

README_MAX_BYTES = 256 * 1024


def plugin_path(key: str) -> str:
    module, _, tool = key.partition("/")
    return f"/api/plugins/{quote(module, safe='')}/{quote(tool, safe='')}"


def card_view(card: Card, lang: str) -> dict[str, Any]:
    out = card.to_dict(lang)
    out["cover_url"] = f"{plugin_path(card.key)}/cover" if card.cover_is_file else card.cover
    return out


def catalogue_view(catalogue: Catalogue, q: str, tag: str | None, module: str | None, lang: str) -> dict[str, Any]:
    return {
        "plugins": [card_view(card, lang) for card in catalogue.search(q, tag=tag, module=module, lang=lang)],
        "tags": [{"tag": name, "count": count} for name, count in catalogue.tags().items()],
        "modules": catalogue.modules(),
        "broken": [{"key": result.key, "message": _first_error(result.findings)} for result in catalogue.broken],
    }


def _first_error(findings: list[Any]) -> str:
    errors = [f for f in findings if getattr(f, "is_error", False)] or findings
    if not errors:
        return "could not be loaded"
    first = errors[0]
    where = f"{first.file}: " if getattr(first, "file", "") else ""
    return f"{where}{first.message}"


def plugin_view(plugin: Plugin, card: Card, lang: str, limits: TableLimits) -> dict[str, Any]:
    return {
        "card": card_view(card, lang),
        "form": build_form(plugin, lang),
        "schema": derive_schema(plugin, limits),
        "defaults": plugin.config,
        "examples": len(plugin.examples),
        "readme": read_readme(plugin.path, lang),
    }


def read_readme(folder: Path, lang: str) -> str | None:
    """README-zh_cn.md for Chinese when there is one, else README.md; None when neither exists."""
    names = ["README-zh_cn.md", "README.md"] if normalise_language(lang) == "zh_cn" else ["README.md"]
    for name in names:
        path = folder / name
        if path.is_file():
            with path.open("rb") as handle:
                return handle.read(README_MAX_BYTES).decode("utf-8", errors="replace")
    return None


def example_view(plugin: Plugin, index: int) -> dict[str, Any] | None:
    """params.config with example ``index`` laid over it, and its tables; None if there is no such example."""
    examples = plugin.examples
    if not 0 <= index < len(examples):
        return None
    example = examples[index]
    config = copy.deepcopy(plugin.config)
    overlay_two_levels(config, example.get("config"))
    texts = example.get("textarea") if isinstance(example.get("textarea"), dict) else {}
    return {"config": config, "tables": {name: text for name, text in texts.items() if isinstance(text, str)}}


def job_view(job: Job) -> dict[str, Any]:
    base = f"/api/jobs/{quote(job.id, safe='')}"
    outputs = [o for o in job.outputs or [] if isinstance(o, dict)]
    request = job.request if isinstance(job.request, dict) else {}
    return {
        "id": job.id,
        "plugin": job.plugin_key,
        "plugin_version": job.plugin_version,
        "state": job.state,
        "reason": job.reason,
        "message": job.message or "",
        "field_errors": [e for e in job.field_errors or [] if isinstance(e, dict)],
        "step": job.step or "",
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "outputs": [
            {"name": o["name"], "kind": o.get("kind", "other"), "size": int(o.get("size") or 0),
             "url": f"{base}/files/{quote(o['name'], safe='')}"}
            for o in outputs if o.get("kind") != BUNDLE_KIND
        ],
        "bundle_url": f"{base}/bundle" if any(o.get("kind") == BUNDLE_KIND for o in outputs) else None,
        "request": {
            "params": job.config if isinstance(job.config, dict) else {},
            "tables": request.get("tables") if isinstance(request.get("tables"), dict) else {},
            "use_example": _use_example(request.get("use_example")),
        },
        # A cache hit is recorded succeeded without ever being claimed by a worker.
        "cached": job.state == JobState.SUCCEEDED.value and not job.attempts,
    }


def _use_example(value: Any) -> bool | int:
    return value if isinstance(value, bool | int) else False


def bundle_name(job: Job) -> str | None:
    return next((o["name"] for o in job.outputs or [] if isinstance(o, dict) and o.get("kind") == BUNDLE_KIND), None)
