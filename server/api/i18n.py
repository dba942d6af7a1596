"""The UI's message bundles, so pages show their words in the session's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from plugin_sdk.labels import LANGUAGES, messages
from server.api.errors import ApiError
from server.api.models import error_responses

router = APIRouter(prefix="/api/i18n", tags=["i18n"])


@router.get("/{lang}", response_model=dict[str, str], responses=error_responses(404, 422))
def message_bundle(lang: Annotated[str, Path(max_length=16, description="en or zh_cn")]) -> dict[str, str]:
    code = lang.strip().lower().replace("-", "_")
    if code not in LANGUAGES:
        raise ApiError(404, f"There are no messages for '{lang}'; the languages are {', '.join(LANGUAGES)}.")
    return dict(messages(code))
