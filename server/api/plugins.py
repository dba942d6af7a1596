"""The catalogue and each plugin: list and search, the form, the example, the cover, validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import FileResponse

from plugin_sdk.params import resolve_request
from server.api.deps import CatalogueDep, JobsDep, LangDep, OwnerDep, PluginDep, UploadsDep
from server.api.errors import ApiError
from server.api.files import IMAGE_SUFFIXES, file_response
from server.api.models import ExampleData, Health, Ok, PluginDetail, PluginList, RunRequest, error_responses
from server.api.run_requests import prepare_run
from server.api.views import catalogue_view, example_view, plugin_view

router = APIRouter(prefix="/api", tags=["plugins"])
_PLUGIN = "/plugins/{module}/{tool}"


@router.get("/health", response_model=Health, tags=["health"])
def health(catalogue: CatalogueDep, jobs: JobsDep) -> dict:
    return {"status": "ok", "backend": jobs.backend.name, "plugins": len(catalogue), "broken": len(catalogue.broken)}


@router.get("/plugins", response_model=PluginList, responses=error_responses(422))
def list_plugins(
    catalogue: CatalogueDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=200, description="words that must all appear")] = "",
    tag: Annotated[str | None, Query(max_length=100)] = None,
    module: Annotated[str | None, Query(max_length=100)] = None,
) -> dict:
    return catalogue_view(catalogue, q, tag or None, module or None, lang)


@router.get(_PLUGIN, response_model=PluginDetail, responses=error_responses(404, 422))
def plugin_detail(plugin: PluginDep, catalogue: CatalogueDep, jobs: JobsDep, lang: LangDep) -> dict:
    card = catalogue.card(plugin.key)
    assert card is not None  # every plugin of the catalogue has its card
    return plugin_view(plugin, card, lang, jobs.table_limits)


@router.get(_PLUGIN + "/example", response_model=ExampleData, responses=error_responses(404, 422))
def plugin_example(plugin: PluginDep, index: Annotated[int, Query(ge=0, le=10_000)] = 0) -> dict:
    example = example_view(plugin, index)
    if example is None:
        count = len(plugin.examples)
        raise ApiError(404, f"'{plugin.key}' has no example {index}" +
                       (f" (it has {count}, numbered from 0)." if count else " (it has no example data)."))
    return example


@router.get(
    _PLUGIN + "/cover",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/svg+xml": {}}, "description": "the image"},
               **error_responses(404)},
)
def plugin_cover(plugin: PluginDep, catalogue: CatalogueDep) -> FileResponse:
    card = catalogue.card(plugin.key)
    if card is None or not card.cover_is_file or not card.cover or not card.cover.lower().endswith(IMAGE_SUFFIXES):
        raise ApiError(404, f"'{plugin.key}' has no cover image on this server.")
    # Card.cover was checked at load to be a file inside the plugin folder.
    path = plugin.path / card.cover
    if not path.is_file():
        raise ApiError(404, f"'{plugin.key}' has no cover image on this server.")
    return file_response(path, path.name, inline=True, cache_seconds=86_400)


@router.post(_PLUGIN + "/validate", response_model=Ok, responses=error_responses(404, 422))
def validate_request(plugin: PluginDep, body: RunRequest, owner: OwnerDep, uploads: UploadsDep,
                     jobs: JobsDep) -> dict:
    prepared = prepare_run(plugin, body.to_plain(), owner, uploads)
    resolve_request(plugin, prepared.request, jobs.table_limits)
    return {"ok": True}
