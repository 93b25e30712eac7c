"""Mastodon, and the other servers speaking its API (Pleroma, Akkoma, GoToSocial…),
through the documented REST API (docs.joinmastodon.org).

At connect, the server's own description (`/api/v2/instance`, or `/api/v1/instance` where
v2 is missing) gives its version and limits: its character limit and what a link counts
for shape the text; its attachment count and image size shape the media.

A status is posted with the delivery's `Idempotency-Key`. Mastodon answers a repeated key
(same account, within an hour) with the status it already created, so a retry after an
unknown outcome can never post twice there. Other servers may ignore the header, so after
an unknown outcome on them the account's latest statuses are searched first: the status
found is the post; a status not found proves the attempt did not land. Media is uploaded
first; an upload that is lost or refused leaves nothing visible, so it is always safe to
retry.
"""

import html
import re
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
    NOT_LANDED,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Media,
    MediaLimits,
    OptionError,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    VideoLimits,
    classify,
    error_message,
    send,
    verify_failure,
)

# Mastodon 4.x: four attachments per status, 16 MB per image, 1500 characters of alt text;
# one video instead of images, up to 99 MiB. A server's own figures replace these.
LIMITS = MediaLimits(max_images=4, max_bytes=16 * 1024 * 1024, max_alt_text=1500)
VIDEO_LIMITS = VideoLimits(
    max_bytes=99 * 1024 * 1024,
    codecs=frozenset({"h264", "hevc", "vp8", "vp9", "av1"}),
    audio_codecs=frozenset({"aac", "mp3", "opus", "vorbis"}),
    containers=frozenset({"video/mp4", "video/quicktime", "video/webm"}),
)
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Versions Mastodon itself reports ("4.3.2", "4.4.0-beta.1"); other software says
# "2.7.2 (compatible; Pleroma 2.6.0)" or a version of its own, and may not keep keys.
_MASTODON_VERSION = re.compile(r"^[2-9]\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$")
# A 400 or 403 that is really a refused token, on servers that don't answer 401.
_TOKEN_REFUSED = re.compile(
    r"token|credential|unauthori[sz]ed|not (?:logged|signed) in|authenticat", re.IGNORECASE
)
# How far back the lookup reads the account's statuses, and the clock skew it allows.
LOOKUP_STATUSES = 40
LOOKUP_SKEW_SECONDS = 120
# A large image may still be processing after the upload answers (202). We ask again this
# many times within one attempt (the adapter never sleeps), then let the engine retry later.
MEDIA_POLLS = 10
PROCESSING_RETRY_SECONDS = 10.0


def _headers(credentials: dict) -> dict:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


def _token_refused(response: httpx.Response) -> bool:
    return response.status_code in (400, 403) and bool(
        _TOKEN_REFUSED.search(error_message(response))
    )


def _checked(http: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """`base.checked`, knowing that some servers refuse a bad token with a 400 or 403."""
    response = send(http, method, url, **kwargs)
    if isinstance(response, Outcome):
        raise Stop(response)
    if _token_refused(response):
        raise Stop(Outcome(AUTH, error=error_message(response)))
    outcome = classify(response)
    if outcome is not None:
        raise Stop(outcome)
    return response


def _media_request(http: httpx.Client, method: str, url: str, **kwargs) -> tuple[bool, str]:
    """Whether the attachment is ready (processed, `url` set), and its id.

    No status exists yet while media is handled, so an unanswered upload only leaves an
    unattached file behind (which Mastodon discards): retrying is safe."""
    try:
        response = _checked(http, method, url, **kwargs)
        attachment = response.json()
        media_id = str(attachment["id"])
    except Stop as stop:
        if stop.outcome.kind == UNKNOWN:
            stop.outcome.kind = RETRY
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise Stop(Outcome(RETRY, error=f"Unreadable answer about media: {error}")) from error
    # 202 (upload) and 206 (lookup) mean "still processing": `url` is not set yet.
    return response.status_code == 200 and bool(attachment.get("url")), media_id


def _same_user(handle: str, username: str) -> bool:
    """`user`, `@user` and `user@instance` all name the account (the instance part may be
    the web domain or the account domain, which differ on some servers)."""
    wanted = handle.strip().lstrip("@").split("@", 1)[0]
    return wanted.casefold() == username.casefold()


def _number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _describe_server(http: httpx.Client, base: str) -> dict:
    """What the server says of itself, v2 first; {} when it says nothing readable (then
    Mastodon's own defaults hold, and the server is not trusted to keep keys)."""
    for path in ("/api/v2/instance", "/api/v1/instance"):
        try:
            response = http.get(f"{base}{path}")
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            data = None
        if isinstance(data, dict):
            return _details(data)
    return {}


def _details(instance: dict) -> dict:
    configuration = instance.get("configuration") or {}
    statuses = configuration.get("statuses") or {}
    attachments = configuration.get("media_attachments") or {}
    version = str(instance.get("version") or "")
    found = {
        "version": version,
        # Only Mastodon itself is known to keep Idempotency-Key.
        "idempotency": bool(_MASTODON_VERSION.match(version)),
        "max_characters": _number(statuses.get("max_characters"))
        or _number(instance.get("max_toot_chars")),
        "characters_reserved_per_url": statuses.get("characters_reserved_per_url"),
        "max_media_attachments": _number(statuses.get("max_media_attachments")),
        "image_size_limit": _number(attachments.get("image_size_limit")),
        "video_size_limit": _number(attachments.get("video_size_limit")),
        "description_limit": _number(attachments.get("description_limit")),
    }
    if _number(found["characters_reserved_per_url"]) is None:
        found["characters_reserved_per_url"] = None
    return {key: value for key, value in found.items() if value not in (None, "")}


def _plain(markup: str) -> str:
    """A status's text without markup or whitespace, for comparing what was sent with what
    the server shows (it links URLs, tags and mentions, and wraps paragraphs)."""
    text = re.sub(r"<br\s*/?>|</p>", " ", markup)
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", "", text)))


class Mastodon(Platform):
    name = "mastodon"
    credential_fields = ("access_token",)
    default_base_url = "https://mastodon.social"
    media_limits = LIMITS
    video_limits = VIDEO_LIMITS
    options = {
        "visibility": "public | unlisted | private | direct",
        "spoiler_text": "a content warning shown before the text",
        "sensitive": "true to hide the media behind a warning",
    }
    first_comments = True

    def limits_for(self, details: dict) -> MediaLimits:
        return replace(
            LIMITS,
            max_images=details.get("max_media_attachments", LIMITS.max_images),
            max_bytes=details.get("image_size_limit", LIMITS.max_bytes),
            max_alt_text=details.get("description_limit", LIMITS.max_alt_text),
        )

    def check_options(self, options: dict) -> dict:
        options = super().check_options(options)
        if options.get("visibility", "public") not in VISIBILITIES:
            raise OptionError(f"mastodon `visibility` must be one of: {', '.join(VISIBILITIES)}.")
        spoiler = options.get("spoiler_text", "")
        if not isinstance(spoiler, str) or len(spoiler) > 500:
            raise OptionError("mastodon `spoiler_text` must be a string of at most 500.")
        if not isinstance(options.get("sensitive", False), bool):
            raise OptionError("mastodon `sensitive` must be true or false.")
        return options

    def resend_safe(self, account: Account, state: dict) -> bool:
        return bool(account.details.get("idempotency"))

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        base = base_url.rstrip("/")
        if not str(credentials.get("access_token") or "").strip():
            raise PlatformError("An access token is required.")
        try:
            response = http.get(
                f"{base}/api/v1/accounts/verify_credentials", headers=_headers(credentials)
            )
        except httpx.HTTPError as error:
            raise PlatformError(f"Could not reach {base}: {error}", 502) from error
        if _token_refused(response):
            raise PlatformError(f"The access token was refused: {error_message(response)}")
        if response.status_code != 200:
            raise verify_failure(response, server="Mastodon", base_url=base)
        try:
            data = response.json()
            account_id, username = str(data["id"]), str(data["username"])
        except (ValueError, KeyError, TypeError) as error:
            raise PlatformError(f"{base} did not answer like a Mastodon server.", 502) from error
        acct = str(data.get("acct") or username)
        if handle.strip() and not _same_user(handle, username):
            raise PlatformError(f"This access token belongs to @{acct}, not {handle.strip()}.")
        return Account(
            handle=acct, account_id=account_id, credentials=dict(credentials),
            details=_describe_server(http, base),
        )

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        base = base_url.rstrip("/")
        headers = _headers(account.credentials)
        try:
            media_ids = [_upload(http, base, headers, media) for media in content.media]
            if not account.details.get("idempotency"):
                # The lookup after an unknown outcome reads statuses made since this.
                content.remember(sent_at=datetime.now(UTC).isoformat())
            outcome = _post_status(http, base, headers, content, media_ids)
        except Stop as stop:
            return stop.outcome
        if outcome.kind == PUBLISHED and content.first_comment:
            outcome.first_comment = _reply(http, base, headers, content, outcome.post_id)
        return outcome

    def landed(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> "Outcome | str | None":
        """The account's latest statuses, for one with our text made since the attempt."""
        since = content.state.get("sent_at")
        if not since:
            return None
        base = base_url.rstrip("/")
        try:
            response = _checked(
                http, "GET", f"{base}/api/v1/accounts/{account.account_id}/statuses",
                headers=_headers(account.credentials), params={"limit": LOOKUP_STATUSES},
            )
            statuses = response.json()
        except (Stop, ValueError):
            return None
        if not isinstance(statuses, list):
            return None
        wanted, after = re.sub(r"\s+", "", content.text), datetime.fromisoformat(since)
        for status in statuses:
            try:
                made = datetime.fromisoformat(str(status["created_at"]).replace("Z", "+00:00"))
                same = _plain(str(status.get("content") or "")) == wanted
                if same and (made - after).total_seconds() > -LOOKUP_SKEW_SECONDS:
                    return _published(status)
            except (KeyError, TypeError, ValueError):
                continue
        return NOT_LANDED


def _upload(http: httpx.Client, base: str, headers: dict, media: Media) -> str:
    form = {"description": media.alt_text} if media.alt_text else {}
    with media.open() as stream:
        files = {"file": (media.filename, stream, media.mime_type)}
        ready, media_id = _media_request(
            http, "POST", f"{base}/api/v2/media", headers=headers, data=form, files=files
        )
    polls = 0
    while not ready and polls < MEDIA_POLLS:
        ready, _ = _media_request(http, "GET", f"{base}/api/v1/media/{media_id}", headers=headers)
        polls += 1
    if ready:
        return media_id
    raise Stop(
        Outcome(
            RETRY,
            error="Mastodon is still processing the media; trying again later.",
            retry_after=PROCESSING_RETRY_SECONDS,
        )
    )


def _status_form(content: Content, media_ids: list[str]) -> dict:
    form: dict = {"status": content.text}
    if media_ids:
        form["media_ids[]"] = media_ids
    if content.language:
        form["language"] = content.language
    options = content.options
    if options.get("visibility"):
        form["visibility"] = options["visibility"]
    if options.get("spoiler_text"):
        form["spoiler_text"] = options["spoiler_text"]
    if options.get("sensitive"):
        form["sensitive"] = "true"
    return form


def _published(status: dict) -> Outcome:
    uri = status.get("uri")
    return Outcome(PUBLISHED, post_id=str(status["id"]), url=status.get("url") or uri, uri=uri)


def _post_status(
    http: httpx.Client, base: str, headers: dict, content: Content, media_ids: list[str]
) -> Outcome:
    if content.idempotency_key:
        headers = {**headers, "Idempotency-Key": content.idempotency_key}
    form = _status_form(content, media_ids)
    response = _checked(http, "POST", f"{base}/api/v1/statuses", headers=headers, data=form)
    try:
        return _published(response.json())
    except (ValueError, KeyError, TypeError) as error:
        # It was accepted but we can't tell which status it is.
        return Outcome(UNKNOWN, error=f"Unreadable answer to a posted status: {error}")


def _reply(http: httpx.Client, base: str, headers: dict, content: Content, post_id) -> dict:
    """The first comment, as a reply to the status, with a key of its own: a retry of the
    reply can't make a second one on a server that keeps keys."""
    form = {"status": content.first_comment, "in_reply_to_id": post_id}
    if content.options.get("visibility"):
        form["visibility"] = content.options["visibility"]
    if content.idempotency_key:
        headers = {**headers, "Idempotency-Key": f"{content.idempotency_key}-first-comment"}
    try:
        status = _checked(http, "POST", f"{base}/api/v1/statuses", headers=headers, data=form)
        reply = _published(status.json())
    except Stop as stop:
        return {"status": "failed", "error": stop.outcome.error}
    except (ValueError, KeyError, TypeError) as error:
        return {"status": "failed", "error": f"Unreadable answer to the reply: {error}"}
    return {"status": "published", "id": reply.post_id, "url": reply.url}


register(Mastodon())
