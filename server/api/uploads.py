"""Uploaded tables: receive one (streamed, capped, checked), and read back its metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from server.api.deps import OwnerDep, UploadsDep
from server.api.errors import ApiError
from server.api.models import UploadInfo, error_responses
from server.api.upload_store import FIELD_NAME

router = APIRouter(prefix="/api/uploads", tags=["uploads"])

# The body is read by hand (server.api.multipart), so FastAPI cannot infer it: describe it.
_MULTIPART_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD_NAME],
                    "properties": {FIELD_NAME: {"type": "string", "format": "binary",
                                                "description": "a TSV, CSV, TXT or XLSX table"}},
                }
            }
        },
    }
}


@router.post("", status_code=201, response_model=UploadInfo, openapi_extra=_MULTIPART_BODY,
             responses=error_responses(400, 413, 415, 422))
async def upload_table(request: Request, owner: OwnerDep, uploads: UploadsDep) -> dict:
    record = await uploads.receive(owner, request)
    return record.info()


@router.get("/{upload_id}", response_model=UploadInfo, responses=error_responses(404, 422))
def get_upload(upload_id: Annotated[str, Path(max_length=100)], owner: OwnerDep, uploads: UploadsDep) -> dict:
    record = uploads.get(owner, upload_id)
    if record is None:
        raise ApiError(404, "There is no such upload in this browser session.")
    return record.info()
