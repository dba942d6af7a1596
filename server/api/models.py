"""The documented shapes of the API's requests and answers (server/API.md), as pydantic models.

Routes declare these as their response models, so /api/openapi.json describes every answer
exactly and a schema-driven test can hold the server to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

JobStateName = Literal["queued", "running", "succeeded", "failed", "cancelled"]
Scalar = str | int | float | bool | None


class _Strict(BaseModel):
    """A request body: no unknown keys, and no guessing ("yes" is not true, "3" is not 3)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# -- errors ---------------------------------------------------------------------------------


class FieldErrorModel(BaseModel):
    field: str = Field(description="JSON pointer into the request (a RunRequest for run requests); '' = the whole")
    message: str
    column: str | None = None
    row: int | None = None
    table: str | None = None


class ErrorDetail(BaseModel):
    status: int
    message: str
    field_errors: list[FieldErrorModel] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, all in the one error shape."""
    return {status: {"model": ErrorResponse} for status in statuses}


# -- catalogue ----------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    backend: str
    plugins: int
    broken: int


class CardModel(BaseModel):
    """plugin_sdk.catalogue.Card.to_dict(lang), plus `cover_url`, the address to load the cover from."""

    key: str
    module: str
    tool: str
    href: str
    name: str
    intro: str
    tags: list[str]
    categories: list[str]
    alias: list[str]
    author: str | None
    email: str | None
    citation: str | None
    version: str | None
    release_date: str | None
    update_date: str | None
    score: float | None
    cover: str | None
    cover_is_file: bool
    cover_url: str | None
    runnable: bool
    language: str | None
    catalogue_only: bool


class TagCount(BaseModel):
    tag: str
    count: int


class BrokenPlugin(BaseModel):
    key: str
    message: str


class PluginList(BaseModel):
    plugins: list[CardModel]
    tags: list[TagCount]
    modules: list[str]
    broken: list[BrokenPlugin]


# -- the form -----------------------------------------------------------------------------------


class FormTable(BaseModel):
    """One ui.json `data` widget: an input table (hiplot-textarea) or an uploaded file (cloud-file)."""

    name: str
    label: str
    type: str
    required: bool
    exts: list[str]
    multiple: bool
    is_table: bool = Field(description="true: a table (pasted, uploaded or example); false: a cloud-file only")
    class_: str | None = Field(None, alias="class")
    attrs: dict[str, Any]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ColumnRole(BaseModel):
    label: str
    required: bool
    multiple: bool
    class_: str | None = Field(None, alias="class")
    attrs: dict[str, Any]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class Conditions(BaseModel):
    """Expression trees (plugin_sdk.expressions.to_json); null when the widget has none."""

    if_: dict[str, Any] | None = Field(None, alias="if")
    if_func: dict[str, Any] | None = None
    items_func: dict[str, Any] | None = None
    max_func: dict[str, Any] | None = None
    class_func: dict[str, Any] | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ExtraField(BaseModel):
    key: str
    type: str
    label: str
    default: Any = None
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    items: list[Scalar] | None = None
    item_labels: dict[str, str] | None = None
    multiple: bool = False
    class_: str | None = Field(None, alias="class")
    conditions: Conditions
    attrs: dict[str, Any]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class GeneralField(BaseModel):
    """One plot setting of data.json `general`; `type` is select, combobox, slider, switch,
    text-field, size, color-list or json (any other value, edited as JSON)."""

    key: str
    type: str
    label: str
    default: Any = None
    items: list[Scalar] | None = None
    item_labels: dict[str, str] | None = None
    multiple: bool = False
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    swatches: dict[str, list[str]] | None = None


class Form(BaseModel):
    tables: list[FormTable]
    dataArg: dict[str, list[ColumnRole]]
    extra: list[ExtraField]
    general: list[GeneralField]
    exports: dict[str, bool]


class PluginDetail(BaseModel):
    card: CardModel
    form: Form
    schema_: dict[str, Any] = Field(alias="schema")
    defaults: dict[str, Any]
    examples: int
    readme: str | None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ExampleData(BaseModel):
    config: dict[str, Any]
    tables: dict[str, str]


class Ok(BaseModel):
    ok: Literal[True]


# -- uploads ------------------------------------------------------------------------------------


class TablePreview(BaseModel):
    columns: list[str]
    rows: list[list[str]]
    n_rows: int


class UploadInfo(BaseModel):
    id: str
    name: str
    size: int
    kind: Literal["tsv", "csv", "txt", "xlsx"]
    table: TablePreview


# -- run requests and jobs ------------------------------------------------------------------------


def _one_error(expected: str) -> WrapValidator:
    """One readable error for a union, instead of one per member ("/use_example/bool", ".../int")."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("invalid_choice", "must be {expected}", {"expected": expected}) from None

    return WrapValidator(validate)


class UploadRef(_Strict):
    upload: str = Field(max_length=200, description="the id of an upload of this session")


TableInput = Annotated[str | UploadRef, _one_error('the table\'s text or {"upload": "<id of an upload>"}')]
ExampleChoice = Annotated[bool | Annotated[int, Field(ge=0)],
                          _one_error("true, false or the number of an example (0, 1, ...)")]


class RunRequest(_Strict):
    params: dict[str, Any] = Field(default_factory=dict, description="a partial params.config")
    tables: dict[str, TableInput] = Field(default_factory=dict)
    use_example: ExampleChoice = False

    def to_plain(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class JobSubmission(_Strict):
    plugin: str = Field(max_length=300, examples=["basic/volcano"])
    request: RunRequest = Field(default_factory=RunRequest)
    allow_cached: bool = True


class OutputFileModel(BaseModel):
    name: str
    kind: str
    size: int
    url: str


class JobRequestModel(BaseModel):
    """The request as resolved: the merged params.config, each table's shape, the example used."""

    params: dict[str, Any]
    tables: dict[str, Any]
    use_example: bool | int


class JobModel(BaseModel):
    id: str
    plugin: str
    plugin_version: str
    state: JobStateName
    reason: str | None
    message: str
    step: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    outputs: list[OutputFileModel]
    bundle_url: str | None
    request: JobRequestModel
    cached: bool
    field_errors: list[FieldErrorModel] = Field(
        default_factory=list, description="for a failed run: the column or parameter its error concerns")


class JobList(BaseModel):
    jobs: list[JobModel]
