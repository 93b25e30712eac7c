"""The request body as a Python value: JSON when the client says so, form fields otherwise
(the spec's default), with every malformed body refused as a 400 rather than a 500."""

import json
from typing import Any

from flask import request

from ..errors import ServiceError


def is_json() -> bool:
    mimetype = request.mimetype or ""
    return mimetype == "application/json" or mimetype.endswith("+json")


def read() -> Any:
    if is_json():
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ServiceError(400, "Request body is not valid JSON.") from None
    return request.form.to_dict(flat=True)


def token_from_request(data: Any) -> str | None:
    """A post's modify token may come in the query string or in the body."""
    token = request.args.get("token")
    if not token and isinstance(data, dict) and isinstance(data.get("token"), str):
        token = data["token"]
    return token or None
