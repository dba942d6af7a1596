"""Run-request parameters: the derived JSON Schema of a plugin's request, and the resolver
that merges defaults, example and user values, parses the tables and reports every problem
as a `FieldError` pointing at its field.

    schema = derive_schema(plugin)             # for the browser form and API docs
    resolved = resolve_request(plugin, body)    # raises RequestInvalid(errors)
"""

from plugin_sdk.params.errors import FieldError, RequestInvalid
from plugin_sdk.params.resolve import Resolved, overlay_two_levels, resolve_request
from plugin_sdk.params.schema import ANNOTATION_KEYWORDS, derive_schema

__all__ = [
    "ANNOTATION_KEYWORDS",
    "FieldError",
    "RequestInvalid",
    "Resolved",
    "derive_schema",
    "overlay_two_levels",
    "resolve_request",
]
