"""The request body as a Python value: JSON when the client says so, form fields otherwise
(the spec's default), with every malformed body refused as a 400 rather than a 500."""

import json
from typing import Any

from flask import current_app, request

from writeas.core.errors import ServiceError
from writeas.services import media

# What a multipart form adds around an uploaded file (boundaries, part headers, the other
# fields).
_FORM_SLACK = 64 * 1024


def is_json() -> bool:
    mimetype = request.mimetype or ""
    return mimetype == "application/json" or mimetype.endswith("+json")


def _field_with_nul(data: Any) -> str | None:
    """The field of an object body holding a NUL anywhere inside it (walked without
    recursion: the nesting is the client's choice), or None. Array bodies are batches,
    whose items are checked, and answered, one by one."""
    if not isinstance(data, dict):
        return None
    for name, value in data.items():
        stack = [name, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and "\x00" in item:
                return name if isinstance(name, str) and "\x00" not in name else "body"
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return None


def read() -> Any:
    if is_json():
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise ServiceError(400, "Request body is not valid JSON.") from None
        # No field may carry NUL: PostgreSQL can't store or even compare with it.
        field = _field_with_nul(data)
        if field is not None:
            raise ServiceError(
                400, f"Parameter `{field}` must be valid UTF-8 text without control characters."
            )
        return data
    return request.form.to_dict(flat=True)


def token_from_request(data: Any) -> str | None:
    """A post's modify token may come in the query string or in the body."""
    token = request.args.get("token")
    if not token and isinstance(data, dict) and isinstance(data.get("token"), str):
        token = data["token"]
    return token or None


def accepts_upload(view):
    """Marks a view whose body may carry a file, up to the larger of MEDIA_MAX_BYTES and
    VIDEO_MAX_BYTES: far more than other request bodies (`size_uploads`)."""
    view.accepts_upload = True
    return view


def size_uploads() -> None:
    """Before anything reads the body (the CSRF check and the idempotency check both do),
    an upload's view gets room for it; anything larger is a 413 before it is read. The
    form parser keeps a large file on disk, so the kind's own limit is checked after."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "accepts_upload", False):
        request.max_content_length = media.max_upload_bytes() + _FORM_SLACK
