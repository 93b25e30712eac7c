"""The YouTube Data API v3, as far as crossposting sees it: channels.list (`mine`), video
uploads by the resumable protocol (a session URI in `Location`; chunks `PUT` with
`Content-Range`, each but the last a multiple of 256 KiB; `308 Resume Incomplete` with
`Range: bytes=0-N`; the video resource once complete; 404 once a session expired),
videos.list with `status` and `processingDetails` that take several polls, commentThreads,
and Google's OAuth token endpoint (served at `/token` here). Errors are Google's:
`{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`.

An upload session's `PUT`s are not checked for a token: the `upload_id` in the session
URI is what authorises them.
"""

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request

from platform_servers import drop_connection, recorded

CHUNK_UNIT = 256 * 1024
TITLE_CHARACTERS = 100
DESCRIPTION_BYTES = 5000
TAGS_CHARACTERS = 500
PRIVACY = ("public", "unlisted", "private")
CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28"}
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
_CONTENT_RANGE = re.compile(r"^bytes (?:\*|(\d+)-(\d+))/(\d+)$")
QUOTA = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
COMMENTS_DISABLED = "The video identified by the videoId parameter has disabled comments."
INVALID_TITLE = "The request metadata specifies an invalid or empty video title."
INVALID_TAGS = "The request metadata specifies invalid video keywords."
INVALID_DESCRIPTION = "The request metadata specifies an invalid video description."
UPLOAD_LIMIT = "The user has exceeded the number of videos they may upload."
REVOKED = "Token has been expired or revoked."


@dataclass
class State:
    client_id: str = "1234-abcd.apps.googleusercontent.com"
    client_secret: str = "GOCSPX-not-a-secret"
    refresh_token: str = "1//0refresh-alice"
    access_tokens: set[str] = field(default_factory=lambda: {"ya29.first"})
    channel: dict | None = field(
        default_factory=lambda: {
            "id": "UCa1iceGardens0000000000",
            "title": "Alice Gardens",
            "customUrl": "@alicegardens",
        }
    )
    sessions: dict[str, dict] = field(default_factory=dict)  # upload_id -> session
    videos: dict[str, dict] = field(default_factory=dict)
    threads: list[dict] = field(default_factory=list)  # comment threads, oldest first
    requests: list[dict] = field(default_factory=list)  # method, path, headers and body
    chunks: int = 0  # chunk PUTs taken (status queries aside)
    expire_token: bool = False  # the access tokens expire now
    revoke_refresh: bool = False  # the refresh token was revoked: invalid_grant
    quota_exceeded: bool = False  # the project's daily quota is spent
    rate_limited: bool = False
    upload_limit: bool = False  # the channel's daily upload cap is reached
    processing_polls: int = 2  # a video is processed at its Nth videos.list
    processing_result: str = "succeeded"  # or "failed", "rejected"
    time_left_ms_per_poll: int = 45000
    drop_chunk: int | None = None  # the Nth chunk keeps half its bytes, then the line drops
    slow_chunk_seconds: float = 0.0  # a chunk is kept, then its answer waits this long
    drop_completion: bool = False  # the last chunk completes the video, then the line drops
    comments_disabled: bool = False
    drop_comment_answer: bool = False  # the comment is stored, then the line drops
    # Run as an upload session is opened, before the answer (a test stalls the worker there).
    on_session_start: Callable[[], None] | None = None
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def expire_sessions(self) -> None:
        """A week went by: the sessions open now answer 404 from here on."""
        for session in self.sessions.values():
            session["expired"] = True


def _error(code: int, reason: str, message: str, domain: str = "youtube.video", **extra):
    detail = {"message": message, "domain": domain, "reason": reason, **extra}
    body = {"code": code, "message": message, "errors": [detail]}
    if code in _STATUS:
        body["status"] = _STATUS[code]
    response = jsonify(error=body)
    response.status_code = code
    return response


def _oauth_error(code: int, error: str, description: str):
    response = jsonify(error=error, error_description=description)
    response.status_code = code
    return response


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""


def _tags_length(tags: list) -> int:
    """YouTube's count: commas between tags, and a tag with a space as if quoted."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def _allowed(value, limit: int, size=len) -> bool:
    """Text YouTube takes in a title, description or tag: within its limit, no `<` or `>`."""
    return isinstance(value, str) and size(value) <= limit and not ("<" in value or ">" in value)


def _validate(metadata) -> Response | None:
    snippet = metadata.get("snippet") if isinstance(metadata, dict) else None
    snippet = snippet if isinstance(snippet, dict) else {}
    title, tags = snippet.get("title"), snippet.get("tags", [])
    if not _allowed(title, TITLE_CHARACTERS) or not title.strip():
        return _error(400, "invalidTitle", INVALID_TITLE)
    if not _allowed(snippet.get("description", ""), DESCRIPTION_BYTES, lambda t: len(t.encode())):
        return _error(400, "invalidDescription", INVALID_DESCRIPTION)
    if not isinstance(tags, list) or not all(_allowed(t, TAGS_CHARACTERS) for t in tags):
        return _error(400, "invalidTags", INVALID_TAGS)
    if _tags_length(tags) > TAGS_CHARACTERS:
        return _error(400, "invalidTags", INVALID_TAGS)
    if "categoryId" in snippet and snippet["categoryId"] not in CATEGORIES:
        return _error(
            400,
            "invalidCategoryId",
            "The snippet.categoryId property specifies an invalid category ID. Use the "
            "videoCategories.list method to retrieve supported categories.",
        )
    status = metadata.get("status") or {}
    kids = status.get("selfDeclaredMadeForKids", False)
    if status.get("privacyStatus", "public") not in PRIVACY or not isinstance(kids, bool):
        return _error(400, "invalidVideoMetadata", "The request metadata is invalid.")
    return None


def _processing(state: State, video: dict) -> dict:
    """The `status` and `processingDetails` parts as YouTube shows them to the owner."""
    status = {
        "uploadStatus": "uploaded",
        "privacyStatus": video["privacy"],
        "license": "youtube",
        "embeddable": True,
        "publicStatsViewable": True,
    }
    if video["made_for_kids"] is not None:
        status["selfDeclaredMadeForKids"] = video["made_for_kids"]
        status["madeForKids"] = video["made_for_kids"]
    details: dict = {"processingStatus": "processing"}
    left = video["polls_left"]
    if left > 0:
        details["processingProgress"] = {
            "partsTotal": "1000",
            "partsProcessed": str(1000 // (left + 1)),
            "timeLeftMs": str(left * state.time_left_ms_per_poll),
        }
    elif video["result"] == "succeeded":
        status["uploadStatus"] = "processed"
        details["processingStatus"] = "succeeded"
    elif video["result"] == "failed":
        status.update(uploadStatus="failed", failureReason="codec")
        details.update(processingStatus="failed", processingFailureReason="transcodeFailed")
    else:
        status.update(uploadStatus="rejected", rejectionReason="duplicate")
        details["processingStatus"] = "succeeded"
    return {"status": status, "processingDetails": details}


def _video_json(state: State, video: dict, parts: set[str]) -> dict:
    resource = {"kind": "youtube#video", "etag": f"etag-{video['id']}", "id": video["id"]}
    if "snippet" in parts:
        resource["snippet"] = video["snippet"]
    shown = _processing(state, video)
    for part in ("status", "processingDetails"):
        if part in parts:
            resource[part] = shown[part]
    return resource


def _thread_json(thread: dict, channel: dict) -> dict:
    comment = {
        "kind": "youtube#comment",
        "etag": f"etag-{thread['id']}",
        "id": thread["id"],
        "snippet": {
            "channelId": channel["id"],
            "videoId": thread["videoId"],
            "textDisplay": thread["text"],
            "textOriginal": thread["text"],
            "authorDisplayName": channel["customUrl"],
            "authorChannelId": {"value": channel["id"]},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": thread["publishedAt"],
            "updatedAt": thread["publishedAt"],
        },
    }
    return {
        "kind": "youtube#commentThread",
        "etag": f"etag-thread-{thread['id']}",
        "id": thread["id"],
        "snippet": {
            "channelId": channel["id"],
            "videoId": thread["videoId"],
            "topLevelComment": comment,
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        state.requests.append(recorded())
        if request.path == "/token" or request.method == "PUT":
            return None
        if state.expire_token:
            state.access_tokens.clear()
            state.expire_token = False
        if _bearer() not in state.access_tokens:
            response = _error(
                401,
                "authError",
                UNAUTHENTICATED,
                domain="global",
                location="Authorization",
                locationType="header",
            )
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            return response
        if state.quota_exceeded:
            return _error(403, "quotaExceeded", QUOTA, domain="youtube.quota")
        if state.rate_limited:
            return _error(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")
        return None

    @app.post("/token")
    def token():
        form = request.form
        if form.get("grant_type") != "refresh_token":
            grant = form.get("grant_type")
            return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        if (form.get("client_id"), form.get("client_secret")) != (
            state.client_id,
            state.client_secret,
        ):
            return _oauth_error(401, "invalid_client", "Unauthorized")
        if state.revoke_refresh or form.get("refresh_token") != state.refresh_token:
            return _oauth_error(400, "invalid_grant", REVOKED)
        access = f"ya29.refreshed-{next(state.ids)}"
        state.access_tokens.add(access)
        return jsonify(
            access_token=access,
            expires_in=3599,
            scope="https://www.googleapis.com/auth/youtube.upload "
            "https://www.googleapis.com/auth/youtube.force-ssl",
            token_type="Bearer",
        )

    @app.get("/youtube/v3/channels")
    def channels():
        if request.args.get("mine") != "true" or not request.args.get("part"):
            return _error(
                400, "missingRequiredParameter", "No filter selected.", domain="youtube.parameter"
            )
        listing = {"kind": "youtube#channelListResponse", "etag": "etag-channels"}
        if state.channel is None:  # Google leaves `items` out when there are none
            return jsonify({**listing, "pageInfo": {"totalResults": 0, "resultsPerPage": 5}})
        channel = {
            "kind": "youtube#channel",
            "etag": "etag-channel",
            "id": state.channel["id"],
            "snippet": {
                "title": state.channel["title"],
                "description": "",
                "customUrl": state.channel["customUrl"],
                "publishedAt": "2019-04-01T10:00:00Z",
            },
        }
        return jsonify(
            {**listing, "pageInfo": {"totalResults": 1, "resultsPerPage": 5}, "items": [channel]}
        )

    @app.post("/upload/youtube/v3/videos")
    def start_upload():
        if request.args.get("uploadType") != "resumable":
            return _error(400, "invalidUploadType", "Invalid upload type.", domain="global")
        parts = set(filter(None, request.args.get("part", "").split(",")))
        length = request.headers.get("X-Upload-Content-Length", "")
        kind = request.headers.get("X-Upload-Content-Type", "")
        if not parts or not length.isdigit():
            return _error(400, "required", "Required parameter: part", domain="global")
        if not (kind.startswith("video/") or kind == "application/octet-stream"):
            return _error(
                400,
                "badContent",
                f"Media type '{kind}' is not supported. "
                "Valid media types: [video/*, application/octet-stream]",
                domain="global",
            )
        if state.upload_limit:
            return _error(400, "uploadLimitExceeded", UPLOAD_LIMIT)
        metadata = request.get_json(silent=True)
        refusal = _validate(metadata)
        if refusal is not None:
            return refusal
        upload_id = f"ABPtcPp{next(state.ids):06d}"
        if state.on_session_start is not None:
            state.on_session_start()
        state.sessions[upload_id] = {
            "metadata": metadata,
            "parts": parts,
            "total": int(length),
            "mime_type": kind,
            "data": bytearray(),
            "video_id": None,
            "expired": False,
        }
        response = Response(status=200)
        response.headers["Location"] = (
            f"{request.host_url}upload/youtube/v3/videos?uploadType=resumable"
            f"&part={','.join(sorted(parts))}&upload_id={upload_id}"
        )
        response.headers["X-GUploader-UploadID"] = upload_id
        return response

    def held(session: dict):
        """A status answer: the video once complete, else 308 with what arrived."""
        if session["video_id"]:
            video = state.videos[session["video_id"]]
            return jsonify(_video_json(state, video, session["parts"]))
        response = Response(status="308 Resume Incomplete")
        if session["data"]:
            response.headers["Range"] = f"bytes=0-{len(session['data']) - 1}"
        return response

    @app.put("/upload/youtube/v3/videos")
    def upload_bytes():
        session = state.sessions.get(request.args.get("upload_id", ""))
        if session is None or session["expired"]:
            return _error(404, "notFound", "Not Found", domain="global")
        match = _CONTENT_RANGE.match(request.headers.get("Content-Range", ""))
        body = request.get_data()
        if match is None or int(match.group(3)) != session["total"]:
            return _error(
                400, "badRequest", "Failed to parse Content-Range header.", domain="global"
            )
        if match.group(1) is None:  # bytes */total: where is the upload?
            if body:
                return _error(400, "badRequest", "A status query has no body.", domain="global")
            return held(session)
        if session["video_id"]:
            return held(session)
        start, end = int(match.group(1)), int(match.group(2))
        final = end + 1 == session["total"]
        if start != len(session["data"]) or end - start + 1 != len(body) or end >= session["total"]:
            return _error(400, "badRequest", "Invalid Content-Range.", domain="global")
        if not final and len(body) % CHUNK_UNIT:
            return _error(
                400,
                "badRequest",
                "Invalid request. The number of bytes uploaded is required to be a multiple "
                "of 262144 bytes, except for the final request.",
                domain="global",
            )
        state.chunks += 1
        if state.drop_chunk == state.chunks:
            session["data"] += body[: len(body) // 2]
            return drop_connection()
        session["data"] += body
        if state.slow_chunk_seconds:
            time.sleep(state.slow_chunk_seconds)
        if not final:
            return held(session)
        video = complete(session)
        if state.drop_completion:
            return drop_connection()
        return jsonify(_video_json(state, video, session["parts"])), 201

    def complete(session: dict) -> dict:
        metadata = session["metadata"]
        status = metadata.get("status") or {}
        video_id = f"vid{next(state.ids):08d}"
        video = {
            "id": video_id,
            "data": bytes(session["data"]),
            "mime_type": session["mime_type"],
            "snippet": {
                "publishedAt": _now(),
                "channelId": state.channel["id"],
                "channelTitle": state.channel["title"],
                "categoryId": "22",
                "liveBroadcastContent": "none",
                **metadata["snippet"],
            },
            "privacy": status.get("privacyStatus", "public"),
            "made_for_kids": status.get("selfDeclaredMadeForKids"),
            "polls_left": state.processing_polls,
            "result": state.processing_result,
        }
        state.videos[video_id] = video
        session["video_id"] = video_id
        return video

    @app.get("/youtube/v3/videos")
    def list_videos():
        parts = set(filter(None, request.args.get("part", "").split(",")))
        if not parts:
            return _error(400, "required", "Required parameter: part", domain="global")
        items = []
        for video_id in request.args.get("id", "").split(","):
            video = state.videos.get(video_id)
            if video is None:
                continue
            video["polls_left"] = max(0, video["polls_left"] - 1)
            items.append(_video_json(state, video, parts))
        return jsonify(
            kind="youtube#videoListResponse",
            etag="etag-videos",
            items=items,
            pageInfo={"totalResults": len(items), "resultsPerPage": len(items)},
        )

    @app.post("/youtube/v3/commentThreads")
    def insert_thread():
        body = request.get_json(silent=True) or {}
        snippet = body.get("snippet") or {}
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal")
        if request.args.get("part") != "snippet":
            return _error(400, "required", "Required parameter: part", domain="global")
        if snippet.get("videoId") not in state.videos:
            return _error(
                404,
                "videoNotFound",
                "The video identified by the videoId parameter could not be found.",
                domain="youtube.commentThread",
            )
        if state.comments_disabled:
            return _error(
                403, "commentsDisabled", COMMENTS_DISABLED, domain="youtube.commentThread"
            )
        if not isinstance(text, str) or not text.strip():
            return _error(400, "invalidCommentMetadata", "The request metadata is invalid.")
        thread = {
            "id": f"Ugz{next(state.ids):010d}",
            "videoId": snippet["videoId"],
            "text": text,
            "publishedAt": _now(),
        }
        state.threads.append(thread)
        if state.drop_comment_answer:
            return drop_connection()
        return jsonify(_thread_json(thread, state.channel))

    @app.get("/youtube/v3/commentThreads")
    def list_threads():
        video_id = request.args.get("videoId")
        newest = [t for t in reversed(state.threads) if t["videoId"] == video_id]
        limit = int(request.args.get("maxResults", "20"))
        items = [_thread_json(t, state.channel) for t in newest[:limit]]
        return jsonify(kind="youtube#commentThreadListResponse", etag="etag-threads", items=items)

    return app
