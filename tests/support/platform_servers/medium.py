"""A small Medium API v1: `/v1/me`, `/v1/images` (multipart field `image`, one image per
request, JPEG/PNG/GIF/TIFF) and `/v1/users/<authorId>/posts`, with Medium's data envelope
and `{errors: [{message, code}]}` errors.

Integration tokens never expire, but a revoked one answers 401 "Token was invalid." (code
6003). Medium has no idempotency handle: the same request twice makes two posts. The error
wording for a too-large image and the rate limit is ours (the shape is Medium's).
"""

import hashlib
import itertools
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from writeas.crossposting.platforms.base import Account

from . import sample_article

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/tiff"}
PUBLISH_STATUSES = {"public", "draft", "unlisted"}


@dataclass
class State:
    token: str = "integration-1"
    user: dict = field(
        default_factory=lambda: {
            "id": "5303d74c64f66366f00cb9b2a94f3251bf5",
            "username": "alice",
            "name": "Alice Gardener",
            "url": "https://medium.com/@alice",
            "imageUrl": "https://cdn-images-1.medium.com/fit/c/400/400/alice.png",
        }
    )
    posts: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    max_image_bytes: int = 25 * 1024 * 1024
    # Switches the tests flip.
    rate_limited: bool = False
    retry_after: int | None = None
    expire_token: bool = False  # the token has been revoked
    slow_seconds: float = 0.0
    fail_next: int | None = None


_ids = (f"{n:012x}" for n in itertools.count(0xE6F36A000001))


def error(status: int, message: str, code: int):
    return jsonify(errors=[{"message": message, "code": code}]), status


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        if state.rate_limited:
            response, status = error(429, "Rate limit exceeded.", 6052)
            if state.retry_after is not None:
                response.headers["Retry-After"] = str(state.retry_after)
            return response, status
        header = request.headers.get("Authorization", "")
        if state.expire_token or header != f"Bearer {state.token}":
            return error(401, "Token was invalid.", 6003)
        return None

    @app.get("/v1/me")
    def me():
        return jsonify(data=state.user)

    @app.post("/v1/images")
    def upload_image():
        if set(request.files) != {"image"} or len(request.files.getlist("image")) != 1:
            return error(400, "Exactly one file in the field `image` is required.", 6000)
        upload = request.files["image"]
        if upload.mimetype not in IMAGE_TYPES:
            return error(400, f"Unsupported image type: {upload.mimetype}.", 6000)
        data = upload.read()
        if len(data) > state.max_image_bytes:
            return error(400, "Image is too large.", 6000)
        md5 = hashlib.md5(data).hexdigest()  # noqa: S324 - Medium names it md5
        url = f"https://cdn-images-1.medium.com/0*{md5[:16]}"
        state.images.append(
            {"url": url, "mimetype": upload.mimetype, "data": data, "filename": upload.filename}
        )
        return jsonify(data={"url": url, "md5": md5}), 201

    def invalid(post) -> str | None:
        if not isinstance(post, dict):
            return "The request body must be JSON."
        for name in ("title", "contentFormat", "content"):
            if not isinstance(post.get(name), str) or not post[name]:
                return f"Missing or invalid field: {name}"
        if post["contentFormat"] not in {"html", "markdown"}:
            return "contentFormat must be html or markdown"
        if post.get("publishStatus", "public") not in PUBLISH_STATUSES:
            return "publishStatus must be public, draft or unlisted"
        return None

    @app.post("/v1/users/<author_id>/posts")
    def create_post(author_id):
        if author_id != state.user["id"]:
            return error(403, "You may not publish as this user.", 6026)
        if state.fail_next:
            status, state.fail_next = state.fail_next, None
            return error(status, "Something went wrong.", 0)
        post = request.get_json(silent=True)
        problem = invalid(post)
        if problem:
            return error(400, problem, 6000)
        post_id = next(_ids)
        tags = [t for t in post.get("tags") or [] if len(t) <= 25][:3]
        slug = "-".join(post["title"].lower().split())[:60]
        created = {
            "id": post_id,
            "title": post["title"],
            "authorId": author_id,
            "tags": tags,
            "url": f"https://medium.com/@{state.user['username']}/{slug}-{post_id}",
            "publishStatus": post.get("publishStatus", "public"),
            "publishedAt": int(time.time() * 1000),
            "license": post.get("license", "all-rights-reserved"),
            "licenseUrl": "https://medium.com/policy/9db0094a1e0f",
        }
        if post.get("canonicalUrl"):
            created["canonicalUrl"] = post["canonicalUrl"]
        state.posts.append({"request": post, "created": created, "headers": dict(request.headers)})
        if state.slow_seconds:
            time.sleep(state.slow_seconds)
        return jsonify(data=created), 201

    return app


# The account and content the tests publish with (the adapter's side of the exchange).
CREDENTIALS = {"integration_token": "integration-1"}
USER_ID = "5303d74c64f66366f00cb9b2a94f3251bf5"


def account():
    return Account("alice", USER_ID, dict(CREDENTIALS))


article = sample_article
