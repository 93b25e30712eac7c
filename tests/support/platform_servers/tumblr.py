"""A small Tumblr API v2: OAuth 2 bearer tokens with the refresh grant, `/v2/user/info`,
and NPF post creation as JSON or as multipart with the images as identified file parts.

Responses use Tumblr's envelope `{meta: {status, msg}, response, errors: [{title, code,
detail}]}`. Like Tumblr, it has no idempotency handle: the same request twice makes two
posts. Error wording for a too-large image is ours (the shape is Tumblr's).
"""

import itertools
import json
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from writeas.crossposting.platforms.base import Account

from . import sample_article

MAX_ALT_TEXT = 4096


@dataclass
class State:
    user: str = "alice"
    blogs: list[dict] = field(
        default_factory=lambda: [
            {
                "name": "alices-garden",
                "uuid": "t:Ae3xYz12",
                "url": "https://alices-garden.tumblr.com/",
            },
            {
                "name": "alice-sideblog",
                "uuid": "t:Qq9w8e7r",
                "url": "https://alice-sideblog.tumblr.com/",
            },
        ]
    )
    client_id: str = "client-1"
    client_secret: str = "secret-1"
    access_tokens: set[str] = field(default_factory=lambda: {"token-1"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-1"})
    posts: list[dict] = field(default_factory=list)
    refreshes: int = 0
    max_image_bytes: int = 10 * 1024 * 1024
    # Switches the tests flip.
    rate_limited: bool = False
    retry_after: int | None = None  # also send Retry-After (Tumblr itself rarely does)
    perday_reset: int = 3600
    expire_token: bool = False  # the next request with a valid token finds it expired
    slow_seconds: float = 0.0
    fail_next: int | None = None  # answer the next post with this status once
    refresh_fails: bool = False
    token_endpoint_down: bool = False


_ids = itertools.count(731000000000000001)


def envelope(status: int, msg: str, response=None, errors=None):
    body = {"meta": {"status": status, "msg": msg}, "response": response or []}
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


def error(status: int, msg: str, detail: str, code: int = 0):
    return envelope(status, msg, errors=[{"title": msg, "code": code, "detail": detail}])


def create(state: State) -> Flask:
    app = Flask(__name__)

    def authorized() -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        if token in state.access_tokens and state.expire_token:
            state.access_tokens.discard(token)
            state.expire_token = False
            return False
        return token in state.access_tokens

    def unauthorized():
        return error(401, "Unauthorized", "Unable to authorize")

    @app.before_request
    def throttle():
        if state.rate_limited and request.path != "/v2/oauth2/token":
            response, status = error(429, "Limit Exceeded", "You have exceeded your rate limit.")
            response.headers["X-Ratelimit-Perday-Limit"] = "5000"
            response.headers["X-Ratelimit-Perday-Remaining"] = "0"
            response.headers["X-Ratelimit-Perday-Reset"] = str(state.perday_reset)
            response.headers["X-Ratelimit-Perhour-Remaining"] = "12"
            response.headers["X-Ratelimit-Perhour-Reset"] = "1200"
            if state.retry_after is not None:
                response.headers["Retry-After"] = str(state.retry_after)
            return response, status
        return None

    @app.post("/v2/oauth2/token")
    def token():
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return jsonify(error="unsupported_grant_type"), 400
        if (
            form.get("client_id") != state.client_id
            or form.get("client_secret") != state.client_secret
        ):
            return jsonify(
                error="invalid_client", error_description="Client authentication failed"
            ), 401
        if state.token_endpoint_down:
            return jsonify(error="server_error", error_description="Try again later."), 503
        if state.refresh_fails or form.get("refresh_token") not in state.refresh_tokens:
            return jsonify(
                error="invalid_grant", error_description="The refresh token is invalid."
            ), 400
        # Tumblr rotates the refresh token along with the access token.
        state.refresh_tokens.discard(form["refresh_token"])
        state.refreshes += 1
        access, refresh = f"token-r{state.refreshes}", f"refresh-r{state.refreshes}"
        state.access_tokens.add(access)
        state.refresh_tokens.add(refresh)
        return jsonify(
            access_token=access,
            refresh_token=refresh,
            expires_in=2520,
            token_type="bearer",
            scope="basic write offline_access",
        )

    @app.get("/v2/user/info")
    def user_info():
        if not authorized():
            return unauthorized()
        user = {"name": state.user, "likes": 0, "following": 3, "blogs": state.blogs}
        return envelope(200, "OK", {"user": user})

    def parse_post() -> tuple[dict | None, dict]:
        if request.mimetype == "multipart/form-data":
            raw = request.form.get("json")
            files = {name: request.files[name] for name in request.files}
            return (json.loads(raw) if raw else None), files
        return request.get_json(silent=True), {}

    def check_blocks(post: dict, files: dict) -> str | None:
        blocks = post.get("content")
        if not isinstance(blocks, list) or not blocks:
            return "Post content is required."
        for block in blocks:
            if not isinstance(block, dict) or "type" not in block:
                return "Posting failed. Please try again."
            if block["type"] == "text" and not isinstance(block.get("text"), str):
                return "Posting failed. Please try again."
            if block["type"] == "image":
                problem = check_image(block, files)
                if problem:
                    return problem
        return None

    def check_image(block: dict, files: dict) -> str | None:
        if len(block.get("alt_text", "")) > MAX_ALT_TEXT:
            return f"Alt text may be at most {MAX_ALT_TEXT} characters."
        for media in block.get("media") or [{}]:
            upload = files.get(media.get("identifier", ""))
            if upload is None and not media.get("url"):
                return "Posting failed. Please try again."
            if upload is not None and len(upload.read()) > state.max_image_bytes:
                return "The image you uploaded is too large. The maximum size is 10 MB."
            if upload is not None:
                upload.seek(0)
        return None

    @app.post("/v2/blog/<blog>/posts")
    def create_post(blog):
        if not authorized():
            return unauthorized()
        if state.fail_next:
            status, state.fail_next = state.fail_next, None
            return error(status, "Internal Server Error", "Something went wrong.")
        if blog not in {b["name"] for b in state.blogs} | {b["uuid"] for b in state.blogs}:
            return error(403, "Forbidden", "You do not have permission to post to this blog.")
        post, files = parse_post()
        if not isinstance(post, dict):
            return error(400, "Bad Request", "Posting failed. Please try again.", 8001)
        problem = check_blocks(post, files)
        if problem:
            return error(400, "Bad Request", problem, 8001)
        post_id = next(_ids)
        state.posts.append(
            {
                "blog": blog,
                "id": str(post_id),
                "post": post,
                "files": {name: (f.filename, f.mimetype, f.read()) for name, f in files.items()},
                "content_type": request.mimetype,
            }
        )
        if state.slow_seconds:
            time.sleep(state.slow_seconds)
        response = {
            "id": post_id,
            "id_string": str(post_id),
            "state": post.get("state", "published"),
            "display_text": "Posted to Tumblr",
        }
        return envelope(201, "Created", response)

    return app


# The account and content the tests publish with (the adapter's side of the exchange).
CREDENTIALS = {
    "access_token": "token-1",
    "refresh_token": "refresh-1",
    "client_id": "client-1",
    "client_secret": "secret-1",
}


def account(credentials=None):
    return Account("alices-garden", "t:Ae3xYz12", dict(credentials or CREDENTIALS))


def article(**overrides):
    markdown = "Keep the best pods.\n\nDry them **well** before storing."
    return sample_article(**{"markdown": markdown, **overrides})
