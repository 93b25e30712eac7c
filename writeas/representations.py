"""The JSON shapes of the Write.as API, built from models in one place."""

from .clock import rfc3339
from .models import Collection, Post, User


def user_json(user: User) -> dict:
    return {
        "username": user.username,
        "email": user.email or "",
        "created": rfc3339(user.created),
    }


def collection_json(collection: Collection, *, total_posts: int, url: str) -> dict:
    return {
        "alias": collection.alias,
        "title": collection.title,
        "description": collection.description,
        "style_sheet": collection.style_sheet,
        "public": collection.visibility == "public",
        "private": collection.visibility == "private",
        "total_posts": total_posts,
        "url": url,
    }


def post_json(post: Post, *, token: str | None = None, views: int | None = None) -> dict:
    """A post as the API shows it; `token` only on publish, `views` everywhere else."""
    data = {"id": post.id, "slug": post.slug}
    if token is not None:
        data["token"] = token
    data.update(
        appearance=post.appearance,
        language=post.language,
        rtl=post.rtl,
        created=rfc3339(post.created),
        updated=rfc3339(post.updated),
        title=post.title,
        body=post.body,
        tags=list(post.tags or []),
    )
    if views is not None:
        data["views"] = views
    return data
