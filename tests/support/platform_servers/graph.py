"""Meta's Graph API, as far as crossposting to Instagram and Facebook Pages sees it.

A Facebook user manages Pages (`/me/accounts`, paged, each with its own token and the
user's tasks on it); a Page may have an Instagram professional account linked. Instagram
publishes through media containers that Meta makes by fetching `image_url`/`video_url`
(this server really GETs them, and keeps the bytes), that take `processing_polls` status
reads to finish, and that `media_publish` turns into media, within the 24-hour publishing
limit. Pages take posts on `/feed` (with unpublished photos attached), photos and videos
(fetched from `file_url`, processed over several reads of their status). Every answer has
the `X-Business-Use-Case-Usage` header; errors have Graph's body and codes.

The pieces both of Meta's APIs share (errors, usage header, fetching media, containers,
the publishing limit) are here too, for the Threads server.
"""

import itertools
import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from flask import Flask, jsonify, request

from platform_servers import drop_connection, recorded, running

VERSION = "v21.0"
CAPTION_LIMIT = 2200
CAROUSEL_MAX = 10
MESSAGE_LIMIT = 63206
PHOTO_BYTES = 10 * 1024 * 1024
DAY = 86400
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try "
    "again. For more info, please refer to "
    "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
    "try again. For more info, please refer to "
    "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}
EXPIRED_TOKEN = (
    "Error validating access token: Session has expired on Friday, 01-Nov-24 10:00:00 PDT. "
    "The current time is Saturday, 02-Nov-24 09:00:00 PDT."
)
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG"


@dataclass
class Switches:
    """What both of Meta's test servers let the tests flip."""

    requests: list[dict] = field(default_factory=list)
    usage: int = 3  # percent of the business use case's limit, on every answer
    regain_minutes: int = 0  # estimated_time_to_regain_access
    throttled: int | None = None  # answer every call with this rate-limit error code
    expire_token: bool = False  # error 190, subcode 463
    processing_polls: int = 0  # a video is ready on the status read after this many
    slow_seconds: float = 0.0  # a publishing call stores the post, then waits this long
    fail_comments: bool = False
    quota_total: int = 100
    fetched: list[str] = field(default_factory=list)  # the media URLs Meta downloaded
    ids: itertools.count = field(default_factory=lambda: itertools.count(17900000000000001))

    def new_id(self) -> str:
        return str(next(self.ids))


@dataclass
class State(Switches):
    user_token: str = "fb-user-token"
    user: dict = field(default_factory=lambda: {"id": "10158000000000001", "name": "Alice"})
    pages: list[dict] = field(
        default_factory=lambda: [
            {
                "id": "104000000000001",
                "name": "Alice's Garden",
                "access_token": "page-token-garden",
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                "instagram": {"id": "17841400000000001", "username": "alice.garden"},
            },
            {
                "id": "104000000000002",
                "name": "Seed Library",
                "access_token": "page-token-seeds",
                "tasks": ["ANALYZE"],
                "instagram": {"id": "17841400000000002", "username": "seed.library"},
            },
        ]
    )
    accounts_page_size: int = 25  # /me/accounts answers this many Pages at a time
    containers: dict[str, dict] = field(default_factory=dict)
    media: dict[str, dict] = field(default_factory=dict)  # Instagram media, by id
    posts: dict[str, dict] = field(default_factory=dict)  # Page posts, by id
    photos: dict[str, dict] = field(default_factory=dict)
    videos: dict[str, dict] = field(default_factory=dict)
    comments: list[dict] = field(default_factory=list)
    drop_photo: int | None = None  # the Nth photo is stored, then the line drops

    def page(self, page_id: str) -> dict | None:
        return next((p for p in self.pages if p["id"] == page_id), None)

    def instagram_page(self, ig_id: str) -> dict | None:
        return next((p for p in self.pages if (p["instagram"] or {}).get("id") == ig_id), None)


# ---- shared with the Threads server -------------------------------------------------


def now_stamp(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment or time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def stamp_seconds(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def error(message: str, code: int, status: int = 400, *, subcode: int | None = None, **extra):
    body = {"message": message, "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        body["error_subcode"] = subcode
    body["fbtrace_id"] = secrets.token_urlsafe(8)
    response = jsonify(error=body)
    response.status_code = status
    return response


def usage_header(owner: str, kind: str, state: Switches) -> dict:
    entry = {
        "type": kind,
        "call_count": state.usage,
        "total_cputime": max(1, state.usage // 2),
        "total_time": max(1, state.usage // 2),
        "estimated_time_to_regain_access": state.regain_minutes,
    }
    return {"X-Business-Use-Case-Usage": json.dumps({owner: [entry]})}


def throttled(state: Switches):
    """The refusal of a throttled account, when the test throttles it."""
    if state.throttled is None:
        return None
    state.usage = 100
    return error(RATE_LIMIT_MESSAGES[state.throttled], state.throttled, is_transient=False)


def access_token() -> str:
    return request.values.get("access_token", "")


def params() -> dict:
    return {k: v for k, v in request.values.items() if k != "access_token"}


def fields() -> set[str]:
    return {f.split("{", 1)[0] for f in request.args.get("fields", "").split(",") if f}


def fetch(state: Switches, url: str) -> bytes | None:
    """Meta downloads the media from the URL it is given, as any crawler would."""
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    state.fetched.append(url)
    return response.content if response.status_code == 200 else None


def new_container(state: Switches, owner: str, values: dict, *, video: bool, data: bytes | None):
    return {
        "id": state.new_id(),
        "owner": owner,
        "params": values,
        "data": data,
        "video": video,
        "polls_left": state.processing_polls if video else 0,
        "failed": video and data is None,
        "published": None,
        "expired": False,  # a test sets it: 24 hours passed unpublished
        "created": time.time(),
    }


def container_status(container: dict, *, counting: bool = True) -> str:
    """IN_PROGRESS for the first `polls_left` reads, then FINISHED (or how it ended)."""
    if container["published"]:
        return "PUBLISHED"
    if container["expired"]:
        return "EXPIRED"
    if container["failed"]:
        return "ERROR"
    if container["polls_left"] > 0:
        if counting:
            container["polls_left"] -= 1
        return "IN_PROGRESS"
    return "FINISHED"


def in_window(stamps: list[float], duration: float = DAY) -> int:
    return sum(1 for moment in stamps if moment >= time.time() - duration)


def listing(entries: list[dict], wanted: set[str], time_field: str = "timestamp"):
    """A user's or Page's posts, newest first, since `since`, at most `limit`."""
    since = float(request.args.get("since") or 0)
    limit = int(request.args.get("limit") or 25)
    chosen = sorted(
        (e for e in entries if stamp_seconds(e[time_field]) >= since),
        key=lambda e: e[time_field],
        reverse=True,
    )[:limit]
    return jsonify(data=[{k: v for k, v in e.items() if k in wanted or k == "id"} for e in chosen])


@dataclass
class Hosted:
    """Files at public addresses (our media store, as far as Meta sees it)."""

    url: str
    files: dict[str, tuple[bytes, str]]

    def add(self, name: str, data: bytes, mime_type: str) -> str:
        self.files[name] = (data, mime_type)
        return f"{self.url}/media/{name}"


@contextmanager
def hosting():
    files: dict[str, tuple[bytes, str]] = {}
    app = Flask("media-host")

    @app.get("/media/<name>")
    def file(name):
        if name not in files:
            return "Not found", 404
        data, mime_type = files[name]
        return data, 200, {"Content-Type": mime_type}

    with running(app) as url:
        yield Hosted(url, files)


# ---- Instagram and Facebook Pages ----------------------------------------------------


def _principal(state: State) -> tuple[str, str] | None:
    token = access_token()
    if token == state.user_token:
        return ("user", state.user["id"])
    page = next((p for p in state.pages if p["access_token"] == token), None)
    return ("page", page["id"]) if page else None


def _can_use_instagram(state: State, who: tuple[str, str], ig_id: str) -> bool:
    page = state.instagram_page(ig_id)
    return page is not None and (who[0] == "user" or who[1] == page["id"])


def create(state: State) -> Flask:
    app = Flask(__name__)
    base = f"/{VERSION}"

    @app.before_request
    def gate():
        state.requests.append({**recorded(), "values": request.values.to_dict()})
        if state.expire_token:
            return error(EXPIRED_TOKEN, 190, subcode=463)
        if _principal(state) is None:
            return error("Invalid OAuth access token - Cannot parse access token", 190)
        return throttled(state)

    @app.after_request
    def usage(response):
        who = _principal(state)
        if who is not None:
            node = (request.view_args or {}).get("node", "")
            instagram = state.instagram_page(node) or node in state.containers | state.media
            response.headers.update(
                usage_header(who[1], "instagram" if instagram else "pages", state)
            )
        return response

    @app.get(f"{base}/<node>")
    def read(node):
        who = _principal(state)
        wanted = fields()
        if node in state.containers:
            found = state.containers[node]
            status = container_status(found)
            return jsonify(id=node, status_code=status, status=_container_words(status))
        if node in state.media:
            return jsonify({k: v for k, v in state.media[node].items() if k in wanted | {"id"}})
        if node in state.videos:
            return jsonify(_video_json(state, state.videos[node], wanted))
        if node in state.posts:
            return jsonify({k: v for k, v in state.posts[node].items() if k in wanted | {"id"}})
        if node == "me":
            return jsonify(id=who[1], name=state.user["name"] if who[0] == "user" else "")
        return _unsupported(node)

    @app.get(f"{base}/me/accounts")
    def accounts():
        if _principal(state)[0] != "user":
            return error(
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)", 100
            )
        return _accounts(state)

    @app.get(f"{base}/<node>/<edge>")
    def read_edge(node, edge):
        who = _principal(state)
        if state.instagram_page(node) is not None:
            if not _can_use_instagram(state, who, node):
                return _no_permission()
            return _instagram_read(state, node, edge)
        if state.page(node) is not None and edge in ("feed", "videos"):
            entries = state.posts.values() if edge == "feed" else state.videos.values()
            return listing([e for e in entries if e["page"] == node], fields(), "created_time")
        return _unsupported(node)

    @app.post(f"{base}/<node>/<edge>")
    def write_edge(node, edge):
        who = _principal(state)
        values = params()
        if edge == "comments":
            return _comment(state, node, values)
        if state.instagram_page(node) is not None:
            if not _can_use_instagram(state, who, node):
                return _no_permission()
            if edge == "media":
                return _instagram_container(state, node, values)
            if edge == "media_publish":
                return _instagram_publish(state, node, values)
        page = state.page(node)
        if page is not None and edge in ("feed", "photos", "videos"):
            if who != ("page", node):
                return error(
                    "(#200) If posting to a page, requires both pages_read_engagement and "
                    "pages_manage_posts as an admin with sufficient administrative permission",
                    200,
                )
            return {"feed": _feed, "photos": _photo, "videos": _video}[edge](state, node, values)
        return _unsupported(node)

    return app


def _unsupported(node: str):
    return error(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        100,
        subcode=33,
    )


def _no_permission():
    return error("(#10) Application does not have permission for this action", 10)


def _accounts(state: State):
    wanted = request.args.get("fields", "")
    size = min(int(request.args.get("limit") or 25), state.accounts_page_size)
    start = int(request.args.get("after") or 0)
    chosen = state.pages[start : start + size]
    data = []
    for page in chosen:
        entry = {k: page[k] for k in ("id", "name", "access_token", "tasks") if k in wanted}
        entry["id"] = page["id"]
        if "instagram_business_account" in wanted and page["instagram"]:
            entry["instagram_business_account"] = dict(page["instagram"])
        data.append(entry)
    paging = {"cursors": {"before": str(start), "after": str(start + len(chosen))}}
    if start + size < len(state.pages):
        paging["next"] = f"{request.base_url}?after={start + size}&limit={size}"
    return jsonify(data=data, paging=paging)


def _container_words(status: str) -> str:
    return {
        "IN_PROGRESS": "In Progress: Media is still being processed.",
        "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
        "PUBLISHED": "Published: Media has been published.",
        "EXPIRED": "Expired: Media was not published within 24 hours.",
        "ERROR": "Error: Media download has failed. The media URI doesn't meet our "
        "requirements. (2207052)",
    }[status]


def _instagram_read(state: State, ig_id: str, edge: str):
    if edge == "content_publishing_limit":
        used = in_window([m["created"] for m in state.media.values() if m["owner"] == ig_id])
        entry = {"quota_usage": used}
        if "config" in fields():
            entry["config"] = {"quota_total": state.quota_total, "quota_duration": DAY}
        return jsonify(data=[entry])
    if edge in ("media", "stories"):
        stories = edge == "stories"
        mine = [
            m
            for m in state.media.values()
            if m["owner"] == ig_id and (m["media_type"] == "STORY") == stories
        ]
        return listing(mine, fields())
    return _unsupported(ig_id)


def _instagram_container(state: State, ig_id: str, values: dict):
    caption = values.get("caption", "")
    if len(caption) > CAPTION_LIMIT:
        return error(
            f"(#100) The caption is too long: it may be at most {CAPTION_LIMIT} characters.", 100
        )
    kind = values.get("media_type", "")
    if kind == "CAROUSEL":
        children = [c for c in values.get("children", "").split(",") if c]
        if not 2 <= len(children) <= CAROUSEL_MAX:
            return error(
                f"(#100) The carousel must have between 2 and {CAROUSEL_MAX} children.", 100
            )
        for child in children:
            found = state.containers.get(child)
            if (
                found is None
                or found["owner"] != ig_id
                or found["params"].get("is_carousel_item") != "true"
            ):
                return error(f"(#100) The parameter children has an invalid id: {child}.", 100)
            if container_status(found, counting=False) != "FINISHED":
                return error("Media ID is not available", 9007, subcode=2207027)
        container = new_container(state, ig_id, values, video=False, data=b"")
    elif kind in ("REELS", "VIDEO", "STORIES") and values.get("video_url"):
        data = fetch(state, values["video_url"])
        container = new_container(state, ig_id, values, video=True, data=data)
    elif values.get("image_url"):
        data = fetch(state, values["image_url"])
        if data is None:
            return error(
                "Media download has failed. The media URI doesn't meet our requirements.",
                9004,
                subcode=2207052,
            )
        if not data.startswith(JPEG):
            return error("The image format is not supported. Only JPEG images are.", 9004)
        container = new_container(state, ig_id, values, video=False, data=data)
    else:
        return error("(#100) The parameter image_url or video_url is required.", 100)
    state.containers[container["id"]] = container
    return jsonify(id=container["id"])


def _instagram_publish(state: State, ig_id: str, values: dict):
    container = state.containers.get(values.get("creation_id", ""))
    if container is None or container["owner"] != ig_id:
        return error("(#100) The parameter creation_id is invalid.", 100)
    status = container_status(container, counting=False)
    if status == "IN_PROGRESS":
        return error("Media ID is not available", 9007, subcode=2207027)
    if status != "FINISHED":
        return error(f"(#100) This container can't be published: it is {status}.", 100)
    used = in_window([m["created"] for m in state.media.values() if m["owner"] == ig_id])
    if used >= state.quota_total:
        return error("Application request limit reached", 9, subcode=2207042)
    values = container["params"]
    kind = values.get("media_type") or "IMAGE"
    media_type = {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO", "STORIES": "STORY"}.get(
        kind, kind
    )
    media_id = state.new_id()
    username = state.instagram_page(ig_id)["instagram"]["username"]
    path = {"REELS": "reel", "STORIES": f"stories/{username}"}.get(kind, "p")
    state.media[media_id] = {
        "id": media_id,
        "owner": ig_id,
        "caption": values.get("caption", ""),
        "media_type": media_type,
        "container": container["id"],
        "permalink": f"https://www.instagram.com/{path}/C{media_id[-9:]}/",
        "timestamp": now_stamp(),
        "created": time.time(),
    }
    container["published"] = media_id
    time.sleep(state.slow_seconds)
    return jsonify(id=media_id)


def _comment(state: State, node: str, values: dict):
    if node not in state.media and node not in state.posts and node not in state.videos:
        return _unsupported(node)
    if state.fail_comments:
        return error("(#100) Comments are turned off for this post.", 100)
    comment = {"id": f"{node}_{state.new_id()}", "on": node, "message": values.get("message", "")}
    state.comments.append(comment)
    return jsonify(id=comment["id"])


def _post_json(state: State, page: str, **values) -> dict:
    number = state.new_id()
    post = {
        "id": f"{page}_{number}",
        "page": page,
        "created_time": now_stamp(),
        "permalink_url": f"https://www.facebook.com/{page}/posts/{number}",
        **values,
    }
    state.posts[post["id"]] = post
    return post


def _feed(state: State, page: str, values: dict):
    message = values.get("message", "")
    if len(message) > MESSAGE_LIMIT:
        return error(f"(#100) Param message must be at most {MESSAGE_LIMIT} characters long.", 100)
    attached = []
    index = 0
    while f"attached_media[{index}]" in values:
        fbid = json.loads(values[f"attached_media[{index}]"]).get("media_fbid")
        photo = state.photos.get(str(fbid))
        if photo is None or photo["page"] != page or photo["published"]:
            return error(f"(#100) param attached_media[{index}] has an unusable photo id.", 100)
        attached.append(str(fbid))
        index += 1
    if not message and not values.get("link") and not attached:
        return error("(#100) Param message or link is required.", 100)
    for fbid in attached:
        state.photos[fbid]["published"] = True
    post = _post_json(state, page, message=message, link=values.get("link"), attached=attached)
    time.sleep(state.slow_seconds)
    return jsonify(id=post["id"])


def _photo(state: State, page: str, values: dict):
    data = fetch(state, values.get("url", ""))
    if data is None:
        return error("(#324) Missing or invalid image file", 324)
    if len(data) > PHOTO_BYTES:
        return error("(#100) The photo is larger than 10 MB.", 100)
    photo_id = state.new_id()
    published = values.get("published", "true") != "false"
    state.photos[photo_id] = {
        "id": photo_id,
        "page": page,
        "data": data,
        "alt_text_custom": values.get("alt_text_custom"),
        "published": published,
    }
    if len(state.photos) == state.drop_photo:
        return drop_connection()
    if not published:
        return jsonify(id=photo_id)
    message = values.get("message") or values.get("caption") or ""
    post = _post_json(state, page, message=message, attached=[photo_id])
    time.sleep(state.slow_seconds)
    return jsonify(id=photo_id, post_id=post["id"])


def _video(state: State, page: str, values: dict):
    data = fetch(state, values.get("file_url", ""))
    video_id = state.new_id()
    state.videos[video_id] = {
        "id": video_id,
        "page": page,
        "data": data,
        "description": values.get("description", ""),
        "title": values.get("title", ""),
        "polls_left": state.processing_polls,
        "polls": state.processing_polls,
        "failed": data is None,
        "created_time": now_stamp(),
        "permalink_url": f"/{page}/videos/{video_id}/",
    }
    time.sleep(state.slow_seconds)
    return jsonify(id=video_id)


def _video_json(state: State, video: dict, wanted: set[str]) -> dict:
    if video["failed"]:
        phase, processing = (
            "error",
            {
                "status": "error",
                "errors": [{"code": 1363008, "message": "The video file could not be downloaded."}],
            },
        )
    elif video["polls_left"] > 0:
        video["polls_left"] -= 1
        phase, processing = "processing", {"status": "in_progress"}
    else:
        phase, processing = "ready", {"status": "complete"}
    done = video["polls"] - video["polls_left"]
    status = {
        "video_status": phase,
        "processing_progress": 100 if phase == "ready" else int(100 * done / (video["polls"] + 1)),
        "uploading_phase": {"status": "complete"},
        "processing_phase": processing,
        "publishing_phase": {"status": "complete" if phase == "ready" else "not_started"},
    }
    answer = {"id": video["id"], "status": status, "permalink_url": video["permalink_url"]}
    return {k: v for k, v in answer.items() if k in wanted | {"id"}}
