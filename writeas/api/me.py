"""/api/me: the authenticated user and what they own."""

from flask import Blueprint, request

from writeas.api.authentication import require_user
from writeas.api.shapes import collection_json, post_json, user_json
from writeas.http.envelope import ok
from writeas.services import blogs, posts
from writeas.services.visibility import Reader

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("")
def me():
    return ok(user_json(require_user()))


@bp.get("/posts")
def my_posts():
    user = require_user()
    anonymous_only = request.args.get("anonymous", "").lower() in {"1", "true", "yes"}
    return ok(
        [
            post_json(p, views=posts.views(p))
            for p in posts.owned_by(user, anonymous_only=anonymous_only)
        ]
    )


@bp.get("/collections")
def my_collections():
    user = require_user()
    reader = Reader(user=user)
    return ok(
        [
            collection_json(c, total_posts=blogs.total_posts(c, reader), owner=True)
            for c in blogs.of_user(user)
        ]
    )
