"""/api/posts: the Posts section of the spec."""

from flask import Blueprint

from writeas.api.authentication import current_reader, current_user
from writeas.api.idempotent import idempotent
from writeas.api.shapes import post_json
from writeas.http import request_body
from writeas.http.envelope import no_content, ok
from writeas.services import payload, posts, publishing

bp = Blueprint("posts", __name__, url_prefix="/posts")


@bp.post("")
@idempotent
def publish():
    post, token = publishing.publish(request_body.read(), current_user())
    return ok(post_json(post, token=token), 201)


@bp.get("/<post_id>")
def retrieve(post_id):
    reader = current_reader()
    post = posts.readable(post_id, reader)
    posts.record_view(post, reader)
    return ok(post_json(post, views=posts.views(post)))


@bp.route("/<post_id>", methods=["POST", "PUT"])
def update(post_id):
    data = request_body.read()
    post = posts.update(post_id, data, current_user(), request_body.token_from_request(data))
    return ok(post_json(post, views=posts.views(post)))


@bp.delete("/<post_id>")
def delete(post_id):
    data = payload.require_mapping(request_body.read())
    posts.delete(post_id, current_user(), request_body.token_from_request(data))
    return no_content()


@bp.post("/claim")
def claim():
    results = posts.claim(request_body.read(), current_user())
    return ok(
        [
            {**result, "post": post_json(post, views=posts.views(post))} if post else result
            for result, post in results
        ]
    )
