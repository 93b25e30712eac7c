"""A Bluesky PDS, as far as crossposting sees it: sessions (create, refresh with rotating
refresh tokens), blob uploads, and post records at a client-chosen TID record key, with the
XRPC error bodies, status codes and `ratelimit-*` headers the reference PDS answers.

Creating a record at a key that is taken answers 500 InternalServerError, as the reference
PDS does today (bluesky-social/atproto#3718)."""

import base64
import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field

import regex
from flask import Flask, jsonify, request

from platform_servers import recorded

TEXT_GRAPHEMES = 300
TEXT_BYTES = 3000
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
POST = "app.bsky.feed.post"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@dataclass
class State:
    handle: str = "alice.bsky.social"
    did: str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    app_password: str = "abcd-efgh-ijkl-mnop"
    access_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    records: dict[str, dict] = field(default_factory=dict)  # rkey -> {uri, cid, value}
    blobs: dict[str, dict] = field(default_factory=dict)  # cid -> {data, mime_type}
    requests: list[dict] = field(default_factory=list)  # method, path, headers and body
    rate_limited: bool = False
    rate_limit_reset_seconds: int = 30
    expire_token: bool = False  # the current access token expires now
    expire_refresh: bool = False  # ... and so do the refresh tokens
    slow_seconds: float = 0.0  # createRecord stores the post, then waits this long
    fail_next: int | None = None  # answer the next createRecord with this status, unstored
    tokens: itertools.count = field(default_factory=lambda: itertools.count(1))

    def issue(self) -> dict:
        """A new session, as createSession and refreshSession answer it."""
        number = next(self.tokens)
        access, refresh = f"access-{number}", f"refresh-{number}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "did": self.did,
            "handle": self.handle,
            "active": True,
        }


def cid(codec: int, data: bytes) -> str:
    """A CIDv1 (sha-256) in base32, as the PDS names blobs (raw) and records (dag-cbor)."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _error(name: str, message: str, status: int = 400, headers: dict | None = None):
    response = jsonify(error=name, message=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _rate_limit_headers(state: State, remaining: int) -> dict:
    return {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(int(time.time()) + state.rate_limit_reset_seconds),
        "ratelimit-policy": "5000;w=3600",
    }


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""


def _check_access(state: State):
    if state.expire_token:
        state.expired_tokens |= state.access_tokens
        state.access_tokens.clear()
        state.expire_token = False
    token = _bearer()
    if not token:
        return _error("AuthMissing", "Authentication Required", 401)
    if token in state.expired_tokens:
        return _error("ExpiredToken", "Token has expired")
    if token not in state.access_tokens:
        return _error("InvalidToken", "Token could not be verified", 401)
    return None


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        state.requests.append(recorded())
        if state.rate_limited:
            return _error(
                "RateLimitExceeded", "Rate Limit Exceeded", 429, _rate_limit_headers(state, 0)
            )
        return None

    @app.after_request
    def rate_headers(response):
        if response.status_code != 429:
            response.headers.update(_rate_limit_headers(state, 4999))
        return response

    @app.post("/xrpc/com.atproto.server.createSession")
    def create_session():
        body = request.get_json(silent=True) or {}
        identifier = str(body.get("identifier", "")).lower()
        if identifier not in (state.handle, state.did) or body.get("password") != (
            state.app_password
        ):
            return _error("AuthenticationRequired", "Invalid identifier or password", 401)
        return jsonify(state.issue())

    @app.post("/xrpc/com.atproto.server.refreshSession")
    def refresh_session():
        token = _bearer()
        if state.expire_refresh and token in state.refresh_tokens:
            state.refresh_tokens.discard(token)
            return _error("ExpiredToken", "Token has expired")
        if token not in state.refresh_tokens:
            return _error("InvalidToken", "Token could not be verified", 401)
        state.refresh_tokens.discard(token)  # rotated: the old one is used up
        return jsonify(state.issue())

    @app.post("/xrpc/com.atproto.repo.uploadBlob")
    def upload_blob():
        refusal = _check_access(state)
        if refusal is not None:
            return refusal
        data = request.get_data()
        mime_type = request.headers.get("Content-Type", "application/octet-stream")
        ref = cid(0x55, data)
        state.blobs[ref] = {"data": data, "mime_type": mime_type}
        return jsonify(
            blob={
                "$type": "blob",
                "ref": {"$link": ref},
                "mimeType": mime_type,
                "size": len(data),
            }
        )

    @app.get("/xrpc/com.atproto.repo.getRecord")
    def get_record():
        rkey = request.args.get("rkey", "")
        uri = f"at://{request.args.get('repo')}/{request.args.get('collection')}/{rkey}"
        found = state.records.get(rkey)
        if request.args.get("collection") != POST or found is None:
            return _error("RecordNotFound", f"Could not locate record: {uri}")
        return jsonify(found)

    @app.post("/xrpc/com.atproto.repo.createRecord")
    def create_record():
        refusal = _check_access(state)
        if refusal is not None:
            return refusal
        if state.fail_next is not None:
            status, state.fail_next = state.fail_next, None
            return _error("InternalServerError", "Internal Server Error", status)
        body = request.get_json(silent=True) or {}
        refusal = _validate_request(state, body) or _validate_post(state, body.get("record"))
        if refusal is not None:
            return refusal
        rkey = body["rkey"]
        if rkey in state.records:
            return _error("InternalServerError", "Internal Server Error", 500)
        value = body["record"]
        state.records[rkey] = {
            "uri": f"at://{state.did}/{POST}/{rkey}",
            "cid": cid(0x71, json.dumps(value, sort_keys=True).encode()),
            "value": value,
        }
        time.sleep(state.slow_seconds)
        stored = state.records[rkey]
        return jsonify(uri=stored["uri"], cid=stored["cid"], validationStatus="valid")

    return app


def _validate_request(state: State, body: dict):
    if body.get("repo") not in (state.did, state.handle):
        return _error("InvalidRequest", "Could not find repo")
    if body.get("collection") != POST:
        return _error("InvalidRequest", "Input/collection must be a valid NSID")
    if not TID.match(str(body.get("rkey", ""))):
        return _error("InvalidRequest", "Invalid rkey: must be a TID")
    return None


def _invalid(detail: str):
    return _error("InvalidRequest", f"Invalid {POST} record: {detail}")


def _validate_post(state: State, record):
    if not isinstance(record, dict) or record.get("$type") != POST:
        return _error("InvalidRequest", "Invalid $type: must be a lexicon record")
    text, created = record.get("text"), record.get("createdAt")
    if not isinstance(text, str):
        return _invalid('Record must have the property "text"')
    if not isinstance(created, str) or not created.endswith("Z"):
        return _invalid("Record/createdAt must be an valid atproto datetime")
    if len(regex.findall(r"\X", text)) > TEXT_GRAPHEMES:
        return _invalid(f"Record/text must not be longer than {TEXT_GRAPHEMES} graphemes")
    if len(text.encode()) > TEXT_BYTES:
        return _invalid(f"Record/text must not be longer than {TEXT_BYTES} characters")
    for index, facet in enumerate(record.get("facets") or []):
        span = facet.get("index", {})
        if not 0 <= span.get("byteStart", -1) <= span.get("byteEnd", -1) <= len(text.encode()):
            return _invalid(f"Record/facets/{index}/index is out of range")
    return _validate_embed(state, record.get("embed"))


def _validate_embed(state: State, embed):
    if embed is None:
        return None
    images = embed.get("images") if embed.get("$type") == "app.bsky.embed.images" else None
    if not isinstance(images, list):
        return _invalid('Record/embed must be an object which includes the "$type" property')
    if len(images) > MAX_IMAGES:
        return _invalid(f"Record/embed/images must not have more than {MAX_IMAGES} elements")
    for index, image in enumerate(images):
        if not isinstance(image.get("alt"), str):
            return _invalid(f'Record/embed/images/{index} must have the property "alt"')
        ref = (image.get("image") or {}).get("ref", {}).get("$link")
        if ref not in state.blobs:
            return _error("InvalidRequest", f"Could not find blob: {ref}")
        if len(state.blobs[ref]["data"]) > MAX_IMAGE_BYTES:
            return _invalid(
                f"Record/embed/images/{index}/image file too large "
                f"({len(state.blobs[ref]['data'])} bytes). Maximum is {MAX_IMAGE_BYTES} bytes."
            )
    return None
