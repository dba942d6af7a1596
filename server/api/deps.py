"""What routes depend on: the settings, the catalogue, the job service, the upload store, the
session's owner id and the page language. All are set on `app.state` by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from plugin_sdk.catalogue import Catalogue
from plugin_sdk.labels import normalise_language
from plugin_sdk.plugin import Plugin
from server.api.errors import ApiError
from server.api.session import STATE_KEY
from server.api.upload_store import UploadStore
from server.jobs.service import JobService
from server.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue


def get_jobs(request: Request) -> JobService:
    return request.app.state.jobs


def get_uploads(request: Request) -> UploadStore:
    return request.app.state.uploads


def get_owner(request: Request) -> str:
    """The session's owner id (server.api.session.SessionMiddleware put it in the request state)."""
    return request.scope["state"][STATE_KEY]


def get_lang(lang: Annotated[str, Query(max_length=16, description="en (default) or zh_cn")] = "en") -> str:
    return normalise_language(lang)


def get_plugin(module: str, tool: str, catalogue: Annotated[Catalogue, Depends(get_catalogue)]) -> Plugin:
    plugin = catalogue.get(f"{module}/{tool}")
    if plugin is None:
        raise ApiError(404, f"There is no plot called '{module}/{tool}'.")
    return plugin


SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
JobsDep = Annotated[JobService, Depends(get_jobs)]
UploadsDep = Annotated[UploadStore, Depends(get_uploads)]
OwnerDep = Annotated[str, Depends(get_owner)]
LangDep = Annotated[str, Depends(get_lang)]
PluginDep = Annotated[Plugin, Depends(get_plugin)]
