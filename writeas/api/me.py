"""/api/me: the authenticated user and what they own."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import require_user
from writeas.api.openapi import operation, query
from writeas.http.envelope import ok
from writeas.services import blogs, posts
from writeas.services.visibility import Reader

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("")
@operation(id="me", summary="The authenticated user.", tag="Users", answer=shapes.User, auth=True)
def me():
    return ok(shapes.user_json(require_user()))


@bp.get("/posts")
@operation(
    id="myPosts", summary="The user's posts, newest first.", tag="Users",
    answer=list[shapes.Post], auth=True,
    parameters=(query("anonymous", {"type": "string"}, "1, true or yes: only posts in no blog."),),
)
def my_posts():
    user = require_user()
    anonymous_only = request.args.get("anonymous", "").lower() in {"1", "true", "yes"}
    return ok(
        [
            shapes.post_json(p, views=posts.views(p))
            for p in posts.owned_by(user, anonymous_only=anonymous_only)
        ]
    )


@bp.get("/collections")
@operation(
    id="myCollections", summary="The user's blogs.", tag="Users",
    answer=list[shapes.Collection], auth=True,
)
def my_collections():
    user = require_user()
    reader = Reader(user=user)
    return ok(
        [
            shapes.collection_json(c, total_posts=blogs.total_posts(c, reader), owner=True)
            for c in blogs.of_user(user)
        ]
    )
