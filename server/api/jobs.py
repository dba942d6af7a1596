"""Jobs of this browser session: submit, list, look, follow live, cancel, download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sse_starlette import EventSourceResponse
from starlette.responses import FileResponse

from server.api.deps import CatalogueDep, JobsDep, OwnerDep, UploadsDep
from server.api.errors import ApiError
from server.api.events import job_events, last_event_id
from server.api.files import file_response
from server.api.models import JobList, JobModel, JobSubmission, error_responses
from server.api.run_requests import prepare_run
from server.api.views import bundle_name, job_view
from server.db.models import Job
from server.jobs.service import MAX_LIST, JobService, UnknownPlugin

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobId = Annotated[str, Path(max_length=100)]
_NOT_FOUND = "There is no such job in this browser session."
_FILE_RESPONSES = {200: {"content": {"application/octet-stream": {}}, "description": "the file"},
                   **error_responses(404, 422)}


def _own_job(jobs: JobService, owner: str, job_id: str) -> Job:
    job = jobs.get(owner, job_id)
    if job is None:
        raise ApiError(404, _NOT_FOUND)
    return job


@router.post("", status_code=202, response_model=JobModel, responses=error_responses(404, 413, 422, 429))
def submit_job(body: JobSubmission, owner: OwnerDep, jobs: JobsDep, catalogue: CatalogueDep,
               uploads: UploadsDep) -> dict:
    plugin = catalogue.get(body.plugin)
    if plugin is None:
        raise UnknownPlugin(f"There is no plot called '{body.plugin}'.")
    prepared = prepare_run(plugin, body.request.to_plain(), owner, uploads)
    job = jobs.submit(owner, plugin.key, prepared.request, body.allow_cached, files=prepared.files)
    return job_view(job)


@router.get("", response_model=JobList, responses=error_responses(422))
def list_jobs(owner: OwnerDep, jobs: JobsDep, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50) -> dict:
    return {"jobs": [job_view(job) for job in jobs.list(owner, limit)]}


@router.get("/{job_id}", response_model=JobModel, responses=error_responses(404, 422))
def get_job(job_id: JobId, owner: OwnerDep, jobs: JobsDep) -> dict:
    return job_view(_own_job(jobs, owner, job_id))


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "state, log, step and done events"},
               **error_responses(404, 422)},
)
def job_event_stream(job_id: JobId, request: Request, owner: OwnerDep, jobs: JobsDep) -> EventSourceResponse:
    _own_job(jobs, owner, job_id)
    return EventSourceResponse(job_events(jobs, owner, job_id, last_event_id(request), request))


@router.post("/{job_id}/cancel", response_model=JobModel, responses=error_responses(404, 422))
def cancel_job(job_id: JobId, owner: OwnerDep, jobs: JobsDep) -> dict:
    job = jobs.cancel(owner, job_id)
    if job is None:
        raise ApiError(404, _NOT_FOUND)
    return job_view(job)


@router.get("/{job_id}/files/{name}", response_class=FileResponse, responses=_FILE_RESPONSES)
def job_file(job_id: JobId, name: Annotated[str, Path(max_length=300)], owner: OwnerDep, jobs: JobsDep,
             inline: Annotated[bool, Query(description="show in place (png, jpeg, svg, pdf, html)")] = False,
             ) -> FileResponse:
    # The name is matched against the job's recorded outputs; it never becomes part of a path.
    path = jobs.output_path(owner, job_id, name)
    if path is None:
        raise ApiError(404, "This job has no such file." if jobs.get(owner, job_id) else _NOT_FOUND)
    return file_response(path, name, inline=inline)


@router.get("/{job_id}/bundle", response_class=FileResponse, responses=_FILE_RESPONSES)
def job_bundle(job_id: JobId, owner: OwnerDep, jobs: JobsDep) -> FileResponse:
    job = _own_job(jobs, owner, job_id)
    name = bundle_name(job)
    path = jobs.output_path(owner, job_id, name) if name else None
    if name is None or path is None:
        raise ApiError(404, "This job has no reproducibility bundle (it has not succeeded).")
    return file_response(path, "reproduce.zip")
