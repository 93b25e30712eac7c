"""X API v2, as far as crossposting sees it: the authenticated user, OAuth 2.0 refresh with
rotating refresh tokens (HTTP Basic for confidential clients), media upload with alt-text
metadata, and post creation with X's duplicate-content and length refusals, problem-details
error bodies and `x-rate-limit-*` headers."""

import base64
import itertools
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from platform_servers import recorded
from writeas.crossposting.formatting import measure

TEXT_LIMIT = 280
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
ALT_TEXT_LIMIT = 1000
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
NOT_PERMITTED = "You are not permitted to perform this action."
INVALID_TOKEN = "Value passed for the token was invalid."


@dataclass
class State:
    user: dict = field(
        default_factory=lambda: {"id": "2244994945", "name": "Alice", "username": "AliceWrites"}
    )
    client_id: str = "x-client-id"
    client_secret: str | None = None  # set: a confidential client, which must use Basic auth
    access_tokens: set[str] = field(default_factory=lambda: {"x-access-0"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"x-refresh-0"})
    tweets: list[dict] = field(default_factory=list)
    media: dict[str, dict] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)  # method, path, headers, form, json
    rate_limited: bool = False
    rate_limit_reset_seconds: int = 30
    expire_token: bool = False  # the current access tokens expire now
    revoke_refresh: bool = False  # ... and the refresh token no longer works either
    slow_seconds: float = 0.0  # POST /2/tweets stores the post, then waits this long
    fail_next: int | None = None  # answer the next POST /2/tweets with this status, unstored
    ids: itertools.count = field(default_factory=lambda: itertools.count(1850000000000000001))
    tokens: itertools.count = field(default_factory=lambda: itertools.count(1))


def _problem(status: int, title: str, detail: str, headers: dict | None = None, **extra):
    response = jsonify(title=title, detail=detail, type="about:blank", status=status, **extra)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _oauth_error(status: int, error: str, description: str):
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def _invalid(message: str, parameter: str):
    return _problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        errors=[{"parameters": {parameter: []}, "message": message}],
    )


def _rate_limit_headers(state: State, remaining: int) -> dict:
    return {
        "x-rate-limit-limit": "100",
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(time.time()) + state.rate_limit_reset_seconds),
    }


def _client_authenticated(state: State, form) -> bool:
    if state.client_secret is None:
        return form.get("client_id") == state.client_id
    expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
    return request.headers.get("Authorization") == f"Basic {expected}"


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        state.requests.append(recorded())
        if state.rate_limited:
            return _problem(
                429, "Too Many Requests", "Too Many Requests", _rate_limit_headers(state, 0)
            )
        if request.path == "/2/oauth2/token":
            return None
        if state.expire_token:
            state.access_tokens.clear()
            state.expire_token = False
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.access_tokens:
            return _problem(401, "Unauthorized", "Unauthorized")
        return None

    @app.after_request
    def rate_headers(response):
        if response.status_code != 429:
            response.headers.update(_rate_limit_headers(state, 99))
        return response

    @app.post("/2/oauth2/token")
    def token():
        form = request.form
        if not _client_authenticated(state, form):
            return _oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "invalid_request", "Missing required parameter [code].")
        if state.revoke_refresh or form.get("refresh_token") not in state.refresh_tokens:
            return _oauth_error(400, "invalid_request", INVALID_TOKEN)
        state.refresh_tokens.discard(form["refresh_token"])  # rotated: the old one is used up
        number = next(state.tokens)
        access, refresh = f"x-access-{number}", f"x-refresh-{number}"
        state.access_tokens.add(access)
        state.refresh_tokens.add(refresh)
        return jsonify(
            token_type="bearer",
            expires_in=7200,
            access_token=access,
            refresh_token=refresh,
            scope="tweet.read tweet.write users.read media.write offline.access",
        )

    @app.get("/2/users/me")
    def me():
        return jsonify(data=state.user)

    @app.post("/2/media/upload")
    def upload():
        file = request.files.get("media")
        if file is None:
            return _invalid("The `media` parameter is required.", "media")
        if request.form.get("media_category") != "tweet_image":
            return _invalid("Unsupported media_category.", "media_category")
        data = file.read()
        if len(data) > MAX_IMAGE_BYTES:
            return _invalid(f"File size exceeds {MAX_IMAGE_BYTES} bytes.", "media")
        media_id = str(next(state.ids))
        state.media[media_id] = {
            "id": media_id,
            "data": data,
            "mime_type": file.mimetype,
            "media_type": request.form.get("media_type"),
            "alt_text": None,
        }
        return jsonify(
            data={
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(data),
                "expires_after_secs": 86400,
            }
        )

    @app.post("/2/media/metadata")
    def metadata():
        body = request.get_json(silent=True) or {}
        found = state.media.get(str(body.get("id")))
        if found is None:
            return _invalid("Media not found.", "id")
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text", "")
        if len(alt) > ALT_TEXT_LIMIT:
            return _invalid(f"Alt text must be at most {ALT_TEXT_LIMIT} characters.", "alt_text")
        found["alt_text"] = alt
        return jsonify(data={"id": found["id"], "associated_metadata": {"alt_text": {"text": alt}}})

    @app.post("/2/tweets")
    def post_tweet():
        if state.fail_next is not None:
            status, state.fail_next = state.fail_next, None
            return _problem(status, "Service Unavailable", "Service Unavailable")
        body = request.get_json(silent=True) or {}
        refusal = _validate(state, body)
        if refusal is not None:
            return refusal
        tweet = {
            "id": str(next(state.ids)),
            "text": body.get("text", ""),
            "media_ids": list((body.get("media") or {}).get("media_ids") or []),
            "author_id": state.user["id"],
        }
        state.tweets.append(tweet)
        time.sleep(state.slow_seconds)
        data = {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}
        return jsonify(data=data), 201

    return app


def _validate(state: State, body: dict):
    text = body.get("text", "")
    media_ids = list((body.get("media") or {}).get("media_ids") or [])
    if not isinstance(text, str) or (not text and not media_ids):
        return _invalid("Post text is required when no media is attached.", "text")
    if measure(text, "x") > TEXT_LIMIT:
        return _problem(403, "Forbidden", NOT_PERMITTED)
    if len(media_ids) > MAX_IMAGES or any(m not in state.media for m in media_ids):
        return _invalid("Your media IDs are invalid.", "media.media_ids")
    if any(t["text"] == text for t in state.tweets if t["author_id"] == state.user["id"]):
        return _problem(403, "Forbidden", DUPLICATE)
    return None
