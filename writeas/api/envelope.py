"""The success half of the spec's envelope (errors are shaped in `errorhandling`)."""

from flask import current_app

JSON = "application/json"


def ok_text(data, code: int = 200) -> str:
    """The envelope as the body says it: compact, as `jsonify` writes the error half."""
    return current_app.json.dumps({"code": code, "data": data}, separators=(",", ":")) + "\n"


def ok(data, code: int = 200):
    return current_app.response_class(ok_text(data, code), status=code, mimetype=JSON)


def no_content():
    return "", 204
