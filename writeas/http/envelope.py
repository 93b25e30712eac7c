"""The success half of the spec's envelope (errors are shaped in `http.errors`)."""

import json

from flask import current_app

from writeas.http.content_types import JSON


def ok_text(data, code: int = 200) -> str:
    """The envelope as the body says it: compact, as `jsonify` writes the error half, in
    the spec's field order, and byte for byte what Flask's JSON provider would write
    (ASCII-escaped), without needing an app to ask."""
    return json.dumps({"code": code, "data": data}, separators=(",", ":")) + "\n"


def ok(data, code: int = 200):
    return current_app.response_class(ok_text(data, code), status=code, mimetype=JSON)


def no_content():
    return "", 204
