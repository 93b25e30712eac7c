"""The success half of the spec's envelope (errors are shaped in `errorhandling`)."""

from flask import current_app

JSON = "application/json"


def ok_text(data, code: int = 200, json=None) -> str:
    """The envelope as the body says it: compact, as `jsonify` writes the error half.
    (`json`, the app's JSON provider, is given by callers without an app context.)"""
    envelope = {"code": code, "data": data}
    return (json or current_app.json).dumps(envelope, separators=(",", ":")) + "\n"


def ok(data, code: int = 200):
    return current_app.response_class(ok_text(data, code), status=code, mimetype=JSON)


def no_content():
    return "", 204
