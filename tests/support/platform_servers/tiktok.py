"""TikTok's Content Posting API (direct post), as far as crossposting sees it: user info,
OAuth refresh (client key and secret in the form), creator_info, video init with
FILE_UPLOAD and its chunk rules, the upload URL (served here too) checking each chunk's
Content-Range, type and size in order, photo init with PULL_FROM_URL from verified URL
prefixes only, and a status that takes polls before PUBLISH_COMPLETE.

Errors are TikTok's `{"data": {}, "error": {"code", "message", "log_id"}}` with its HTTP
statuses (OAuth errors are `{"error", "error_description", "log_id"}`); TikTok documents
per-minute limits but no rate-limit headers, so a 429 carries none.
"""

import itertools
import re
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from platform_servers import recorded

MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
CAPTION_LIMIT, PHOTO_TITLE_LIMIT, PHOTO_DESCRIPTION_LIMIT, MAX_PHOTOS = 2200, 90, 4000, 35
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm"}
INVALID_TOKEN = "The access token is invalid or not found in the request."
RATE_LIMITED = "API rate limit exceeded, please retry later."
INVALID_GRANT = "Refresh token is invalid or expired."
UNVERIFIED_URL = (
    "Please review our URL ownership verification rules at "
    "https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide#pull_from_url"
)
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_log_ids = itertools.count(202412010000000001)


@dataclass
class State:
    client_key: str = "awz1kq3e8x2tiktok"
    client_secret: str = "tiktok-secret"
    access_tokens: set[str] = field(default_factory=lambda: {"act.0"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"rft.0"})
    user: dict = field(
        default_factory=lambda: {
            "open_id": "-000OR7bT1sd4ARoC_tbpVVdxqqcKRFgUGtx",
            "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
            "display_name": "Alice Gardens",
            "username": "alice.gardens",
            "avatar_url": "https://p16.tiktokcdn.example/alice.jpeg",
        }
    )
    creator: dict = field(
        default_factory=lambda: {
            "creator_avatar_url": "https://p16.tiktokcdn.example/alice.jpeg",
            "creator_username": "alice.gardens",
            "creator_nickname": "Alice Gardens",
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 300,
        }
    )
    verified_prefixes: list[str] = field(default_factory=lambda: ["https://blog.example/"])
    publishes: dict[str, dict] = field(default_factory=dict)  # every init that made a post
    chunks: list[dict] = field(default_factory=list)  # every PUT to an upload URL
    requests: list[dict] = field(default_factory=list)  # the API calls (not the chunks)
    # Switches the tests flip.
    rate_limited: bool = False
    expire_token: bool = False  # the access tokens issued so far expire now
    revoke_refresh: bool = False
    processing_polls: int = 0  # status polls that still answer PROCESSING_* once uploaded
    fail_reason: str | None = None  # processing ends FAILED with this reason
    slow_init_seconds: float = 0.0  # init makes the post, then waits this long to answer
    fail_next_init: int | None = None  # answer the next init with this status, unstored
    slow_chunk: int | None = None  # this chunk is stored, then the answer waits 3 s
    ids: itertools.count = field(default_factory=lambda: itertools.count(7_301_000_000_000_000_001))
    tokens: itertools.count = field(default_factory=lambda: itertools.count(1))


def _log_id() -> str:
    return str(next(_log_ids))


def api_error(status: int, code: str, message: str):
    response = jsonify(data={}, error={"code": code, "message": message, "log_id": _log_id()})
    response.status_code = status
    return response


def _ok(data: dict):
    return jsonify(data=data, error={"code": "ok", "message": "", "log_id": _log_id()})


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chunk_rules(source: dict) -> str | None:
    """TikTok's media transfer rules, or what breaks them."""
    try:
        size, chunk, count = (
            int(source[k]) for k in ("video_size", "chunk_size", "total_chunk_count")
        )
    except (KeyError, TypeError, ValueError):
        return "video_size, chunk_size and total_chunk_count are required for FILE_UPLOAD"
    if size <= 0 or not 1 <= count <= MAX_CHUNKS or count != size // chunk:
        return "total_chunk_count must be video_size divided by chunk_size, rounded down"
    if size < MIN_CHUNK and (chunk, count) != (size, 1):
        return "a video under 5 MB must be uploaded whole"
    if size >= MIN_CHUNK and not MIN_CHUNK <= chunk <= MAX_CHUNK:
        return "chunk_size must be between 5 MB and 64 MB"
    if size > MAX_CHUNK and count == 1:
        return "a video over 64 MB must be uploaded in chunks"
    if size - (count - 1) * chunk > MAX_LAST_CHUNK:
        return "the final chunk may be at most 128 MB"
    return None


def _privacy_problem(state: State, info: dict):
    if info.get("privacy_level") not in state.creator["privacy_level_options"]:
        return api_error(
            400,
            "privacy_level_option_mismatch",
            "privacy_level is not one of the creator's privacy_level_options",
        )
    return None


def _new_publish(state: State, kind: str, body: dict, prefix: str) -> dict:
    publish = {
        "publish_id": f"{prefix}~v2-1.{next(state.ids)}",
        "upload_id": str(next(state.ids)),
        "kind": kind,
        "post_info": body.get("post_info") or {},
        "source_info": body.get("source_info") or {},
        "received": 0,
        "data": bytearray(),
        "status": "PROCESSING_UPLOAD" if kind == "video" else "PROCESSING_DOWNLOAD",
        "complete": kind == "photo",
        "polls_left": state.processing_polls,
    }
    state.publishes[publish["publish_id"]] = publish
    return publish


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        if request.path == "/upload/":
            return None
        state.requests.append(recorded())
        if state.rate_limited:
            return api_error(429, "rate_limit_exceeded", RATE_LIMITED)
        if request.path == "/v2/oauth/token/":
            return None
        if state.expire_token:
            state.access_tokens.clear()
            state.expire_token = False
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.access_tokens:
            return api_error(401, "access_token_invalid", INVALID_TOKEN)
        return None

    @app.post("/v2/oauth/token/")
    def token():
        form = request.form
        if (form.get("client_key"), form.get("client_secret")) != (
            state.client_key,
            state.client_secret,
        ):
            return jsonify(
                error="invalid_client",
                error_description="Client key or secret is incorrect.",
                log_id=_log_id(),
            ), 401
        if form.get("grant_type") != "refresh_token":
            return jsonify(
                error="unsupported_grant_type",
                error_description="The grant type is not supported.",
                log_id=_log_id(),
            ), 400
        refresh = form.get("refresh_token")
        if state.revoke_refresh or refresh not in state.refresh_tokens:
            return jsonify(
                error="invalid_grant", error_description=INVALID_GRANT, log_id=_log_id()
            ), 400
        state.refresh_tokens.discard(refresh)
        number = next(state.tokens)
        access, refresh = f"act.{number}", f"rft.{number}"
        state.access_tokens.add(access)
        state.refresh_tokens.add(refresh)
        return jsonify(
            access_token=access,
            expires_in=86400,
            open_id=state.user["open_id"],
            refresh_expires_in=31536000,
            refresh_token=refresh,
            scope="user.info.basic,user.info.profile,video.publish",
            token_type="Bearer",
        )

    @app.get("/v2/user/info/")
    def user_info():
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        if not fields:
            return api_error(400, "invalid_params", "fields is required")
        return _ok({"user": {f: state.user[f] for f in fields if f in state.user}})

    @app.post("/v2/post/publish/creator_info/query/")
    def creator_info():
        return _ok(state.creator)

    @app.post("/v2/post/publish/video/init/")
    def video_init():
        if state.fail_next_init is not None:
            status, state.fail_next_init = state.fail_next_init, None
            if status == 429:
                return api_error(429, "rate_limit_exceeded", RATE_LIMITED)
            return api_error(status, "internal_error", "Something went wrong.")
        body = request.get_json(silent=True) or {}
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        refusal = _privacy_problem(state, info)
        if refusal is not None:
            return refusal
        if _utf16(info.get("title") or "") > CAPTION_LIMIT:
            return api_error(400, "invalid_params", "title is longer than 2200 UTF-16 runes")
        if source.get("source") != "FILE_UPLOAD":
            return api_error(400, "invalid_params", "source must be FILE_UPLOAD or PULL_FROM_URL")
        problem = _chunk_rules(source)
        if problem:
            return api_error(400, "invalid_params", problem)
        publish = _new_publish(state, "video", body, "v_pub_file")
        time.sleep(state.slow_init_seconds)
        upload_url = (
            f"{request.host_url}upload/?upload_id={publish['upload_id']}"
            f"&upload_token=tok{publish['upload_id']}"
        )
        return _ok({"publish_id": publish["publish_id"], "upload_url": upload_url})

    @app.put("/upload/")
    def upload():
        publish = next(
            (
                p
                for p in state.publishes.values()
                if p["upload_id"] == request.args.get("upload_id")
            ),
            None,
        )
        if publish is None or request.args.get("upload_token") != f"tok{publish['upload_id']}":
            return "", 404
        data = request.get_data()
        state.chunks.append({"headers": dict(request.headers), "size": len(data)})
        refusal = _chunk_problem(publish, data)
        if refusal is not None:
            return "", refusal
        index = publish["received"] // publish["source_info"]["chunk_size"]
        publish["data"] += data
        publish["received"] += len(data)
        finished = publish["received"] == publish["source_info"]["video_size"]
        publish["complete"] = finished
        if state.slow_chunk == index:
            state.slow_chunk = None
            time.sleep(3)
        return "", 201 if finished else 206

    @app.post("/v2/post/publish/content/init/")
    def content_init():
        body = request.get_json(silent=True) or {}
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        if (body.get("media_type"), body.get("post_mode")) != ("PHOTO", "DIRECT_POST"):
            return api_error(400, "invalid_params", "media_type must be PHOTO")
        refusal = _privacy_problem(state, info)
        if refusal is not None:
            return refusal
        if _utf16(info.get("title") or "") > PHOTO_TITLE_LIMIT:
            return api_error(400, "invalid_params", "title is longer than 90 UTF-16 runes")
        if _utf16(info.get("description") or "") > PHOTO_DESCRIPTION_LIMIT:
            return api_error(400, "invalid_params", "description is longer than 4000 UTF-16 runes")
        images = source.get("photo_images") or []
        if source.get("source") != "PULL_FROM_URL" or not 1 <= len(images) <= MAX_PHOTOS:
            return api_error(400, "invalid_params", "photo_images must hold 1 to 35 URLs")
        if not 0 <= int(source.get("photo_cover_index", -1)) < len(images):
            return api_error(400, "invalid_params", "photo_cover_index is out of range")
        if not all(any(u.startswith(p) for p in state.verified_prefixes) for u in images):
            return api_error(403, "url_ownership_unverified", UNVERIFIED_URL)
        publish = _new_publish(state, "photo", body, "p_pub_url")
        return _ok({"publish_id": publish["publish_id"]})

    @app.post("/v2/post/publish/status/fetch/")
    def status():
        publish = state.publishes.get((request.get_json(silent=True) or {}).get("publish_id"))
        if publish is None:
            return api_error(400, "invalid_publish_id", "publish_id does not exist")
        return _ok(_status_of(state, publish))

    return app


def _chunk_problem(publish: dict, data: bytes) -> int | None:
    """The status TikTok's upload service refuses a chunk with, if it does."""
    source = publish["source_info"]
    size, chunk, count = source["video_size"], source["chunk_size"], source["total_chunk_count"]
    match = _RANGE.match(request.headers.get("Content-Range", ""))
    if match is None or request.headers.get("Content-Type") not in VIDEO_TYPES:
        return 400
    first, last, total = map(int, match.groups())
    if total != size or last - first + 1 != len(data) or publish["complete"]:
        return 400
    if first != publish["received"]:
        return 416  # chunks go in order, each once
    index = first // chunk
    expected = size - first if index == count - 1 else chunk
    return None if len(data) == expected else 400


def _status_of(state: State, publish: dict) -> dict:
    data = {"status": publish["status"], "publicaly_available_post_id": []}
    if publish["kind"] == "video":
        data["uploaded_bytes"] = publish["received"]
    else:
        data["downloaded_bytes"] = 0
    if not publish["complete"] or publish["status"] in ("PUBLISH_COMPLETE", "FAILED"):
        return {**data, **publish.get("result", {})}
    if publish["polls_left"] > 0:
        publish["polls_left"] -= 1
        return data
    if state.fail_reason:
        publish["status"] = "FAILED"
        publish["result"] = {"fail_reason": state.fail_reason}
    else:
        publish["status"] = "PUBLISH_COMPLETE"
        public = publish["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
        publish["result"] = {"publicaly_available_post_id": [next(state.ids)] if public else []}
    return {**data, "status": publish["status"], **publish["result"]}
