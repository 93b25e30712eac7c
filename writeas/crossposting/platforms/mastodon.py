"""Mastodon, on any instance, through its documented REST API (docs.joinmastodon.org).

A status is posted with the delivery's `Idempotency-Key`: Mastodon answers a repeated key
(same account, within an hour) with the status it already created, so a retry after an
unknown outcome can never post twice. Images are uploaded first; an upload that is lost or
refused leaves nothing visible, so its failures are always safe to retry.
"""

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
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
    checked,
    verify_failure,
)

# Mastodon 4.x: four attachments per status, 16 MB per image, 1500 characters of alt text.
LIMITS = MediaLimits(max_images=4, max_bytes=16 * 1024 * 1024, max_alt_text=1500)
# A large image may still be processing after the upload answers (202). We ask again this
# many times within one attempt (the adapter never sleeps), then let the engine retry later.
MEDIA_POLLS = 10
PROCESSING_RETRY_SECONDS = 10.0


def _headers(credentials: dict) -> dict:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


def _media_request(http: httpx.Client, method: str, url: str, **kwargs) -> tuple[bool, str]:
    """Whether the attachment is ready (processed, `url` set), and its id.

    No status exists yet while media is handled, so an unanswered upload only leaves an
    unattached file behind (which Mastodon discards): retrying is safe."""
    try:
        response = checked(http, method, url, **kwargs)
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


class Mastodon(Platform):
    name = "mastodon"
    credential_fields = ("access_token",)
    default_base_url = "https://mastodon.social"
    media_limits = LIMITS

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
        return Account(handle=acct, account_id=account_id, credentials=dict(credentials))

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        base = base_url.rstrip("/")
        headers = _headers(account.credentials)
        try:
            media_ids = [_upload(http, base, headers, media) for media in content.media]
            return _post_status(http, base, headers, content, media_ids)
        except Stop as stop:
            return stop.outcome


def _upload(http: httpx.Client, base: str, headers: dict, media: Media) -> str:
    form = {"description": media.alt_text} if media.alt_text else {}
    files = {"file": (media.filename, media.data, media.mime_type)}
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
            error="Mastodon is still processing an image; trying again later.",
            retry_after=PROCESSING_RETRY_SECONDS,
        )
    )


def _post_status(
    http: httpx.Client, base: str, headers: dict, content: Content, media_ids: list[str]
) -> Outcome:
    form: dict = {"status": content.text}
    if media_ids:
        form["media_ids[]"] = media_ids
    # `Content` carries no language yet; use it as soon as it does.
    language = getattr(content, "language", "")
    if language:
        form["language"] = language
    if content.idempotency_key:
        headers = {**headers, "Idempotency-Key": content.idempotency_key}
    response = checked(http, "POST", f"{base}/api/v1/statuses", headers=headers, data=form)
    try:
        status = response.json()
        post_id = str(status["id"])
    except (ValueError, KeyError, TypeError) as error:
        # It was accepted but we can't tell which status it is; the key makes a retry safe.
        return Outcome(UNKNOWN, error=f"Unreadable answer to a posted status: {error}")
    uri = status.get("uri")
    return Outcome(PUBLISHED, post_id=post_id, url=status.get("url") or uri, uri=uri)


register(Mastodon())
