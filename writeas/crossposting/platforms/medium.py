"""Medium, through its REST API (v1) with a self-issued integration token.

Medium takes the article as Markdown. The title has to be repeated inside the content to be
shown on the page (the `title` field is only used for listings), images are uploaded first
to `/v1/images` and then referenced from the Markdown, and `canonicalUrl` points readers
and search engines back at the original.

Integration tokens don't expire and there is no refresh: a 401 means reconnecting. Medium
has no idempotency mechanism either, so a repeated request makes a second post; an
UNKNOWN outcome here must not be retried blindly.
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
    failure,
)
from writeas.crossposting.platforms.base import (
    send as base_send,
)

# Medium's API documentation names no limits for images or alt text. 25 MB is the upload
# size Medium's help centre gives for images; 10 images and 1000 characters of alt text are
# our own conservative bounds, not Medium's published numbers. The content types are the
# ones `/v1/images` documents (it does not list WebP).
MEDIUM_MEDIA_LIMITS = MediaLimits(
    max_images=10,
    max_bytes=25 * 1024 * 1024,
    max_alt_text=1000,
    mime_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/tiff"}),
)
# "Only the first three will be used. Tags longer than 25 characters will be ignored."
MAX_TAGS = 3
MAX_TAG_LENGTH = 25


def send(http: httpx.Client, method: str, url: str, token: str, **kwargs):
    """Medium's `{errors: [{message, code}]}` is read by the shared `error_message`."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return base_send(http, method, url, headers=headers, **kwargs)


def medium_tags(tags: list[str]) -> list[str]:
    """Medium silently drops tags beyond its limits; pick the ones it will keep instead of
    letting an over-long tag take one of the three places."""
    usable = [tag.strip() for tag in tags if tag.strip() and len(tag.strip()) <= MAX_TAG_LENGTH]
    return usable[:MAX_TAGS]


def image_markdown(url: str, alt_text: str) -> str:
    alt = " ".join(alt_text.split())
    for char in "\\[]":
        alt = alt.replace(char, "\\" + char)
    return f"![{alt}]({url})"


def article_markdown(content: Content, image_urls: list[tuple[str, str]]) -> str:
    parts = []
    if content.title:
        parts.append(f"# {content.title}")
    parts += [image_markdown(url, alt) for url, alt in image_urls]
    body = (content.markdown or content.text).strip()
    if body:
        parts.append(body)
    # The composed article usually ends with its own "originally published" line already.
    if content.canonical_url and content.canonical_url not in body:
        url = content.canonical_url
        parts.append(f"*Originally published at [{url}]({url}).*")
    return "\n\n".join(parts)


class Medium(Platform):
    name = "medium"
    credential_fields = ("integration_token",)
    default_base_url = "https://api.medium.com"
    media_limits = MEDIUM_MEDIA_LIMITS

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        """`/v1/me` both proves the token and gives the author id that posting needs."""
        token = credentials.get("integration_token", "")
        if not token:
            raise PlatformError("A Medium integration token is required.")
        response = send(http, "GET", f"{base_url.rstrip('/')}/v1/me", token)
        if isinstance(response, httpx.Response) and response.status_code < 400:
            try:
                user = response.json()["data"]
                user_id, username = str(user["id"]), str(user["username"])
            except (ValueError, KeyError, TypeError):
                raise PlatformError("Medium answered /v1/me unexpectedly.", 502) from None
            wanted = handle.strip().removeprefix("@").lower()
            if wanted and wanted != username.lower():
                raise PlatformError(f"This token belongs to @{username}, not @{wanted}.")
            return Account(username, user_id, dict(credentials))
        outcome = failure(response)
        status = 502 if outcome.kind in (RETRY, UNKNOWN) else 400
        raise PlatformError(outcome.error or "Medium refused the token.", status)

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        base_url = base_url.rstrip("/")
        token = account.credentials.get("integration_token", "")
        image_urls = []
        for media in content.media:
            uploaded = self._upload(http, base_url, token, media)
            if isinstance(uploaded, Outcome):
                return uploaded
            image_urls.append((uploaded, media.alt_text))
        post = {
            "title": content.title,
            "contentFormat": "markdown",
            "content": article_markdown(content, image_urls),
            "tags": medium_tags(content.tags),
            "publishStatus": "public",
        }
        if content.canonical_url:
            post["canonicalUrl"] = content.canonical_url
        url = f"{base_url}/v1/users/{account.account_id}/posts"
        response = send(http, "POST", url, token, json=post)
        if isinstance(response, Outcome) or response.status_code >= 400:
            return failure(response)
        try:
            created = response.json()["data"]
            return Outcome(PUBLISHED, post_id=str(created["id"]), url=created.get("url"))
        except (ValueError, KeyError, TypeError):
            return Outcome(PUBLISHED, error="Medium's answer did not name the new post")

    def _upload(self, http: httpx.Client, base_url: str, token: str, media: Media):
        """One image per request, in the multipart field `image`. The post doesn't exist
        yet, so even an unanswered upload leaves nothing published: that is a RETRY."""
        files = {"image": (media.filename, media.data, media.mime_type)}
        response = send(http, "POST", f"{base_url}/v1/images", token, files=files)
        if isinstance(response, Outcome) or response.status_code >= 400:
            outcome = failure(response)
            if outcome.kind == UNKNOWN:
                outcome.kind = RETRY
            return outcome
        try:
            return str(response.json()["data"]["url"])
        except (ValueError, KeyError, TypeError):
            return Outcome(RETRY, error="Medium's image upload answered without a URL")


register(Medium())
