"""A Mastodon instance, as far as crossposting sees it: verify_credentials, the instance's
own description (v2, and v1 for older or other servers), media uploads (v2, with
asynchronous processing), statuses with `Idempotency-Key` and an account's latest statuses,
answering with the status codes, error bodies and rate-limit headers Mastodon documents.

Switches make it one of the other Mastodon-API servers: one that ignores
`Idempotency-Key`, answers a bad token with a plain-text 400, has no v2 instance endpoint,
or names another software in its version."""

import html
import itertools
import re
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
    # The other Mastodon-API servers.
    version: str = "4.3.2"
    max_characters: int = TEXT_LIMIT
    ignores_idempotency_key: bool = False
    bad_token_as_plain_400: bool = False
    has_v2_instance: bool = True
    has_v1_instance: bool = True


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
        "content": _html(status["text"]),
        "language": status["language"],
        "visibility": status["visibility"],
        "spoiler_text": status["spoiler_text"],
        "sensitive": status["sensitive"],
        "in_reply_to_id": status["in_reply_to_id"],
        "created_at": status["created_at"],
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
        if request.path.startswith(("/api/v1/instance", "/api/v2/instance")):
            return None  # public
        if state.expire_token or request.headers.get("Authorization") != (
            f"Bearer {state.access_token}"
        ):
            if state.bad_token_as_plain_400:
                return "Bad request: invalid token", 400, {"Content-Type": "text/plain"}
            return _error("The access token is invalid", 401)
        return None

    @app.get("/api/v2/instance")
    def instance_v2():
        if not state.has_v2_instance:
            return _error("Record not found", 404)
        return jsonify(
            {
                "domain": request.host,
                "version": state.version,
                "configuration": {
                    "urls": {"streaming": f"wss://{request.host}"},
                    "statuses": {
                        "max_characters": state.max_characters,
                        "max_media_attachments": MAX_ATTACHMENTS,
                        "characters_reserved_per_url": 23,
                    },
                    "media_attachments": {
                        "image_size_limit": MAX_IMAGE_BYTES,
                        "video_size_limit": 99 * 1024 * 1024,
                        "description_limit": DESCRIPTION_LIMIT,
                    },
                },
            }
        )

    @app.get("/api/v1/instance")
    def instance_v1():
        if not state.has_v1_instance:
            return _error("Record not found", 404)
        # Pleroma's and Akkoma's v1 answer: their own key for the limit, no configuration.
        return jsonify(
            {"uri": request.host, "version": state.version, "max_toot_chars": state.max_characters}
        )

    @app.get("/api/v1/accounts/<account_id>/statuses")
    def account_statuses(account_id):
        base = request.host_url.rstrip("/")
        limit = min(int(request.args.get("limit", 20)), 40)
        mine = [s for s in state.statuses if account_id == state.account["id"]]
        return jsonify([_status_json(base, state, s) for s in reversed(mine)][:limit])

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
        key = None if state.ignores_idempotency_key else request.headers.get("Idempotency-Key")
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
            "visibility": params.get("visibility") or "public",
            "spoiler_text": params.get("spoiler_text") or "",
            "sensitive": str(params.get("sensitive", "")).lower() == "true",
            "in_reply_to_id": params.get("in_reply_to_id") or None,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }
        state.statuses.append(status)
        if key:
            state.idempotency[(state.account["id"], key)] = (status["id"], datetime.now(UTC))
        time.sleep(state.slow_seconds)
        return jsonify(_status_json(base, state, status))

    return app


def _html(text: str) -> str:
    """As Mastodon renders a plain-text status: paragraphs, line breaks, links shortened
    for display with the rest of the address in an invisible span."""
    escaped = html.escape(text, quote=False)
    linked = re.sub(
        r"https?://(\S{0,20})(\S*)",
        lambda m: f'<a href="{m.group(0)}"><span class="invisible">'
        f'{m.group(0)[: -len(m.group(1) + m.group(2)) or None]}</span>'
        f'<span class="ellipsis">{m.group(1)}</span>'
        f'<span class="invisible">{m.group(2)}</span></a>',
        escaped,
    )
    paragraphs = linked.split("\n\n")
    return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs)


def _validate(state: State, params: dict):
    text = params.get("status", "")
    media_ids = list(params.get("media_ids") or [])
    if not text.strip() and not media_ids:
        return _error("Validation failed: Text can't be blank", 422)
    if len(text) > state.max_characters:
        return _error(
            f"Validation failed: Text character limit of {state.max_characters} exceeded", 422
        )
    if params.get("visibility") not in (None, "", "public", "unlisted", "private", "direct"):
        return _error("Validation failed: Visibility is not included in the list", 422)
    reply_to = params.get("in_reply_to_id")
    if reply_to and not any(s["id"] == reply_to for s in state.statuses):
        return _error("Record not found", 404)
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
