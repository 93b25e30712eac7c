"""LinkedIn, through the versioned Posts API (`/rest/posts`) and Images API, with a member's
OAuth 2 access token (OpenID Connect `/v2/userinfo` names the member).

`commentary` is in LinkedIn's "little" text format, where `\\ | { } @ [ ] ( ) < > # * _ ~`
are markup: left unescaped, LinkedIn silently cuts the post at the first one. Every
reserved character is therefore escaped, except that a `#tag` (the same hashtag rule as
the rest of the crossposter) becomes the documented template `{hashtag|\\#|tag}` so it
stays a clickable hashtag. Links are escaped too: the escapes only exist in the markup,
and LinkedIn links URLs in the resulting plain text.

LinkedIn has no idempotency handle, but it refuses an exact repeat of a recent post with
422 `DUPLICATE_POST` naming the post it already has; that answer means "already
published", which makes retrying an UNKNOWN outcome safe here. Member tokens get no
refresh in this integration: a 401 means reconnecting.
"""

import re

import httpx
import regex

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
    failure,
)
from writeas.crossposting.platforms.base import (
    send as base_send,
)

# LinkedIn sunsets each monthly API version about a year after release (202505 was gone
# by May 2026), so this has to move forward with the calendar.
API_VERSION = "202609"
# The Posts API documents altText up to 4086 characters and multiImage as 2 to 20 images.
# The 10 MB per image is not a number from LinkedIn's API reference (the Images API states
# a pixel limit, 36,152,320); it is the figure LinkedIn's help pages give for images in
# posts, kept as a conservative bound.
LINKEDIN_MEDIA_LIMITS = MediaLimits(max_images=20, max_bytes=10 * 1024 * 1024, max_alt_text=4086)

_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
# Same shape as writeas.crosspost.formatting's hashtags: starts a word, one letter at least.
_HASHTAG = regex.compile(r"(?<![^\s(\[])#(?=[\p{M}\p{N}_]*\p{L})([\p{L}\p{M}\p{N}_]+)")
_AUTHOR = re.compile(r"^urn:li:(person|organization):[A-Za-z0-9_-]+$")
_DUPLICATE = re.compile(r"duplicate of (urn:li:[A-Za-z]+:[0-9A-Za-z_-]+)")


def escape_little(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def little_text(text: str) -> str:
    """Plain text as little-format commentary: everything escaped, hashtags templated."""
    parts, position = [], 0
    for match in _HASHTAG.finditer(text):
        parts.append(escape_little(text[position : match.start()]))
        parts.append("{hashtag|\\#|" + escape_little(match.group(1)) + "}")
        position = match.end()
    parts.append(escape_little(text[position:]))
    return "".join(parts)


def api_headers(token: str) -> dict:
    return {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": API_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }


def send(http: httpx.Client, method: str, url: str, headers: dict, **kwargs):
    """LinkedIn's errors are `{message, status, serviceErrorCode?}`; the shared reading
    takes `message` verbatim."""
    return base_send(http, method, url, headers=headers, **kwargs)


def already_published(response: httpx.Response) -> str | None:
    """The post URN from a 422 DUPLICATE_POST ("Content is a duplicate of urn:li:share:…")."""
    if response.status_code != 422:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    match = _DUPLICATE.search(str(data.get("message", ""))) if isinstance(data, dict) else None
    return match.group(1) if match else None


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}"


def media_content(images: list[tuple[str, str]]) -> dict:
    """One image is `content.media`; two or more need `content.multiImage`."""
    entries = []
    for urn, alt_text in images:
        entry = {"id": urn}
        if alt_text:
            entry["altText"] = alt_text
        entries.append(entry)
    if len(entries) == 1:
        return {"media": entries[0]}
    return {"multiImage": {"images": entries}}


class LinkedIn(Platform):
    name = "linkedin"
    credential_fields = ("access_token", "author_urn")
    default_base_url = "https://api.linkedin.com"
    media_limits = LINKEDIN_MEDIA_LIMITS

    def resend_safe(self, account: Account, state: dict) -> bool:
        """LinkedIn answers a repeated post with DUPLICATE_POST and the post it has, which
        `publish` reports as published."""
        return True

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        """The member behind the token is the author, unless the credentials name another
        author: the member's own URN, or an organization page they post for."""
        token = credentials.get("access_token", "")
        if not token:
            raise PlatformError("A LinkedIn access token is required.")
        url = f"{base_url.rstrip('/')}/v2/userinfo"
        response = send(http, "GET", url, {"Authorization": f"Bearer {token}"})
        if isinstance(response, Outcome) or response.status_code >= 400:
            outcome = failure(response)
            status = 502 if outcome.kind in (RETRY, UNKNOWN) else 400
            raise PlatformError(outcome.error or "LinkedIn refused the token.", status)
        try:
            member = response.json()
            person = f"urn:li:person:{member['sub']}"
        except (ValueError, KeyError, TypeError):
            raise PlatformError("LinkedIn answered /v2/userinfo unexpectedly.", 502) from None
        author = self._author(credentials.get("author_urn") or person, person)
        return Account(
            handle.strip() or str(member.get("name") or author), author, dict(credentials)
        )

    def _author(self, author: str, person: str) -> str:
        kind = _AUTHOR.match(author)
        if not kind:
            raise PlatformError(f"{author!r} is not a LinkedIn person or organization URN.")
        if kind.group(1) == "person" and author != person:
            raise PlatformError(f"This token belongs to {person}, not {author}.")
        return author

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        base_url = base_url.rstrip("/")
        headers = api_headers(account.credentials.get("access_token", ""))
        images = []
        for media in content.media:
            uploaded = self._upload(http, base_url, headers, account.account_id, media)
            if isinstance(uploaded, Outcome):
                return uploaded
            images.append((uploaded, media.alt_text))
        post = {
            "author": account.account_id,
            "commentary": little_text(content.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if images:
            post["content"] = media_content(images)
        response = send(http, "POST", f"{base_url}/rest/posts", headers, json=post)
        if isinstance(response, Outcome):
            return response
        if response.status_code >= 400:
            urn = already_published(response)
            if urn:
                return Outcome(PUBLISHED, post_id=urn, url=post_url(urn))
            return failure(response)
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            return Outcome(PUBLISHED, error="LinkedIn's answer did not name the new post")
        return Outcome(PUBLISHED, post_id=urn, url=post_url(urn))

    def _upload(self, http, base_url: str, headers: dict, owner: str, media: Media):
        """Register the upload, then PUT the bytes to the URL LinkedIn hands back. The post
        doesn't exist yet, so an unanswered step leaves nothing published: RETRY."""
        body = {"initializeUploadRequest": {"owner": owner}}
        url = f"{base_url}/rest/images?action=initializeUpload"
        response = send(http, "POST", url, headers, json=body)
        if isinstance(response, Outcome) or response.status_code >= 400:
            return self._before_post(failure(response))
        try:
            value = response.json()["value"]
            upload_url, image = str(value["uploadUrl"]), str(value["image"])
        except (ValueError, KeyError, TypeError):
            return Outcome(RETRY, error="LinkedIn's initializeUpload answered unexpectedly")
        put_headers = {"Authorization": headers["Authorization"], "Content-Type": media.mime_type}
        response = send(http, "PUT", upload_url, put_headers, content=media.data)
        if isinstance(response, Outcome) or response.status_code >= 400:
            return self._before_post(failure(response))
        return image

    @staticmethod
    def _before_post(outcome: Outcome) -> Outcome:
        if outcome.kind == UNKNOWN:
            outcome.kind = RETRY
        return outcome


register(LinkedIn())
