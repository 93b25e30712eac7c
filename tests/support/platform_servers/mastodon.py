"""A Mastodon instance, as far as crossposting sees it: verify_credentials, media uploads
(v2, with asynchronous processing) and statuses with `Idempotency-Key`, answering with the
status codes, error bodies and rate-limit headers Mastodon documents."""

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask, jsonify, request

from platform_servers import recorded

TEXT_LIMIT = 500
MAX_ATTACHMENTS = 4
MAX_IMAGE_BYTES = 16 * 1024 * 1024
DESCRIPTION_LIMIT = 1500
IDEMPOTENCY_WINDOW = timedelta(hours=1)


@dataclass
class State:
    access_token: str = "mastodon-token"
    account: dict = field(
        default_factory=lambda: {"id": "109382", "username": "alice", "acct": "alice"}
    )
    statuses: list[dict] = field(default_factory=list)
    media: dict[str, dict] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)  # method, path and headers seen
    # (account id, key) -> (status id, when): what Mastodon keeps in Redis for an hour.
    idempotency: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    rate_limited: bool = False
    rate_limit_reset_seconds: int = 30
    expire_token: bool = False  # the token was revoked or expired: Mastodon can't refresh it
    slow_seconds: float = 0.0
    processing_polls: int = 0  # an upload answers 202, and is ready on the Nth lookup
    fail_next: int | None = None  # answer the next request with this status (e.g. 503)
    ids: itertools.count = field(default_factory=lambda: itertools.count(110000000000000001))


def _error(message: str, status: int, headers: dict | None = None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _rate_limit_headers(state: State) -> dict:
    reset = datetime.now(UTC) + timedelta(seconds=state.rate_limit_reset_seconds)
    return {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _params() -> dict:
    """Mastodon takes form data or JSON; `media_ids[]` is the form spelling of the array."""
    if request.is_json:
        return request.get_json()
    data = request.form.to_dict()
    data["media_ids"] = request.form.getlist("media_ids[]")
    return data


def _attachment(base: str, media: dict) -> dict:
    ready = media["polls_left"] == 0
    return {
        "id": media["id"],
        "type": "image",
        "url": f"{base}/system/media/{media['id']}.png" if ready else None,
        "preview_url": f"{base}/system/media/{media['id']}_small.png",
        "description": media["description"] or None,
    }


def _status_json(base: str, state: State, status: dict) -> dict:
    username = state.account["username"]
    return {
        "id": status["id"],
        "uri": f"{base}/users/{username}/statuses/{status['id']}",
        "url": f"{base}/@{username}/{status['id']}",
        "content": f"<p>{status['text']}</p>",
        "language": status["language"],
        "visibility": "public",
        "media_attachments": [_attachment(base, state.media[m]) for m in status["media_ids"]],
        "account": state.account,
    }


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        state.requests.append(recorded())
        if state.fail_next is not None:
            status, state.fail_next = state.fail_next, None
            return _error("Something went wrong on our end.", status)
        if state.rate_limited:
            return _error("Too many requests", 429, _rate_limit_headers(state))
        if state.expire_token or request.headers.get("Authorization") != (
            f"Bearer {state.access_token}"
        ):
            return _error("The access token is invalid", 401)
        return None

    @app.get("/api/v1/accounts/verify_credentials")
    def verify_credentials():
        return jsonify({**state.account, "display_name": "Alice", "locked": False})

    @app.post("/api/v2/media")
    def upload():
        file = request.files.get("file")
        description = request.form.get("description", "")
        if file is None:
            return _error("Validation failed: File can't be blank", 422)
        data = file.read()
        if len(data) > MAX_IMAGE_BYTES:
            return _error("Validation failed: File file size must be less than 16 MB", 422)
        if len(description) > DESCRIPTION_LIMIT:
            return _error(
                "Validation failed: Description is too long (maximum is 1500 characters)", 422
            )
        media_id = str(next(state.ids))
        state.media[media_id] = {
            "id": media_id,
            "data": data,
            "mime_type": file.mimetype,
            "filename": file.filename,
            "description": description,
            "polls_left": state.processing_polls,
        }
        processing = state.processing_polls > 0
        return jsonify(_attachment(request.host_url.rstrip("/"), state.media[media_id])), (
            202 if processing else 200
        )

    @app.get("/api/v1/media/<media_id>")
    def media(media_id):
        found = state.media.get(media_id)
        if found is None:
            return _error("Record not found", 404)
        if found["polls_left"] > 0:
            found["polls_left"] -= 1
            if found["polls_left"] > 0:
                return jsonify(_attachment(request.host_url.rstrip("/"), found)), 206
        return jsonify(_attachment(request.host_url.rstrip("/"), found))

    @app.post("/api/v1/statuses")
    def post_status():
        base = request.host_url.rstrip("/")
        key = request.headers.get("Idempotency-Key")
        remembered = state.idempotency.get((state.account["id"], key)) if key else None
        if remembered and datetime.now(UTC) - remembered[1] < IDEMPOTENCY_WINDOW:
            first = next(s for s in state.statuses if s["id"] == remembered[0])
            return jsonify(_status_json(base, state, first))
        params = _params()
        refusal = _validate(state, params)
        if refusal is not None:
            return refusal
        status = {
            "id": str(next(state.ids)),
            "text": params.get("status", ""),
            "media_ids": list(params.get("media_ids") or []),
            "language": params.get("language") or None,
            "idempotency_key": key,
        }
        state.statuses.append(status)
        if key:
            state.idempotency[(state.account["id"], key)] = (status["id"], datetime.now(UTC))
        time.sleep(state.slow_seconds)
        return jsonify(_status_json(base, state, status))

    return app


def _validate(state: State, params: dict):
    text = params.get("status", "")
    media_ids = list(params.get("media_ids") or [])
    if not text.strip() and not media_ids:
        return _error("Validation failed: Text can't be blank", 422)
    if len(text) > TEXT_LIMIT:
        return _error("Validation failed: Text character limit of 500 exceeded", 422)
    if len(media_ids) > MAX_ATTACHMENTS:
        return _error("Cannot attach more than 4 files", 422)
    for media_id in media_ids:
        if media_id not in state.media:
            return _error("Record not found", 404)
        if state.media[media_id]["polls_left"] > 0:
            return _error(
                "Cannot attach files that have not finished processing. Try again in a moment!",
                422,
            )
    return None
