"""The success half of the spec's envelope (errors are shaped in `errorhandling`)."""

from flask import jsonify


def ok(data, code: int = 200):
    response = jsonify(code=code, data=data)
    response.status_code = code
    return response


def no_content():
    return "", 204
