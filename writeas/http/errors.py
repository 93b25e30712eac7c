"""Where every error becomes a response: the `{code, error_msg}` envelope for API clients,
an HTML page for people. Nothing else in the code builds error responses."""

import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from writeas.core.errors import ServiceError
from writeas.http.urls import is_api, is_federation

log = logging.getLogger(__name__)

_MESSAGES = {
    400: "Bad request.",
    401: "Unauthorized.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    410: "Gone.",
    413: "Request body is too large.",
    415: "Unsupported media type.",
    429: "Too many requests. Please wait and try again.",
    500: "Something went wrong on our end.",
}


def wants_json() -> bool:
    path = request.path
    return is_api(path) or is_federation(path) or (path == "/auth/login" and request.is_json)


def error_response(status: int, message: str, error_code: str = ""):
    if wants_json():
        extra = {"error_code": error_code} if error_code else {}
        response = jsonify(code=status, error_msg=message, **extra)
    else:
        response = make_response(render_template("error.html", status=status, message=message))
    response.status_code = status
    return response


def _from_http(error: HTTPException):
    status = error.code or 500
    message = _MESSAGES.get(status) or error.name
    response = error_response(status, message)
    for header in ("Allow", "Retry-After"):
        value = error.get_response().headers.get(header)
        if value:
            response.headers[header] = value
    return response


def _unexpected(error: Exception):
    # The traceback goes to the log, never to the client.
    log.exception("Unhandled error on %s %s", request.method, request.path, exc_info=error)
    return error_response(500, _MESSAGES[500])


def _from_service(error: ServiceError):
    response = error_response(error.status, error.message, error.code)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def register(app: Flask) -> None:
    app.register_error_handler(ServiceError, _from_service)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
