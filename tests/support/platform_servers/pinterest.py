"""Pinterest API v5, as far as crossposting sees it: the user account, boards and their
pins with `bookmark` pagination, OAuth refresh with HTTP Basic client authentication
(continuous refresh: each refresh answers a new refresh token), pins from base64 images
and carousels, and video pins through `/v5/media` with an S3-style form upload (served
here too, at the `upload_url` it hands out) and a processing status that takes polls.

Errors are Pinterest's `{code, message}` (codes and wordings from the v5 OpenAPI
description where it gives them); a 429 carries the rate-limit headers Pinterest sends,
`x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds).
"""

import base64
import binascii
import itertools
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, jsonify, request

from platform_servers import recorded

TITLE_LIMIT, DESCRIPTION_LIMIT, ALT_TEXT_LIMIT, LINK_LIMIT = 100, 800, 500, 2048
MAX_PAGE_SIZE = 250
AUTH_FAILED = "Authentication failed."
RATE_LIMITED = (
    "This request exceeded a rate limit. This can happen if the client exceeds one\n"
    "of the published rate limits within a short time window."
)
SPAM = "Your request was blocked because it looks like spam."
BOARD_NOT_FOUND = "Board not found."
CONTENT_TYPES = {"image/jpeg", "image/png"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class State:
    client_id: str = "1484362"
    client_secret: str = "pin-secret"
    access_tokens: set[str] = field(default_factory=lambda: {"pina_0"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"pinr_0"})
    user: dict = field(
        default_factory=lambda: {
            "id": "2783136121146311751",
            "username": "alicegardens",
            "account_type": "BUSINESS",
        }
    )
    boards: list[dict] = field(
        default_factory=lambda: [
            {
                "id": "549755885175",
                "name": "Seed saving",
                "privacy": "PUBLIC",
                "description": "Keeping the best pods",
                "sections": ["5027630990032166937"],
            },
            {"id": "549755885176", "name": "Drafts", "privacy": "SECRET", "description": None},
        ]
    )
    pins: list[dict] = field(default_factory=list)
    media: dict[str, dict] = field(default_factory=dict)
    uploads: list[dict] = field(default_factory=list)  # what reached the S3 bucket
    requests: list[dict] = field(default_factory=list)
    # Switches the tests flip.
    rate_limited: bool = False
    rate_limit_reset_seconds: int = 30
    spam_blocked: bool = False  # pins are refused as spam (also a 429 at Pinterest)
    expire_token: bool = False  # the access tokens issued so far expire now
    revoke_refresh: bool = False
    processing_polls: int = 0  # a video is `processing` for this many status reads
    fail_processing: bool = False
    s3_max_bytes: int = 2 * 1024**3  # the signed policy's content-length-range
    slow_pin_seconds: float = 0.0  # POST /v5/pins stores the pin, then waits this long
    fail_next_pin: int | None = None  # answer the next POST /v5/pins with this, unstored
    ids: itertools.count = field(default_factory=lambda: itertools.count(813744226, 7))
    tokens: itertools.count = field(default_factory=lambda: itertools.count(1))


def error(status: int, code: int, message: str, headers: dict | None = None):
    response = jsonify(code=code, message=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _s3_error(status: int, code: str, message: str):
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return body, status, {"Content-Type": "application/xml"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk (what Pinterest reads of the image)."""
    if data[:8] != PNG_SIGNATURE or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


def _page(items: list, args) -> dict | tuple:
    try:
        size = int(args.get("page_size", 25))
        start = int(args.get("bookmark") or 0)
    except ValueError:
        return error(400, 1, "Invalid request parameters.")
    if not 1 <= size <= MAX_PAGE_SIZE:
        return error(400, 1, f"'page_size' value '{size}' must be between 1 and 250")
    end = start + size
    return {"items": items[start:end], "bookmark": str(end) if end < len(items) else None}


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        state.requests.append(recorded())
        if request.path == "/s3-upload":
            return None
        if state.rate_limited:
            headers = {
                "x-ratelimit-limit": "100",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(state.rate_limit_reset_seconds),
            }
            return error(429, 8, RATE_LIMITED, headers)
        if request.path == "/v5/oauth/token":
            return None
        if state.expire_token:
            state.access_tokens.clear()
            state.expire_token = False
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.access_tokens:
            return error(401, 2, AUTH_FAILED)
        return None

    @app.post("/v5/oauth/token")
    def token():
        expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return error(401, 2, AUTH_FAILED)
        if request.form.get("grant_type") != "refresh_token":
            return error(400, 1, "Invalid request: 'grant_type' is not supported.")
        refresh = request.form.get("refresh_token")
        if state.revoke_refresh or refresh not in state.refresh_tokens:
            return error(400, 1, "Invalid refresh token.")
        state.refresh_tokens.discard(refresh)
        number = next(state.tokens)
        access, refresh = f"pina_{number}", f"pinr_{number}"
        state.access_tokens.add(access)
        state.refresh_tokens.add(refresh)
        return jsonify(
            access_token=access,
            refresh_token=refresh,
            response_type="refresh_token",
            token_type="bearer",
            expires_in=2592000,
            refresh_token_expires_in=5184000,
            refresh_token_expires_at=int(time.time()) + 5184000,
            scope="boards:read,boards:write,pins:read,pins:write,user_accounts:read",
        )

    @app.get("/v5/user_account")
    def user_account():
        return jsonify({**state.user, "board_count": len(state.boards), "pin_count": 0})

    @app.get("/v5/boards")
    def boards():
        listed = [{k: v for k, v in b.items() if k != "sections"} for b in state.boards]
        page = _page(listed, request.args)
        return jsonify(page) if isinstance(page, dict) else page

    @app.get("/v5/boards/<board_id>/pins")
    def board_pins(board_id):
        if not any(b["id"] == board_id for b in state.boards):
            return error(404, 40, BOARD_NOT_FOUND)
        newest_first = [p for p in reversed(state.pins) if p["board_id"] == board_id]
        page = _page(newest_first, request.args)
        return jsonify(page) if isinstance(page, dict) else page

    @app.post("/v5/media")
    def register_media():
        if (request.get_json(silent=True) or {}).get("media_type") != "video":
            return error(400, 1, "'media_type' value must be one of: video")
        media_id = str(next(state.ids))
        key = f"uploads/11/aa/22/3:video:{media_id}"
        state.media[media_id] = {
            "media_id": media_id,
            "key": key,
            "uploaded": False,
            "polls_left": state.processing_polls,
        }
        parameters = {
            "x-amz-date": "20260127T185143Z",
            "x-amz-signature": f"sig-{media_id}",
            "x-amz-security-token": "IQoJb3JpZ2luX2VjEJr",
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "key": key,
            "policy": "eyJleHBpcmF0aW9uIjoiMj",
            "x-amz-credential": "ASIA6QZJ64OPIKV7FRVX/20260127/us-east-1/s3/aws4_request",
            "Content-Type": "multipart/form-data",
        }
        return jsonify(
            media_id=media_id,
            media_type="video",
            upload_url=f"{request.host_url}s3-upload",
            upload_parameters=parameters,
        ), 201

    @app.post("/s3-upload")
    def s3_upload():
        """The bucket: a browser-style POST whose fields match what Pinterest signed."""
        if "Authorization" in request.headers:
            return _s3_error(400, "InvalidArgument", "Unsupported Authorization Type")
        found = next((m for m in state.media.values() if m["key"] == request.form.get("key")), None)
        if found is None or request.form.get("x-amz-signature") != f"sig-{found['media_id']}":
            return _s3_error(403, "AccessDenied", "Invalid according to Policy")
        upload = request.files.get("file")
        if upload is None:
            return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload")
        data = upload.read()
        if len(data) > state.s3_max_bytes:
            return _s3_error(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            )
        state.uploads.append({"key": found["key"], "data": data, "fields": request.form.to_dict()})
        found["uploaded"] = True
        return "", 204

    @app.get("/v5/media/<media_id>")
    def media_status(media_id):
        found = state.media.get(media_id)
        if found is None:
            return error(404, 4101, "Media not found.")
        status = "registered"
        if found["uploaded"]:
            status = "processing"
            if found["polls_left"] > 0:
                found["polls_left"] -= 1
            else:
                status = "failed" if state.fail_processing else "succeeded"
        found["status"] = status
        return jsonify(media_id=media_id, media_type="video", status=status)

    @app.post("/v5/pins")
    def create_pin():
        if state.fail_next_pin is not None:
            status, state.fail_next_pin = state.fail_next_pin, None
            return error(status, 0, "Something went wrong on our end. Sorry about that.")
        if state.spam_blocked:
            return error(429, 9, SPAM)
        body = request.get_json(silent=True) or {}
        refusal = _validate(state, body)
        if refusal is not None:
            return refusal
        pin = {
            "id": str(next(state.ids)),
            "created_at": _now(),
            "board_id": body["board_id"],
            "board_section_id": body.get("board_section_id"),
            "title": body.get("title"),
            "description": body.get("description"),
            "link": body.get("link"),
            "alt_text": body.get("alt_text"),
            "media_source": body["media_source"],
        }
        state.pins.append(pin)
        time.sleep(state.slow_pin_seconds)
        shown = {k: v for k, v in pin.items() if k != "media_source"}
        return jsonify({**shown, "is_owner": True, "is_standard": True}), 201

    return app


def _too_long(body: dict) -> str | None:
    for name, limit in (
        ("title", TITLE_LIMIT),
        ("description", DESCRIPTION_LIMIT),
        ("alt_text", ALT_TEXT_LIMIT),
        ("link", LINK_LIMIT),
    ):
        value = body.get(name) or ""
        if len(value) > limit:
            return f"'{name}' value is too long (maximum length is {limit})"
    return None


def _validate(state: State, body: dict):
    board = next((b for b in state.boards if b["id"] == body.get("board_id")), None)
    if board is None:
        return error(404, 40, BOARD_NOT_FOUND)
    section = body.get("board_section_id")
    if section is not None and section not in board.get("sections", []):
        return error(404, 2031, "Sorry! We couldn't find this board section.")
    problem = _too_long(body)
    if problem:
        return error(400, 1, problem)
    return _check_media(state, body.get("media_source") or {})


def _image_problem(item: dict) -> str | None:
    if item.get("content_type") not in CONTENT_TYPES:
        return "'content_type' value must be one of: image/jpeg, image/png"
    try:
        base64.b64decode(item.get("data") or "", validate=True)
    except (binascii.Error, ValueError):
        return "'data' value must match the pattern: ^[a-zA-Z0-9+/=]+$"
    return None


def _check_media(state: State, source: dict):
    kind = source.get("source_type")
    if kind == "image_base64":
        problem = _image_problem(source)
        return error(400, 1, problem) if problem else None
    if kind == "multiple_image_base64":
        items = source.get("items") or []
        if not 2 <= len(items) <= 5:
            return error(400, 1, "'items' must contain between 2 and 5 images")
        problems = [p for p in map(_image_problem, items) if p]
        if problems:
            return error(400, 1, problems[0])
        sizes = {png_size(base64.b64decode(i["data"])) for i in items} - {None}
        ratios = {round(w / h, 2) for w, h in sizes}
        if len(ratios) > 1:
            return error(400, 1, "Carousel images must all have the same aspect ratio.")
        return None
    if kind == "video_id":
        media = state.media.get(str(source.get("media_id")))
        if media is None or media.get("status") != "succeeded":
            return error(400, 1, "The video upload is not ready: 'media_id' has not succeeded.")
        if not (source.get("cover_image_url") or "cover_image_key_frame_time" in source):
            return error(400, 1, "A video pin needs a cover image.")
        return None
    return error(400, 1, "'source_type' value is not supported.")
