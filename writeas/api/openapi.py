"""The OpenAPI 3.1 document of everything under /api, assembled from the app itself: its URL
map gives the paths, methods and path parameters; each view's `@operation` gives what only
its author knows (summary, answer shape, statuses, body); `api.shapes` gives every schema.
Idempotent creates (`@idempotent`) and writes get their header and statuses on their own.

A route under /api without an `@operation` fails the build of the document, and
`tests/api/test_openapi.py` checks real answers against it, so neither side can drift.
"""

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from flask import Blueprint, Flask, current_app, jsonify

from writeas.api import shapes
from writeas.http.urls import is_api
from writeas.services.idempotency import KEY_PATTERN

Schema = dict[str, Any]
_REF = "#/components/schemas/{name}"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")
_PATH_PARAMETERS = {
    "post_id": "The post's id.",
    "alias": "The blog's alias.",
    "slug": "The post's slug.",
    "channel_id": "The channel's id.",
    "media_id": "The file's id.",
    "crosspost_id": "A delivery's or a request's id.",
    "job_id": "The import's id.",
}
_STATUS_TEXT = {
    200: "OK.",
    201: "Created.",
    202: "Accepted: queued or scheduled.",
    204: "Done; no body.",
    400: "A missing or invalid parameter; the message names it.",
    401: "No valid access token (or modify token) for this.",
    403: "Not yours, a wrong modify token, or a password-protected blog not unlocked.",
    404: "Not found (or private to someone else).",
    409: (
        "A conflict: taken, already done, or the Idempotency-Key still in progress "
        "(`error_code` `idempotency_in_progress`) or used with a different request "
        "(`idempotency_conflict`)."
    ),
    410: "Unpublished by its author.",
    412: "Over MAX_COLLECTIONS_PER_USER.",
    413: "Request body too large.",
    429: "Too many requests (or wrong blog passwords); see Retry-After.",
    502: "The other platform couldn't be reached or answered nonsense.",
}
# Idempotent creates: a bad key is 400; the key in use, or reused differently, is 409.
_IDEMPOTENT_ERRORS = (400, 409)
_FLAG_TEXT = {"enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""]}


@dataclass(frozen=True)
class Operation:
    """What the route itself can't say. `answer` is a shape (or `list[shape]`), None for a
    204, "raw" for a bare JSON object, or a dict of media type to description for a file
    to download (not enveloped); `body` is a request shape; `body_as` says how it
    may come: JSON or forms ("forms"), JSON only ("json"), a JSON array of `body` items
    ("array"), or a multipart upload ("upload")."""

    id: str
    summary: str
    tag: str
    answer: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = False
    body: Any = None
    body_as: str = "forms"
    upload_types: str = "image/*, video/*"  # the media types an upload's `file` may have
    body_required: bool = True
    body_description: str = ""
    parameters: tuple[Schema, ...] = ()
    accepted: bool = False  # also answers 202 while the work is queued
    paged: bool = False  # a list a page at a time: `next_cursor` beside `data`


def operation(method: str | None = None, **fields):
    """Declare the view's operation (for every method of its route, or for `method`)."""

    def mark(view):
        view.__dict__.setdefault("openapi", {})[method] = Operation(**fields)
        return view

    return mark


def query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


COLLECTION_PASSWORD = {
    "name": "X-Collection-Password",
    "in": "header",
    "required": False,
    "description": "The password of a password-protected blog.",
    # Header values are visible ASCII (HTTP field-value), without edge spaces.
    "schema": {"type": "string", "pattern": "^[!-~]([ -~]*[!-~])?$"},
}
TOKEN_QUERY = query("token", {"type": "string"}, "The post's modify token.")


def page_parameters(most: int) -> tuple[Schema, ...]:
    return (
        query("limit", {"type": "integer", "minimum": 1, "maximum": most},
              f"1 to {most}; 50 when not given."),
        query("cursor", {"type": "string"}, "The `next_cursor` of the page before."),
    )
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A replay within 24 hours answers the first response again.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}


class _Builder:
    def __init__(self):
        self.types: list = [shapes.Error]

    def ref(self, shape) -> Schema:
        """The schema of a shape, or of a list of them, registered as a component."""
        if getattr(shape, "__origin__", None) is list:
            return {"type": "array", "items": self.ref(shape.__args__[0])}
        self.types.append(shape)
        return {"$ref": _REF.format(name=shape.__name__)}

    def components(self) -> dict[str, Schema]:
        _schemas, components = msgspec.json.schema_components(
            list(dict.fromkeys(self.types)), ref_template=_REF
        )
        return components

    def answers(self, op: Operation) -> dict[str, Schema]:
        if op.answer is None:
            return {"204": {"description": _STATUS_TEXT[204]}}
        if op.answer == "raw":
            content = {"application/json": {"schema": {"type": "object"}}}
            return {"200": {"description": "The OpenAPI document (not enveloped).",
                            "content": content}}
        if isinstance(op.answer, dict):
            content = {kind: {"schema": {"description": text}} for kind, text in op.answer.items()}
            return {"200": {"description": "A file to download (not enveloped).",
                            "content": content}}
        data = self.ref(op.answer)
        statuses = [op.status, *([202] if op.accepted else [])]
        text = {201: "Done: every result is final."} if op.accepted else {}
        return {
            str(status): {
                "description": text.get(status, _STATUS_TEXT[status]),
                "content": {
                    "application/json": {"schema": _envelope(data, status, op.paged)}
                },
            }
            for status in statuses
        }

    def body(self, op: Operation, components: dict[str, Schema]) -> Schema | None:
        if op.body is None:
            return None
        if op.body_as == "upload":
            content = {"multipart/form-data": {
                "schema": op.body, "encoding": {"file": {"contentType": op.upload_types}},
            }}
            return {"required": True, "content": content}
        schema = self.ref(op.body)
        if op.body_as == "array":
            array = {"type": "array", "maxItems": 1000, "items": schema}
            return {"required": True, "description": op.body_description,
                    "content": {"application/json": {"schema": array}}}
        content = {"application/json": {"schema": schema}}
        if op.body_as == "forms":
            form = _as_form(components[op.body.__name__])
            content["application/x-www-form-urlencoded"] = {"schema": form}
            content["multipart/form-data"] = {"schema": form}
        return {"required": op.body_required, "content": content}


def _envelope(data: Schema, status: int, paged: bool = False) -> Schema:
    properties = {"code": {"const": status}, "data": data}
    if paged:
        properties["next_cursor"] = {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        }
    return {
        "type": "object",
        "properties": properties,
        "required": ["code", "data", *(["next_cursor"] if paged else [])],
        "additionalProperties": False,
    }


def _as_form(schema: Schema) -> Schema:
    """The same fields as strings, which is all a form can carry; objects and arrays are
    left out because a form can't express them."""
    properties = {}
    for name, field in schema["properties"].items():
        kinds = field.get("type")
        if kinds in ("object", "array") or "$ref" in field:
            continue
        if kinds == "boolean":
            properties[name] = _FLAG_TEXT
        elif kinds == "integer":
            properties[name] = {"type": "string", "pattern": "^[0-9]+$"}
        else:
            properties[name] = field
    form: Schema = {"type": "object", "properties": properties}
    if schema.get("required"):
        form["required"] = schema["required"]
    return form


def _error_responses() -> dict[str, Schema]:
    """One response per status, `code` pinned to it: the envelope repeats the HTTP status."""
    responses = {}
    for status, text in _STATUS_TEXT.items():
        if status < 400:
            continue
        schema = {"allOf": [{"$ref": _REF.format(name="Error")}],
                  "properties": {"code": {"const": status}}}
        response: Schema = {"description": text,
                            "content": {"application/json": {"schema": schema}}}
        if status == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds until a request may succeed.",
                "schema": {"type": "string"},
            }}
        responses[str(status)] = response
    return responses


def _operations(app: Flask):
    """(path, method, view, Operation, path parameter names) for every route under /api."""
    for rule in app.url_map.iter_rules():
        if not is_api(rule.rule):
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "openapi", {})
        for method in sorted(rule.methods - _IGNORED_METHODS):
            op = declared.get(method) or declared.get(None)
            if op is None:
                raise RuntimeError(f"{rule.endpoint} ({method} {rule.rule}) has no @operation")
            path = _CONVERTER.sub(r"{\1}", rule.rule)
            yield path, method, view, op, _CONVERTER.findall(rule.rule)


def build(app: Flask) -> dict[str, Any]:
    builder = _Builder()
    found = list(_operations(app))
    # Every shape an operation names is registered first, so forms can read their fields.
    for *_rest, op, _names in found:
        if op.answer is not None and not isinstance(op.answer, str | dict):
            builder.ref(op.answer)
        if op.body is not None and op.body_as != "upload":
            builder.ref(op.body)
    components = builder.components()
    paths: dict[str, Schema] = {}
    for path, method, view, op, names in found:
        idempotent = getattr(view, "idempotent", False)
        # Any route: 400 for a NUL in the query (http/request_guards.py), 401 for a bad token.
        errors = set(op.errors) | {400, 401}
        if method in _WRITES:
            errors |= {429} | ({413} if op.body is not None else set())
        if idempotent:
            errors |= set(_IDEMPOTENT_ERRORS)
        parameters = [
            {"name": name, "in": "path", "required": True,
             "description": _PATH_PARAMETERS[name], "schema": {"type": "string", "minLength": 1}}
            for name in names
        ]
        parameters += list(op.parameters) + ([_IDEMPOTENCY_KEY] if idempotent else [])
        entry: Schema = {
            "operationId": op.id,
            "summary": op.summary,
            "tags": [op.tag],
            "security": [{"token": []}] if op.auth else [{}, {"token": []}],
            "responses": {
                **builder.answers(op),
                **{str(s): {"$ref": f"#/components/responses/{s}"} for s in sorted(errors)},
            },
        }
        if parameters:
            entry["parameters"] = parameters
        body = builder.body(op, components)
        if body is not None:
            entry["requestBody"] = body
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Write.as-compatible API",
            "version": "1.0.0",
            "description": (
                "Every response is JSON: `{code, data}` on success, `{code, error_msg}` on "
                "failure, with `code` repeating the HTTP status. Requests may be JSON or "
                "form-encoded; in updates, an absent or null key keeps the stored value."
            ),
        },
        "tags": [{"name": n} for n in ("Users", "Posts", "Collections", "Crossposting", "Meta")],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": builder.components(),
            "responses": _error_responses(),
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "`Token <access_token>` (`Bearer` works too). No header is anonymous; "
                        "an unknown or logged-out token is 401."
                    ),
                },
            },
        },
    }


bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
@operation(id="openapi", summary="This document.", tag="Meta", answer="raw")
def openapi_document():
    # The raw document, not the `{code, data}` envelope: OpenAPI tools expect it bare.
    document = current_app.extensions.get("writeas.openapi")
    if document is None:
        document = current_app.extensions["writeas.openapi"] = build(current_app)
    return jsonify(document)
