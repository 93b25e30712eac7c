"""The JSON shapes of the Write.as API, built from models in one place."""

from writeas.core.clock import rfc3339
from writeas.core.models import Collection, Post, User
from writeas.http.urls import collection_url


def user_json(user: User) -> dict:
    return {
        "username": user.username,
        "email": user.email or "",
        "created": rfc3339(user.created),
    }


def collection_json(collection: Collection, *, total_posts: int, owner: bool = False) -> dict:
    data = {
        "alias": collection.alias,
        "title": collection.title,
        "description": collection.description,
        "style_sheet": collection.style_sheet,
    }
    if owner:
        # Write.as's post-by-email address; this server has no mail gateway, so none.
        data["email"] = ""
    data.update(
        visibility=collection.visibility,
        public=collection.visibility == "public",
        private=collection.visibility == "private",
        total_posts=total_posts,
        url=collection_url(collection.alias),
    )
    return data


def collection_ref(collection: Collection) -> dict:
    return {
        "alias": collection.alias,
        "title": collection.title,
        "url": collection_url(collection.alias),
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
    if post.collection is not None:
        data["collection"] = collection_ref(post.collection)
        if post.pinned_position is not None:
            data["pinned_position"] = post.pinned_position
    return data
