"""The Threads API (graph.threads.net), as far as crossposting sees it: the user (`/me`),
media containers (text, image, video, carousel, replies) that Meta makes by fetching their
media and that take `processing_polls` reads to finish, `threads_publish` within the
publishing limit (250 posts and 1000 replies in 24 hours), permalinks, the user's threads,
and the renewal of long-lived tokens. Errors, the usage header and the container states are
the Graph API's (see `graph`)."""

import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from platform_servers import recorded
from platform_servers.graph import (
    DAY,
    EXPIRED_TOKEN,
    JPEG,
    PNG,
    Switches,
    access_token,
    container_status,
    error,
    fetch,
    fields,
    in_window,
    listing,
    new_container,
    now_stamp,
    params,
    throttled,
    usage_header,
)

VERSION = "v1.0"
TEXT_LIMIT = 500
CAROUSEL_MIN, CAROUSEL_MAX = 2, 20
REPLY_QUOTA = 1000
LONG_LIVED_SECONDS = 60 * DAY


@dataclass
class State(Switches):
    tokens: set[str] = field(default_factory=lambda: {"threads-token"})
    user: dict = field(default_factory=lambda: {"id": "26111111111111111", "username": "alice"})
    containers: dict[str, dict] = field(default_factory=dict)
    posts: dict[str, dict] = field(default_factory=dict)  # threads and replies, by id
    renewals: list[str] = field(default_factory=list)  # the tokens handed out
    quota_total: int = 250


def create(state: State) -> Flask:
    app = Flask(__name__)
    base = f"/{VERSION}"

    @app.before_request
    def gate():
        state.requests.append({**recorded(), "values": request.values.to_dict()})
        if state.expire_token:
            return error(EXPIRED_TOKEN, 190, subcode=463)
        if access_token() not in state.tokens:
            return error("Invalid OAuth access token - Cannot parse access token", 190)
        return throttled(state)

    @app.after_request
    def usage(response):
        response.headers.update(usage_header(state.user["id"], "threads", state))
        return response

    @app.get("/refresh_access_token")
    def refresh():
        if request.args.get("grant_type") != "th_refresh_token":
            return error("(#100) grant_type must be th_refresh_token", 100)
        token = f"threads-token-{len(state.renewals) + 2}"
        state.tokens.add(token)
        state.renewals.append(token)
        return jsonify(access_token=token, token_type="bearer", expires_in=LONG_LIVED_SECONDS)

    @app.get(f"{base}/<node>")
    def read(node):
        if node == "me":
            return jsonify({k: v for k, v in state.user.items() if k in fields() | {"id"}})
        if node in state.containers:
            found = state.containers[node]
            status = container_status(found)
            answer = {"id": node, "status": status}
            if status == "ERROR":
                answer["error_message"] = "FAILED_DOWNLOADING_VIDEO"
            return jsonify(answer)
        if node in state.posts:
            post = state.posts[node]
            return jsonify({k: v for k, v in post.items() if k in fields() | {"id"}})
        return error(f"Object with ID '{node}' does not exist.", 100, subcode=33)

    @app.get(f"{base}/<user>/<edge>")
    def read_edge(user, edge):
        if user not in (state.user["id"], "me"):
            return error("(#10) Application does not have permission for this action", 10)
        if edge == "threads_publishing_limit":
            return _limit(state)
        if edge == "threads":
            posts = [p for p in state.posts.values() if not p["reply_to"]]
            return listing(posts, fields())
        return error(f"(#100) Unknown edge {edge}.", 100)

    @app.post(f"{base}/<user>/<edge>")
    def write_edge(user, edge):
        if user not in (state.user["id"], "me"):
            return error("(#10) Application does not have permission for this action", 10)
        if edge == "threads":
            return _container(state, params())
        if edge == "threads_publish":
            return _publish(state, params())
        return error(f"(#100) Unknown edge {edge}.", 100)

    return app


def _limit(state: State):
    posts = [p for p in state.posts.values() if not p["reply_to"]]
    replies = [p for p in state.posts.values() if p["reply_to"]]
    wanted = fields()
    entry = {"quota_usage": in_window([p["created"] for p in posts])}
    if "config" in wanted:
        entry["config"] = {"quota_total": state.quota_total, "quota_duration": DAY}
    if "reply_quota_usage" in wanted:
        entry["reply_quota_usage"] = in_window([p["created"] for p in replies])
    if "reply_config" in wanted:
        entry["reply_config"] = {"quota_total": REPLY_QUOTA, "quota_duration": DAY}
    return jsonify(data=[entry])


def _container(state: State, values: dict):
    kind = values.get("media_type", "")
    text = values.get("text", "")
    if len(text) > TEXT_LIMIT:
        return error(f"(#100) Param text must be at most {TEXT_LIMIT} characters long.", 100)
    if values.get("reply_to_id") and values["reply_to_id"] not in state.posts:
        return error("(#100) The reply_to_id is not a Threads post.", 100)
    if kind == "TEXT":
        if not text:
            return error("(#100) Param text is required for a TEXT post.", 100)
        container = new_container(state, state.user["id"], values, video=False, data=b"")
    elif kind == "IMAGE":
        data = fetch(state, values.get("image_url", ""))
        if data is None:
            return error("(#100) The image could not be downloaded from image_url.", 100)
        if not data.startswith((JPEG, PNG)):
            return error("(#100) The image format is not supported: JPEG or PNG only.", 100)
        container = new_container(state, state.user["id"], values, video=False, data=data)
    elif kind == "VIDEO":
        data = fetch(state, values.get("video_url", ""))
        container = new_container(state, state.user["id"], values, video=True, data=data)
    elif kind == "CAROUSEL":
        children = [c for c in values.get("children", "").split(",") if c]
        if not CAROUSEL_MIN <= len(children) <= CAROUSEL_MAX:
            return error(f"(#100) A carousel has {CAROUSEL_MIN} to {CAROUSEL_MAX} children.", 100)
        for child in children:
            found = state.containers.get(child)
            if found is None or found["params"].get("is_carousel_item") != "true":
                return error(f"(#100) The parameter children has an invalid id: {child}.", 100)
            if container_status(found, counting=False) != "FINISHED":
                return error("(#100) A carousel item is not ready yet.", 100)
        container = new_container(state, state.user["id"], values, video=False, data=b"")
    else:
        return error("(#100) Param media_type must be TEXT, IMAGE, VIDEO or CAROUSEL.", 100)
    state.containers[container["id"]] = container
    return jsonify(id=container["id"])


def _publish(state: State, values: dict):
    container = state.containers.get(values.get("creation_id", ""))
    if container is None:
        return error("(#100) The parameter creation_id is invalid.", 100)
    status = container_status(container, counting=False)
    if status != "FINISHED":
        return error(f"(#100) This container can't be published: it is {status}.", 100)
    reply_to = container["params"].get("reply_to_id")
    same_kind = [p for p in state.posts.values() if bool(p["reply_to"]) == bool(reply_to)]
    quota = REPLY_QUOTA if reply_to else state.quota_total
    if in_window([p["created"] for p in same_kind]) >= quota:
        return error("(#4) Application request limit reached", 4)
    post_id = state.new_id()
    state.posts[post_id] = {
        "id": post_id,
        "text": container["params"].get("text", ""),
        "media_type": container["params"].get("media_type"),
        "link_attachment_url": container["params"].get("link_attachment"),
        "reply_to": reply_to,
        "container": container["id"],
        "permalink": f"https://www.threads.net/@{state.user['username']}/post/C{post_id[-9:]}",
        "timestamp": now_stamp(),
        "created": time.time(),
    }
    container["published"] = post_id
    time.sleep(state.slow_seconds)
    return jsonify(id=post_id)
