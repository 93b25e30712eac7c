"""What a delivery sends: the post shaped for its platform (a short post with the title, an
excerpt and the permalink, or the whole post with a canonical link) plus its media, each
image fitted to the platform's limits and each video in a form the platform plays; or, for
a standalone social post, the target's own text, title and link."""

from writeas.core.models import Delivery, MediaFile
from writeas.crossposting import formatting
from writeas.crossposting.platforms.base import IMAGE, Content, Media, Platform
from writeas.http.urls import collection_url, post_url, site_url
from writeas.services import media as media_files
from writeas.services.video import VideoError
from writeas.text.rendering import render_markdown


def permalink(delivery: Delivery) -> str:
    post = delivery.post
    base = delivery.batch.site_url
    if post.collection is not None and post.slug:
        return collection_url(post.collection.alias, base) + post.slug
    return post_url(post.id, base)


def _playable(item: MediaFile, platform: Platform) -> MediaFile:
    """The video itself, or its H.264/AAC MP4 copy where the platform refuses its
    container or codecs (made here, in the worker, never in the request: encoding takes
    as long as the video). A video FFmpeg can't convert fails the delivery for good."""
    limits = platform.video_limits
    if limits is None or not limits.takes_h264_copy:
        return item
    if limits.takes_as_is(item.mime_type, item.video_codec, item.audio_codec):
        return item
    try:
        return media_files.h264_copy(item)
    except VideoError as error:
        raise ValueError(
            f"Video {item.id} can't be converted to H.264 for {platform.name}: {error}."
        ) from None


def _media(item: MediaFile, platform: Platform, details: dict, base: str) -> Media:
    """An image is fitted to the platform's byte limit now; a video is streamed from the
    store by the adapter, so only its description travels."""
    image = getattr(item, "kind", IMAGE) == IMAGE
    if not image:
        item = _playable(item, platform)
    url = site_url(base) + media_files.public_path(item)
    described = {
        "alt_text": item.alt_text, "url": url, "width": item.width, "height": item.height,
    }
    if image:
        data, mime_type = media_files.fit(item, platform.limits_for(details).max_bytes)
        filename = f"{item.id}.{mime_type.split('/')[1]}"
        return Media(data, mime_type, filename=filename, size=len(data), **described)
    return Media(
        b"", item.mime_type, filename=media_files.public_path(item).rsplit("/", 1)[1],
        kind=item.kind, size=item.size, duration=item.duration,
        opener=lambda: media_files.open_stream(item), **described,
    )


def build(
    delivery: Delivery, platform: Platform, media: list[MediaFile], details: dict | None = None
) -> Content:
    """`details` is what the channel's server told us of itself (its character limit)."""
    details = details or {}
    spec = formatting.for_account(platform.name, details)
    target = delivery.target or {}
    base = delivery.batch.site_url
    post = delivery.post
    if post is None:
        text = delivery.text or ""
        title, url, markdown, html, tags, language = target.get("title", ""), "", text, "", [], ""
        if spec.long_form:
            html = render_markdown(text)
    else:
        url = permalink(delivery)
        title = target.get("title") or post.title or post.display_title
        if spec.long_form:
            text = formatting.compose_long(title, delivery.text or post.body, url, platform.name)[
                "markdown"
            ]
            markdown = text
        else:
            text = formatting.compose_short(title, post.excerpt, url, spec, override=delivery.text)
            markdown = post.body
        html, tags, language = post.body_html, list(post.tags or []), post.language
    return Content(
        text=text,
        title=title,
        markdown=markdown,
        html=html,
        canonical_url=url,
        tags=tags,
        language=language,
        media=[_media(item, platform, details, base) for item in media],
        idempotency_key=delivery.idempotency_key,
        link=target.get("link") or url,
        board_id=target.get("board_id", ""),
        options=dict(target.get("options") or {}),
        first_comment=target.get("first_comment", ""),
        state=dict(delivery.platform_state or {}),
    )
