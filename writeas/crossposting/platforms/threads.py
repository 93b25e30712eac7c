"""Threads, through the Threads API (developers.facebook.com/docs/threads).

A post is a media container, published once processed, as on Instagram (see `graph`): text
(with a link preview for the target's link), one image or video, or a carousel of 2 to 20.
The first comment is a reply: a container with `reply_to_id`, then published.

Threads' long-lived tokens last 60 days and can be renewed while they are still valid, never
after. So the token is renewed on the way to publishing once a week has passed since it
was last known good, and the renewed one is stored; a channel that posts at least every
60 days keeps working. A renewal that fails changes nothing: the token in hand may well
still be good, and the publish itself will say if it isn't.
"""

import re
import time
from collections.abc import Mapping, Sequence

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    VIDEO,
    Account,
    Content,
    Media,
    MediaLimits,
    PlatformError,
    Stop,
    VideoLimits,
)
from writeas.crossposting.platforms.graph import (
    ContainerPlatform,
    Containers,
    Graph,
    Surface,
    verify_error,
)

# Images: JPEG or PNG, 8 MB. The API takes `alt_text` on images and videos.
LIMITS = MediaLimits(
    max_images=20,
    max_bytes=8 * 1024 * 1024,
    max_alt_text=1000,
    mime_types=frozenset({"image/jpeg", "image/png"}),
)
# Videos: MOV or MP4, up to 5 minutes and 1 GB, aspect ratio between 0.01:1 and 10:1.
VIDEO_LIMITS = VideoLimits(
    max_videos=20,
    max_bytes=1024**3,
    max_seconds=300.0,
    aspect_ratios=(0.01, 10.0),
    mixes_with_images=True,
)
CAROUSEL_MAX = 20
RENEW_AFTER = 7 * 86400  # seconds since the token was last known good
# The renewal endpoint has no version in its path.
_VERSION = re.compile(r"/v\d+\.\d+/?$")

SURFACE = Surface(
    name="Threads",
    create_edge="threads",
    publish_edge="threads_publish",
    limit_edge="threads_publishing_limit",
    status_field="status",
    detail_field="error_message",
    listing_edge="threads",
    text_field="text",
)


def _media(media: Media) -> dict:
    alt = {"alt_text": media.alt_text} if media.alt_text else {}
    if media.kind == VIDEO:
        return {"media_type": "VIDEO", "video_url": media.url, **alt}
    return {"media_type": "IMAGE", "image_url": media.url, **alt}


def _renewed(api: Graph, credentials: dict) -> None:
    """Renew the token if a week has passed since it was last known good."""
    try:
        known_good = float(credentials.get("renewed_at") or 0)
    except ValueError:
        known_good = 0.0
    if time.time() - known_good < RENEW_AFTER:
        return
    root = Graph(api.http, _VERSION.sub("", api.base), api.token)
    try:
        renewed = root.get("refresh_access_token", grant_type="th_refresh_token")
    except Stop:
        return
    token = renewed.get("access_token")
    if isinstance(token, str) and token:
        api.token = token
        api.rotated = {**credentials, "access_token": token, "renewed_at": str(int(time.time()))}


class Threads(ContainerPlatform):
    name = "threads"
    default_base_url = "https://graph.threads.net/v1.0"
    credential_fields = ("access_token",)
    media_limits = LIMITS
    video_limits = VIDEO_LIMITS
    surface = SURFACE

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise PlatformError("A Threads access token is required.")
        try:
            me = Graph(http, base_url, token).get("me", fields="id,username")
        except Stop as stop:
            raise verify_error(stop) from stop
        username, user_id = str(me.get("username") or ""), str(me.get("id") or "")
        if not user_id:
            raise PlatformError(f"{base_url} did not answer like the Threads API.", 502)
        wanted = handle.strip().lstrip("@")
        if wanted and wanted.casefold() not in (username.casefold(), user_id):
            raise PlatformError(f"This access token belongs to @{username}, not {wanted}.")
        return Account(
            handle=username or user_id,
            account_id=user_id,
            credentials={"access_token": token, "renewed_at": str(int(time.time()))},
        )

    def session(self, http: httpx.Client, base_url: str, account: Account) -> Graph:
        api = super().session(http, base_url, account)
        _renewed(api, account.credentials)
        return api

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        if len(media) > CAROUSEL_MAX:
            return f"A Threads carousel holds at most {CAROUSEL_MAX} images and videos."
        return None

    def build(self, containers: Containers, content: Content) -> str:
        media = content.media
        if len(media) > 1:
            return containers.carousel(
                [_media(item) for item in media], media_type="CAROUSEL", text=content.text
            )
        if media:
            return containers.create(**_media(media[0]), text=content.text)
        link = {"link_attachment": content.link} if content.link else {}
        return containers.create(media_type="TEXT", text=content.text, **link)

    def comment(self, api: Graph, account: Account, post_id: str, text: str) -> dict:
        """Text-only containers need no processing, so the reply is published at once; if
        Threads isn't ready, its refusal is the comment's failure."""
        user = account.account_id
        reply = api.create(f"{user}/threads", media_type="TEXT", text=text, reply_to_id=post_id)
        return {"id": api.create(f"{user}/threads_publish", creation_id=reply)}


register(Threads())
