"""Validators: reads answer with a strong `ETag` and a `Last-Modified`, and a revalidation
that still matches gets a 304 with no body.

Where a route knows the content versions of what it shows (a post's page, raw text and
API read, a blog's pages and feed), its ETag is made from them, so a match is found before
anything is rendered: the versions move in the same transaction as any write
(`reads.content_versions`), on whichever node. The deploy's own fingerprint is part of
every such ETag, since templates and code shape the bytes as much as the content does.
Any other read gets an ETag over its bytes (`finish`), which is right by construction.

View counts are not part of any validator: a number that moves on every read would make
every revalidation a full answer. A revalidation counts as a view.

The rules are RFC 9110's (§13.1–13.2): `If-None-Match` (weak comparison, `*` included)
decides whenever it is sent, and `If-Modified-Since` only when it is not; both only for
GET and HEAD.
"""

import hashlib
from datetime import UTC, datetime
from functools import cache

from flask import Response, request
from werkzeug.http import http_date, parse_date

from writeas.settings import PROJECT_ROOT

_SHAPED_BY = (("templates", "*"), ("static", "*"), ("writeas", "*.py"))


@cache
def deploy() -> tuple[bytes, datetime]:
    """(a digest of the templates, static files and code, the newest of their times). The
    same files give the same digest on every host; the time only bounds `Last-Modified`
    from below, so a host with newer copies of the same files merely answers 200 once."""
    digest = hashlib.blake2b(digest_size=32)
    newest = 0.0
    for folder, pattern in _SHAPED_BY:
        for path in sorted((PROJECT_ROOT / folder).rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
                digest.update(path.read_bytes())
                newest = max(newest, path.stat().st_mtime)
    return digest.digest(), datetime.fromtimestamp(int(newest), UTC).replace(tzinfo=None)


def etag(*parts) -> str:
    """A strong ETag for what `parts` (versions, ids, keys) and this deploy make."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16, key=deploy()[0])
    return f'"{digest.hexdigest()}"'


def body_etag(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def last_modified(*moments: datetime | None) -> datetime:
    """The newest of `moments` and of this deploy (naive UTC, whole seconds)."""
    return max([deploy()[1], *(moment for moment in moments if moment is not None)])


def fresh(if_none_match: str | None, if_modified_since: str | None, tag, modified) -> bool:
    """Whether the client's copy, as its conditional headers describe it, is current."""
    if if_none_match is not None:
        return _matches(if_none_match, tag)
    if if_modified_since and modified is not None:
        since = parse_date(if_modified_since)
        return since is not None and modified <= since.replace(tzinfo=None)
    return False


def _matches(header: str, tag: str | None) -> bool:
    """Weak comparison: `W/` is ignored on both sides. Our tags are hex, so a comma inside
    a client's quoted tag can only split it into pieces that match nothing of ours."""
    if header == tag or header == "*":  # what a client that kept our answer sends
        return True
    header = header.strip()
    if header == "*":
        return True
    if tag is None:
        return False
    opaque = tag.removeprefix("W/")
    return any(item.strip().removeprefix("W/") == opaque for item in header[:8192].split(","))


def requested_fresh(tag: str | None, modified: datetime | None) -> bool:
    """`fresh` for the request being served (GET and HEAD only)."""
    if request.method not in ("GET", "HEAD"):
        return False
    headers = request.headers
    return fresh(headers.get("If-None-Match"), headers.get("If-Modified-Since"), tag, modified)


def validator_headers(tag: str, modified: datetime | None) -> list[tuple[str, str]]:
    headers = [("ETag", tag)]
    if modified is not None:
        headers.append(("Last-Modified", http_date(modified.replace(tzinfo=UTC))))
    return headers


def respond(tag: str, modified: datetime | None, build):
    """The 304 when the client holds (`tag`, `modified`) already, else `build()`'s response:
    either way carrying them. What `build` would render is never made for a 304."""
    response = not_modified(Response()) if requested_fresh(tag, modified) else build()
    return stamp(response, tag, modified)


def stamp(response, tag: str, modified: datetime | None):
    for name, value in validator_headers(tag, modified):
        response.headers[name] = value
    return response


def finish(response):
    """After every view: a 200 to GET or HEAD without an ETag gets one over its bytes, and
    a 200 whose validators the client already holds becomes a 304."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.is_streamed or response.direct_passthrough:
        return response  # files and streams (Flask's own static files validate themselves)
    tag = response.headers.get("ETag")
    if tag is None:
        tag = body_etag(response.get_data())
        response.headers["ETag"] = tag
    if requested_fresh(tag, response.last_modified and response.last_modified.replace(tzinfo=None)):
        not_modified(response)
    return response


def not_modified(response):
    """Make `response` the 304 for itself: no body. Werkzeug drops the headers that
    describe a body; ETag, Cache-Control and Vary stay, as RFC 9110 §15.4.5 asks."""
    response.status_code = 304
    response.set_data(b"")
    return response
