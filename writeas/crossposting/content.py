"""What a delivery sends: the post shaped for its platform (a short post with the title, an
excerpt and the permalink, or the whole post with a canonical link) plus its images, each
fitted to the platform's limits."""

from writeas.core.models import Delivery, MediaFile
from writeas.crossposting import formatting
from writeas.crossposting.platforms.base import Content, Media, Platform
from writeas.http.urls import collection_url, post_url
from writeas.services.media import fit


def permalink(delivery: Delivery) -> str:
    post = delivery.post
    base = delivery.batch.site_url
    if post.collection is not None and post.slug:
        return collection_url(post.collection.alias, base) + post.slug
    return post_url(post.id, base)


def build(delivery: Delivery, platform: Platform, media: list[MediaFile]) -> Content:
    post = delivery.post
    url = permalink(delivery)
    title = post.title or post.display_title
    spec = formatting.PLATFORMS[platform.name]
    if spec.long_form:
        markdown = formatting.compose_long(title, delivery.text or post.body, url, platform.name)[
            "markdown"
        ]
        text = markdown
    else:
        text = formatting.compose_short(
            title, post.excerpt, url, platform.name, override=delivery.text
        )
        markdown = post.body
    limits = platform.media_limits
    images = []
    for item in media:
        data, mime_type = fit(item, limits.max_bytes)
        images.append(
            Media(
                data=data,
                mime_type=mime_type,
                alt_text=item.alt_text,
                filename=f"{item.id}.{mime_type.split('/')[1]}",
            )
        )
    return Content(
        text=text,
        title=title,
        markdown=markdown,
        html=post.body_html,
        canonical_url=url,
        tags=list(post.tags or []),
        language=post.language,
        media=images,
        idempotency_key=delivery.idempotency_key,
    )
