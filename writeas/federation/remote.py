"""Remote actors: fetched with a signed GET (servers in authorized-fetch mode require one),
through the guarded outbound client (no private addresses unless allowed, timeouts, a size
cap), checked, and cached. A key that fails to verify is fetched again once, since keys
rotate.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import select

from writeas import settings
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.lazy_imports import lazy
from writeas.core.models import RemoteActor
from writeas.federation import ids, keys, signatures

# The HTTP client loads with the first request this process sends out, and cryptography's
# native library with the first remote key read.
httpx = lazy("httpx")
outbound = lazy("writeas.core.outbound")
serialization = lazy("cryptography.hazmat.primitives.serialization")
rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

MAX_DOCUMENT = 1024 * 1024
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
STALE_AFTER = timedelta(days=2)


class FetchError(Exception):
    """A remote document could not be fetched or is not what it claims."""


def fetch(url: str) -> dict:
    """A remote ActivityPub document, by a GET signed as the instance actor."""
    if urlsplit(url).scheme not in _schemes():
        raise FetchError(f"not a fetchable URL: {url[:200]}")
    headers = signatures.sign("GET", url, key_id=ids.site_key(), private_key=keys.site_key(),
                              accept=ACCEPT)
    current = settings.current()
    seconds = min(current.outbound_timeout_seconds, 10.0)
    timeout = httpx.Timeout(seconds, connect=min(5.0, seconds))
    try:
        with (
            outbound.client(current.allow_private_network_targets, timeout) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                raise FetchError(f"{url[:200]} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT:
                    raise FetchError(f"{url[:200]} is larger than {MAX_DOCUMENT} bytes")
    except httpx.HTTPError as error:
        raise FetchError(f"{url[:200]}: {type(error).__name__}") from error
    try:
        document = json.loads(body)
    except ValueError as error:
        raise FetchError(f"{url[:200]} did not answer JSON") from error
    if not isinstance(document, dict):
        raise FetchError(f"{url[:200]} did not answer an object")
    found = document.get("id")
    if not isinstance(found, str) or host(found) != host(url):
        raise FetchError(f"{url[:200]} answered a document of another host")
    return document


def _schemes() -> set[str]:
    return {"https", "http"} if settings.current().allow_private_network_targets else {"https"}


def host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def actor(uri: str, *, refresh: bool = False) -> RemoteActor:
    """The actor with id `uri`, fetched when unknown, stale or asked to."""
    known = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == uri))
    if known is not None and not refresh and utcnow() - known.fetched < STALE_AFTER:
        return known
    return _store(fetch(uri), known)


def by_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor owning `key_id`: Mastodon's key ids are the actor's id with a fragment."""
    if not refresh:
        known = db.session.scalar(select(RemoteActor).where(RemoteActor.key_id == key_id))
        if known is not None:
            return known
    document = fetch(urldefrag(key_id)[0])
    if document.get("type") == "Key" or "owner" in document and "inbox" not in document:
        owner = document.get("owner")
        if not isinstance(owner, str) or host(owner) != host(key_id):
            raise FetchError("the key names no owner on its own host")
        document = fetch(owner)
    known = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == document.get("id")))
    stored = _store(document, known)
    if stored.key_id != key_id:
        raise FetchError("the actor does not hold that key")
    return stored


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _store(document: dict, known: RemoteActor | None) -> RemoteActor:
    uri = document.get("id")
    key = document.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), None)
    if not isinstance(key, dict) or key.get("owner") != uri or not _text(key.get("publicKeyPem")):
        raise FetchError("the actor has no public key of its own")
    inbox = _text(document.get("inbox"))
    if not inbox or host(inbox) != host(uri):
        raise FetchError("the actor has no inbox on its own host")
    endpoints = document.get("endpoints")
    shared = _text(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else ""
    if shared and host(shared) != host(uri):
        shared = ""
    if known is None:
        known = RemoteActor(uri=uri)
        db.session.add(known)
    known.key_id = _text(key.get("id")) or f"{uri}#main-key"
    known.public_key_pem = key["publicKeyPem"]
    known.inbox, known.shared_inbox = inbox, shared or None
    username = _text(document.get("preferredUsername"))
    known.handle = f"@{username}@{host(uri)}" if username else uri
    known.name = _text(document.get("name"))[:500] or username
    url = document.get("url")
    known.url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else uri
    known.fetched = utcnow()
    db.session.flush()
    return known


def public_key(actor_row: RemoteActor) -> rsa.RSAPublicKey | None:
    try:
        loaded = serialization.load_pem_public_key(actor_row.public_key_pem.encode())
    except ValueError:
        return None
    return loaded if isinstance(loaded, rsa.RSAPublicKey) else None
