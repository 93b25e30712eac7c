"""A Bluesky PDS, as far as crossposting sees it: sessions (create, refresh with rotating
refresh tokens), blob uploads, and post records at a client-chosen TID record key, with the
XRPC error bodies, status codes and `ratelimit-*` headers the reference PDS answers.

Posts are validated as the reference PDS's lexicons do, in its words (checked against
@atproto/pds 0.4.217 by tests/crossposting/test_bluesky_pds.py): text, createdAt, langs,
facets' shape (not their offsets, which the PDS leaves to the app view), a reply's strong
references, and the embeds we send: images (alt, blob, aspectRatio) and the external link
card. Other embed types pass, the union being open. Creating a record at a key that is
taken answers 500 InternalServerError, as the reference PDS does today
(bluesky-social/atproto#3718)."""

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
        return _error("InvalidToken", "Token could not be verified")
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
        refusal = _validate_request(state, body)
        if refusal is not None:
            return refusal
        try:
            _validate_post(state, body.get("record"))
        except Invalid as invalid:
            return _error(invalid.name, invalid.message)
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


class Invalid(Exception):
    """A record the PDS refuses (400), with its error name and words."""

    def __init__(self, message: str, name: str = "InvalidRequest"):
        super().__init__(message)
        self.name, self.message = name, message


def _shown(value) -> str:
    """A value as the PDS quotes it in an error: objects by their first two keys."""
    if isinstance(value, dict):
        keys = [f"{json.dumps(key)}: ..." for key in list(value)[:2]]
        return "{" + ", ".join(keys + (["..."] if len(value) > 2 else [])) + "}"
    return json.dumps(value)


def _fail(detail: str, path: str):
    raise Invalid(f"Invalid {POST} record: {detail} at {path}")


def _field(value: dict, key: str, path: str, kind: type, kind_name: str, optional=False):
    if key not in value:
        if optional:
            return None
        _fail(f'Missing required key "{key}"', path)
    found = value[key]
    if isinstance(found, float):
        # Floats are outside the data model: refused before the lexicon, without its name.
        raise Invalid(
            "Expected one of null, boolean, integer, string, cid, bytes, array or object "
            f"value type (got {found}) at {path}.{key}"
        )
    if not isinstance(found, kind) or isinstance(found, bool):
        _fail(f"Expected {kind_name} value type (got {_shown(found)})", f"{path}.{key}")
    return found


def _string(value, key, path, optional=False) -> str | None:
    return _field(value, key, path, str, "string", optional)


def _object(value, key, path, optional=False) -> dict | None:
    return _field(value, key, path, dict, "object", optional)


def _array(value, key, path, optional=False) -> list | None:
    return _field(value, key, path, list, "array", optional)


def _integer(value, key, path, minimum: int) -> int:
    number = _field(value, key, path, int, "integer")
    if number < minimum:
        _fail(f"integer too small (minimum {minimum}, got {number})", f"{path}.{key}")
    return number


def _formatted(value, key, path, pattern: re.Pattern, format_name: str) -> str:
    text = _string(value, key, path)
    if not pattern.match(text):
        _fail(f"Invalid {format_name} (got {json.dumps(text)})", f"{path}.{key}")
    return text


DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
AT_URI = re.compile(r"^at://did:[a-z]+:[A-Za-z0-9._:%-]+/[A-Za-z0-9.-]+/[A-Za-z0-9._~:-]+$")
CID = re.compile(r"^b[a-z2-7]{50,}$")


def _validate_post(state: State, record) -> None:
    if not isinstance(record, dict) or record.get("$type") != POST:
        raise Invalid("Invalid $type: must be a lexicon record")
    text = _string(record, "text", "$.record")
    if len(text.encode()) > TEXT_BYTES:
        _fail(f"string too big (maximum {TEXT_BYTES}, got {len(text.encode())})", "$.record.text")
    graphemes = len(regex.findall(r"\X", text))
    if graphemes > TEXT_GRAPHEMES:
        _fail(f"grapheme too big (maximum {TEXT_GRAPHEMES}, got {graphemes})", "$.record.text")
    _formatted(record, "createdAt", "$.record", DATETIME, "datetime")
    languages = _array(record, "langs", "$.record", optional=True) or []
    for index, language in enumerate(languages):
        if not isinstance(language, str) or not LANGUAGE.match(language):
            _fail(f"Invalid language (got {_shown(language)})", f"$.record.langs[{index}]")
    for index, facet in enumerate(_array(record, "facets", "$.record", optional=True) or []):
        path = f"$.record.facets[{index}]"
        span = _object(facet, "index", path)
        _integer(span, "byteStart", f"{path}.index", 0)
        _integer(span, "byteEnd", f"{path}.index", 0)
        _array(facet, "features", path)
    reply = _object(record, "reply", "$.record", optional=True)
    if reply is not None:
        for key in ("root", "parent"):
            reference = _object(reply, key, "$.record.reply")
            _formatted(reference, "uri", f"$.record.reply.{key}", AT_URI, "at-uri")
            _formatted(reference, "cid", f"$.record.reply.{key}", CID, "CID string")
    embed = record.get("embed")
    if embed is not None:
        _validate_embed(state, embed)


def _validate_embed(state: State, embed) -> None:
    path = "$.record.embed"
    if not isinstance(embed, dict) or not isinstance(embed.get("$type"), str):
        _fail(
            f'Expected an object which includes the "$type" property value type '
            f"(got {_shown(embed)})",
            path,
        )
    if embed["$type"] == "app.bsky.embed.images":
        images = _array(embed, "images", path)
        if len(images) > MAX_IMAGES:
            _fail(f"array too big (maximum {MAX_IMAGES}, got {len(images)})", f"{path}.images")
        for index, image in enumerate(images):
            where = f"{path}.images[{index}]"
            _blob(state, image, "image", where)
            _string(image, "alt", where)
            ratio = _object(image, "aspectRatio", where, optional=True)
            if ratio is not None:
                _integer(ratio, "width", f"{where}.aspectRatio", 1)
                _integer(ratio, "height", f"{where}.aspectRatio", 1)
    elif embed["$type"] == "app.bsky.embed.external":
        card = _object(embed, "external", path)
        _formatted(card, "uri", f"{path}.external", URI, "uri")
        _string(card, "title", f"{path}.external")
        _string(card, "description", f"{path}.external")
        if "thumb" in card:
            _blob(state, card, "thumb", f"{path}.external")


def _blob(state: State, value: dict, key: str, path: str) -> None:
    """An image blob: uploaded, an image, within the size, referenced by its own type."""
    blob = _object(value, key, path)
    where = f"{path}.{key}"
    ref = blob.get("ref") if isinstance(blob.get("ref"), dict) else {}
    if blob.get("$type") != "blob" or not isinstance(ref.get("$link"), str):
        _fail(f"Expected blob value type (got {_shown(blob)})", where)
    mime_type = str(blob.get("mimeType", ""))
    if not mime_type.startswith("image/"):
        _fail(f'Expected "image/*" (got {json.dumps(mime_type)})', f"{where}.mimeType")
    if int(blob.get("size", 0)) > MAX_IMAGE_BYTES:
        _fail(f"blob too big (maximum {MAX_IMAGE_BYTES}, got {blob['size']})", where)
    stored = state.blobs.get(ref["$link"])
    if stored is None:
        raise Invalid(f"Could not find blob: {ref['$link']}", "BlobNotFound")
    if stored["mime_type"] != mime_type:
        raise Invalid(
            "Referenced Mimetype does not match stored blob. "
            f"Expected: {stored['mime_type']}, Got: {mime_type}",
            "InvalidMimeType",
        )
