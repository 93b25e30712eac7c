"""Bluesky, or any AT Protocol PDS, through its XRPC API (docs.bsky.app, atproto.com/specs).

A post is a record in the user's repository, and we choose its record key (a TID) before
the first attempt. The key is the idempotency handle: once a record sits at that key,
creating it again fails instead of posting twice, and we then read the record back and
report it as published. A first comment is a reply at a key fixed by the post's, so it is
never made twice either. An app password opens a session whose access token expires
within hours; the refresh token renews it, and the app password is the way back when both
have lapsed, so all three are kept with the channel.
"""

import hashlib
import re
import secrets
import threading
import time
from datetime import UTC, datetime

import httpx

from writeas.crossposting.formatting import link_facets
from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Media,
    MediaLimits,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    classify,
    error_message,
    transport_outcome,
    verify_failure,
)

# app.bsky.embed.images: four images, 1,000,000 bytes each; the Bluesky app caps alt at 2000.
LIMITS = MediaLimits(max_images=4, max_bytes=1_000_000, max_alt_text=2000)
POST_COLLECTION = "app.bsky.feed.post"
# Errors a PDS answers for an access token it won't take any more (expired: 400).
_TOKEN_ERRORS = {"ExpiredToken", "InvalidToken"}

# TIDs (atproto.com/specs/tid): 64 bits, top bit 0, then 53 bits of microseconds since the
# epoch and a 10-bit clock id, written as 13 characters of base32-sortable.
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_clock_id = secrets.randbelow(1024)
_last_micros = 0
_tid_lock = threading.Lock()


def _decode_tid(tid: str) -> int:
    value = 0
    for char in tid:
        value = value * 32 + _TID_ALPHABET.index(char)
    return value


def _encode_tid(value: int) -> str:
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_tid() -> str:
    """Never repeats or goes backwards within this process, as the spec asks of a
    generator, even when the clock does or two calls land in the same microsecond."""
    global _last_micros
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _last_micros + 1)
        _last_micros = micros
    return _encode_tid((micros << 10) | _clock_id)


def record_key(idempotency_key: str) -> str:
    """The delivery's key is a TID when we chose it; anything else is mapped to a TID by
    hashing, so every retry of one delivery still lands on the same record."""
    if _TID.match(idempotency_key):
        return idempotency_key
    if not idempotency_key:
        return new_tid()
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    return _encode_tid(digest >> 1)


def reply_key(rkey: str) -> str:
    """The first comment's record key: its post's TID with another clock id. Fixed by the
    post's key, so a retry finds the reply instead of making a second one; of the same
    moment, so it sorts beside its post; and never a key `new_tid` makes in the process
    that chose the post's, whose clock id doesn't change."""
    return _encode_tid(_decode_tid(rkey) ^ 1)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _xrpc_error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _message(response: httpx.Response) -> str:
    """XRPC errors carry a name (`error`) and the words for people (`message`); the shared
    `error_message` would pick the name."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"]:
        return data["message"]
    return error_message(response)


def _classify(response: httpx.Response) -> Outcome | None:
    outcome = classify(response)
    if outcome is not None:
        outcome.error = _message(response)
    return outcome


def _bare_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _nothing_posted(outcome: Outcome) -> Outcome:
    """A session request lost in transit happened before the post was sent."""
    if outcome.kind == UNKNOWN:
        outcome.kind = RETRY
    return outcome


def _session_credentials(credentials: dict, session: dict) -> dict:
    return {
        **credentials,
        "did": str(session["did"]),
        "access_jwt": str(session["accessJwt"]),
        "refresh_jwt": str(session["refreshJwt"]),
    }


class _Session:
    """The tokens of one publish. An expired access token is renewed once (refresh token
    first, then the app password), and the request that met it is sent again once: a PDS
    refuses an expired token before doing anything, so resending is safe."""

    def __init__(self, http: httpx.Client, base: str, handle: str, credentials: dict):
        self.http = http
        self.base = base
        self.handle = handle
        self.credentials = dict(credentials)
        self.changed = False
        self.renewed = False

    def request(self, method: str, nsid: str, **kwargs) -> httpx.Response:
        if not self.credentials.get("access_jwt"):
            self._renew()
        response = self._send(method, nsid, self.credentials["access_jwt"], **kwargs)
        if self._token_refused(response) and not self.renewed:
            self._renew()
            response = self._send(method, nsid, self.credentials["access_jwt"], **kwargs)
        return response

    def _send(
        self, method: str, nsid: str, token: str, headers: dict | None = None, **kwargs
    ) -> httpx.Response:
        headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        try:
            return self.http.request(method, f"{self.base}/xrpc/{nsid}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise Stop(transport_outcome(error)) from error

    @staticmethod
    def _token_refused(response: httpx.Response) -> bool:
        if response.status_code == 401:
            return True
        return response.status_code == 400 and _xrpc_error(response) in _TOKEN_ERRORS

    def _renew(self) -> None:
        self.renewed = True
        refresh = self.credentials.get("refresh_jwt")
        if refresh:
            try:
                response = self._send("POST", "com.atproto.server.refreshSession", refresh)
            except Stop as stop:
                raise Stop(_nothing_posted(stop.outcome)) from stop
            if response.is_success:
                return self._adopt(response)
            if response.status_code == 429 or response.status_code >= 500:
                raise Stop(_classify(response))
        self._log_in()

    def _log_in(self) -> None:
        password = self.credentials.get("app_password")
        if not password:
            raise Stop(Outcome(AUTH, error="The Bluesky session expired; reconnect it."))
        identifier = self.credentials.get("did") or self.handle
        try:
            response = self.http.post(
                f"{self.base}/xrpc/com.atproto.server.createSession",
                json={"identifier": identifier, "password": password},
            )
        except httpx.HTTPError as error:
            raise Stop(_nothing_posted(transport_outcome(error))) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise Stop(_classify(response))
        if not response.is_success:
            raise Stop(Outcome(AUTH, error=_message(response)))
        self._adopt(response)

    def _adopt(self, response: httpx.Response) -> None:
        try:
            self.credentials = _session_credentials(self.credentials, response.json())
        except (ValueError, KeyError, TypeError) as error:
            unreadable = Outcome(RETRY, error=f"Unreadable session from the PDS: {error}")
            raise Stop(unreadable) from error
        self.changed = True


class Bluesky(Platform):
    name = "bluesky"
    credential_fields = ("app_password",)
    default_base_url = "https://bsky.social"
    media_limits = LIMITS
    first_comments = True

    def new_idempotency_key(self) -> str:
        return new_tid()

    def resend_safe(self, account: Account, state: dict) -> bool:
        """The record key is chosen before the first attempt: a create sent again lands on
        the same key, which the PDS refuses once taken, and we then read the record back."""
        return True

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        base = base_url.rstrip("/")
        password = str(credentials.get("app_password") or "").strip()
        if not password:
            raise PlatformError("An app password is required.")
        if not _bare_handle(handle):
            raise PlatformError("A handle is required.")
        try:
            response = http.post(
                f"{base}/xrpc/com.atproto.server.createSession",
                json={"identifier": _bare_handle(handle), "password": password},
            )
        except httpx.HTTPError as error:
            raise PlatformError(f"Could not reach {base}: {error}", 502) from error
        if not response.is_success:
            raise verify_failure(response, _message(response))
        try:
            session = response.json()
            stored = _session_credentials({"app_password": password}, session)
            session_handle = str(session["handle"])
        except (ValueError, KeyError, TypeError) as error:
            raise PlatformError(f"{base} did not answer like a Bluesky PDS.", 502) from error
        return Account(handle=session_handle, account_id=stored["did"], credentials=stored)

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = _Session(
            http, base_url.rstrip("/"), _bare_handle(account.handle), account.credentials
        )
        repo = session.credentials.get("did") or account.account_id or session.handle
        try:
            rkey = _post_key(content)
            record = _record(content.text, content.language, _embed(session, content))
            outcome = _create(session, repo, rkey, record)
            if outcome.kind == PUBLISHED and content.first_comment.strip():
                outcome.first_comment = _first_comment(session, repo, content, outcome)
        except Stop as stop:
            outcome = stop.outcome
        if session.changed:
            outcome.credentials = session.credentials
        return outcome


def _post_key(content: Content) -> str:
    """The delivery's record key, kept in its state before the first create: derived from
    the idempotency key, and so the same on every attempt, unless there is none."""
    rkey = content.state.get("rkey") or record_key(content.idempotency_key)
    if content.state.get("rkey") != rkey:
        content.remember(rkey=rkey)
    return rkey


def _upload(session: _Session, media: Media) -> dict:
    """A blob nobody references is discarded by the PDS, so a lost upload is safe to
    send again."""
    try:
        response = session.request(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=media.data,
            headers={"Content-Type": media.mime_type},
        )
    except Stop as stop:
        if stop.outcome.kind == UNKNOWN:
            stop.outcome.kind = RETRY
        raise
    outcome = _classify(response)
    if outcome is not None:
        if outcome.kind == UNKNOWN:
            outcome.kind = RETRY
        raise Stop(outcome)
    try:
        return response.json()["blob"]
    except (ValueError, KeyError, TypeError) as error:
        raise Stop(Outcome(RETRY, error=f"Unreadable answer to an upload: {error}")) from error


def _embed(session: _Session, content: Content) -> dict | None:
    """Images when the post has any; otherwise a card for the page it crossposts, as
    Bluesky's own app makes for a post that links one (a post has one embed or none)."""
    if content.media:
        return _images_embed(session, content.media)
    if content.canonical_url:
        return _card(content)
    return None


def _images_embed(session: _Session, media: list[Media]) -> dict:
    images = []
    for item in media:
        image = {"alt": item.alt_text or "", "image": _upload(session, item)}
        # Without it, Bluesky crops the image to a square until the app view has read it.
        if item.width > 0 and item.height > 0:
            image["aspectRatio"] = {"width": item.width, "height": item.height}
        images.append(image)
    return {"$type": "app.bsky.embed.images", "images": images}


def _card(content: Content) -> dict:
    """app.bsky.embed.external, without a thumbnail: a post with an image shows the image."""
    return {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": content.canonical_url,
            "title": content.title,
            "description": _card_description(content),
        },
    }


def _card_description(content: Content) -> str:
    """The excerpt the text carries between its title and its link (formatting's
    `compose_short` joins the three with blank lines; the title may come shortened)."""
    paragraphs = [
        part.strip() for part in content.text.replace(content.canonical_url, "").split("\n\n")
    ]
    title = content.title.strip()
    if paragraphs and title and title.startswith(paragraphs[0].rstrip("…").rstrip()):
        paragraphs = paragraphs[1:]
    return "\n\n".join(part for part in paragraphs if part)


def _record(text: str, language: str, embed: dict | None = None) -> dict:
    record = {"$type": POST_COLLECTION, "text": text, "createdAt": _now_iso()}
    facets = link_facets(text)
    if facets:
        record["facets"] = facets
    if language:
        record["langs"] = [language]
    if embed:
        record["embed"] = embed
    return record


def _post_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def _create(session: _Session, repo: str, rkey: str, record: dict) -> Outcome:
    body = {
        "repo": repo,
        "collection": POST_COLLECTION,
        "rkey": rkey,
        "validate": True,
        "record": record,
    }
    response = session.request("POST", "com.atproto.repo.createRecord", json=body)
    url = _post_url(session.handle, rkey)
    if response.is_success:
        try:
            created = response.json()
        except ValueError:
            created = {}
        uri = created.get("uri") or f"at://{repo}/{POST_COLLECTION}/{rkey}"
        return Outcome(PUBLISHED, post_id=rkey, url=url, uri=uri, cid=created.get("cid"))
    if _may_exist(response):
        existing = _existing(session, repo, rkey)
        if existing is not None:
            return Outcome(PUBLISHED, post_id=rkey, url=url, **existing)
        # Looked for and not there: resending with the same record key is safe.
        return _nothing_posted(_classify(response))
    return _classify(response)


def _first_comment(session: _Session, repo: str, content: Content, post: Outcome) -> dict:
    """The reply's own outcome: whatever becomes of it, the post stays published."""
    if not post.cid:
        return {"status": "failed", "error": "The PDS did not tell the post's CID to reply to."}
    parent = {"uri": post.uri, "cid": post.cid}
    record = _record(content.first_comment, content.language)
    record["reply"] = {"root": parent, "parent": parent}
    try:
        reply = _create(session, repo, reply_key(post.post_id), record)
    except Stop as stop:
        reply = stop.outcome
    if reply.kind != PUBLISHED:
        return {"status": "failed", "error": reply.error}
    return {"status": "published", "id": reply.post_id, "url": reply.url}


def _may_exist(response: httpx.Response) -> bool:
    """Whether a refused create may mean our record is already there (an earlier attempt
    got through). PDSes answer that with a 500 today; newer lexicons name an error for
    it, which we recognise by its wording. Rate limits are never this."""
    if response.status_code == 429:
        return False
    if response.status_code >= 500 or response.status_code == 409:
        return True
    wording = f"{_xrpc_error(response)} {_message(response)}".lower()
    return "exist" in wording


def _existing(session: _Session, repo: str, rkey: str) -> dict | None:
    params = {"repo": repo, "collection": POST_COLLECTION, "rkey": rkey}
    try:
        response = session.request("GET", "com.atproto.repo.getRecord", params=params)
    except Stop as stop:
        # The create's own answer is the one to report; a failed lookup adds nothing.
        if stop.outcome.kind in (RETRY, UNKNOWN):
            return None
        raise
    if not response.is_success:
        return None
    try:
        found = response.json()
        return {"uri": str(found["uri"]), "cid": found.get("cid")}
    except (ValueError, KeyError, TypeError):
        return None


register(Bluesky())
