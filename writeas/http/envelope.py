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


def ok_page(data: list, next_cursor: str | None):
    """A page of a list: the envelope, with the cursor of the next page beside `data`
    (null on the last page), so that `data` stays the list every client expects."""
    body = {"code": 200, "data": data, "next_cursor": next_cursor}
    text = json.dumps(body, separators=(",", ":")) + "\n"
    return current_app.response_class(text, status=200, mimetype=JSON)
