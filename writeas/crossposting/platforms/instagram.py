"""Instagram professional accounts, through the Instagram Graph API with Facebook Login
(developers.facebook.com/docs/instagram-platform/content-publishing).

A post is a media container Meta makes by fetching our media from its public URL: an
image, a reel (every video: Meta publishes feed videos as reels now), a story, or a
carousel of 2 to 10 items whose own containers are made first. See `graph` for how the
container id makes every attempt resumable and a second post impossible.

The user connects with a Facebook user access token; the account is found among the
Instagram accounts linked to the Pages that token manages, and the linked Page's own
token is kept for publishing: Page tokens from a long-lived user token don't expire.
"""

from collections.abc import Mapping, Sequence

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    VIDEO,
    Account,
    Content,
    Media,
    MediaLimits,
    OptionError,
    PlatformError,
    Stop,
    VideoLimits,
)
from writeas.crossposting.platforms.graph import (
    FACEBOOK_GRAPH,
    ContainerPlatform,
    Containers,
    Graph,
    Surface,
    managed_pages,
    verify_error,
)

# Images: JPEG only, 8 MB. Alt text on images, 1000 characters (as on Threads).
LIMITS = MediaLimits(
    max_images=10,
    max_bytes=8 * 1024 * 1024,
    max_alt_text=1000,
    mime_types=frozenset({"image/jpeg"}),
)
# Reels: MOV or MP4, H.264 or HEVC, 3 seconds to 15 minutes, up to 1 GB, an aspect ratio
# between 0.01:1 and 10:1 (9:16 recommended). A carousel may mix videos and images.
VIDEO_LIMITS = VideoLimits(
    max_videos=10,
    max_bytes=1024**3,
    min_seconds=3.0,
    max_seconds=15 * 60.0,
    aspect_ratios=(0.01, 10.0),
    mixes_with_images=True,
)
CAROUSEL_MAX = 10
STORY_VIDEO_SECONDS = 60.0
FORMATS = ("feed", "reels", "stories")
# What a user may do on the Page linked to the account to publish to it.
PUBLISHING_TASKS = {"MANAGE", "CREATE_CONTENT", "MODERATE", "ADVERTISE"}

SURFACE = Surface(
    name="Instagram",
    create_edge="media",
    publish_edge="media_publish",
    limit_edge="content_publishing_limit",
    status_field="status_code",
    detail_field="status",
    listing_edge="media",
    text_field="caption",
)


def _format(options: Mapping) -> str:
    return options.get("format") or "feed"


def _bare(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def _item(media: Media) -> dict:
    """A carousel item's container."""
    if media.kind == VIDEO:
        return {"media_type": "VIDEO", "video_url": media.url}
    return {"image_url": media.url, **({"alt_text": media.alt_text} if media.alt_text else {})}


class Instagram(ContainerPlatform):
    name = "instagram"
    default_base_url = FACEBOOK_GRAPH
    credential_fields = ("access_token",)
    media_limits = LIMITS
    video_limits = VIDEO_LIMITS
    options = {
        "format": "feed (default: an image, a carousel, or a video as a reel shown in the "
        "feed too) | reels (one video, in the Reels tab only) | stories (one image or a "
        "video of up to 60 s)"
    }
    surface = SURFACE

    def check_options(self, options: dict) -> dict:
        options = super().check_options(options)
        if "format" in options and options["format"] not in FORMATS:
            raise OptionError(
                f"instagram option `format` must be one of {', '.join(FORMATS)}, "
                f"not {options['format']!r}."
            )
        return options

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise PlatformError("A Facebook user access token is required.")
        if not _bare(handle):
            raise PlatformError("The Instagram username (or account id) is required.")
        fields = "id,name,access_token,tasks,instagram_business_account{id,username}"
        try:
            pages = managed_pages(Graph(http, base_url, token), fields)
        except Stop as stop:
            raise verify_error(stop) from stop
        for page in pages:
            linked = page.get("instagram_business_account") or {}
            if _bare(handle) not in (_bare(str(linked.get("username") or "")), linked.get("id")):
                continue
            if not PUBLISHING_TASKS & set(page.get("tasks") or []):
                raise PlatformError(
                    f"This token can't publish for the Page {page.get('name')}, which "
                    f"@{linked.get('username')} is linked to."
                )
            return Account(
                handle=str(linked.get("username") or linked["id"]),
                account_id=str(linked["id"]),
                credentials={"access_token": str(page.get("access_token") or token)},
                details={"page_id": str(page.get("id")), "page_name": str(page.get("name"))},
            )
        raise PlatformError(
            f"No Instagram professional account {handle.strip()} is linked to a Facebook "
            "Page this token manages."
        )

    def containers(self, api: Graph, account: Account, content: Content) -> Containers:
        if _format(content.options) == "stories":
            # Stories have no caption and are listed apart from the feed.
            return Containers(
                api, SURFACE, account.account_id, content, listing_edge="stories", match_text=False
            )
        return super().containers(api, account, content)

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        form = _format(options)
        videos = [item for item in media if item.kind == VIDEO]
        if not media:
            return "Instagram posts need an image or a video."
        if form == "reels" and (len(media) != 1 or not videos):
            return "An Instagram reel is one video, alone."
        if form == "stories" and len(media) != 1:
            return "An Instagram story is one image or one video."
        if form == "stories" and videos and videos[0].duration > STORY_VIDEO_SECONDS:
            return (
                f"An Instagram story video may be at most {STORY_VIDEO_SECONDS:g} seconds "
                f"long (this one is {videos[0].duration:g})."
            )
        if len(media) > CAROUSEL_MAX:
            return f"An Instagram carousel holds at most {CAROUSEL_MAX} images and videos."
        return None

    def build(self, containers: Containers, content: Content) -> str:
        form = _format(content.options)
        if len(content.media) > 1:
            return containers.carousel(
                [_item(item) for item in content.media], media_type="CAROUSEL", caption=content.text
            )
        item = content.media[0]
        source = {"video_url": item.url} if item.kind == VIDEO else {"image_url": item.url}
        if form == "stories":
            return containers.create(media_type="STORIES", **source)
        if item.kind == VIDEO:
            return containers.create(
                media_type="REELS",
                **source,
                caption=content.text,
                share_to_feed="true" if form == "feed" else "false",
            )
        alt = {"alt_text": item.alt_text} if item.alt_text else {}
        return containers.create(**source, caption=content.text, **alt)

    def comment(self, api: Graph, account: Account, post_id: str, text: str) -> dict:
        return {"id": api.create(f"{post_id}/comments", message=text)}


register(Instagram())
