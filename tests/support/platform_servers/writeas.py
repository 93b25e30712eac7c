"""A Write.as-compatible server: this project itself. `create(state)` serves a real app of
ours (built by the `make_app` fixture) behind a thin layer that can answer 429 with the
headers our rate limiter sends, fail once, or sleep after the app has done its work."""

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask
from werkzeug.wrappers import Request, Response


@dataclass
class State:
    app: Flask
    requests: list[dict] = field(default_factory=list)  # method, path and headers seen
    rate_limited: bool = False
    rate_limit_reset_seconds: int = 30
    slow_seconds: float = 0.0  # sleep after the app answered (the post is already stored)
    fail_next: int | None = None  # answer the next request with this status (e.g. 503)


def _envelope(status: int, message: str, headers: dict | None = None) -> Response:
    body = json.dumps({"code": status, "error_msg": message})
    return Response(body, status, headers or {}, content_type="application/json")


def _rate_limited(state: State) -> Response:
    """What Flask-Limiter (headers enabled) sends with our errorhandling's 429 body."""
    reset = datetime.now(UTC) + timedelta(seconds=state.rate_limit_reset_seconds)
    headers = {
        "Retry-After": str(state.rate_limit_reset_seconds),
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(reset.timestamp())),
    }
    return _envelope(429, "Too many requests. Please wait and try again.", headers)


def create(state: State):
    def serve(environ, start_response):
        request = Request(environ)
        state.requests.append(
            {"method": request.method, "path": request.path, "headers": dict(request.headers)}
        )
        if state.fail_next is not None:
            status, state.fail_next = state.fail_next, None
            return _envelope(status, "Something went wrong.")(environ, start_response)
        if state.rate_limited:
            return _rate_limited(state)(environ, start_response)
        response = Response.from_app(state.app, environ, buffered=True)
        time.sleep(state.slow_seconds)
        return response(environ, start_response)

    return serve


def sign_up(app: Flask, alias: str, password: str = "correct horse") -> str:
    """A new user (with the blog /<alias>/); their access token."""
    answer = app.test_client().post("/api/auth/signup", json={"alias": alias, "pass": password})
    assert answer.status_code == 201, answer.json
    return answer.json["data"]["access_token"]


def blog_posts(app: Flask, alias: str, token: str) -> list[dict]:
    """What the server stored in the blog, as its API shows it to the owner."""
    answer = app.test_client().get(
        f"/api/collections/{alias}/posts", headers={"Authorization": f"Token {token}"}
    )
    assert answer.status_code == 200, answer.json
    return answer.json["data"]["posts"]
