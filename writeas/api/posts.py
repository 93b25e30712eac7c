"""/api/posts: the Posts section of the spec."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_reader, current_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import COLLECTION_PASSWORD, TOKEN_QUERY, operation
from writeas.http import conditional, request_body
from writeas.http.envelope import no_content, ok
from writeas.services import payload, posts, publishing

bp = Blueprint("posts", __name__, url_prefix="/posts")
_UPDATE = {
    "answer": shapes.Post, "errors": (400, 403, 404, 410), "tag": "Posts",
    "parameters": (TOKEN_QUERY,), "body": shapes.UpdateRequest, "body_required": False,
}


@bp.post("")
@idempotent
@operation(
    id="publishPost", summary="Publish a post; owned by the token's user, else anonymous.",
    tag="Posts", answer=shapes.Post, status=201, body=shapes.PublishRequest,
)
def publish():
    post, token = publishing.publish(request_body.read(), current_user())
    return ok(shapes.post_json(post, token=token), 201)


@bp.get("/<post_id>")
@operation(
    id="retrievePost", summary="Retrieve a post.", tag="Posts", answer=shapes.Post,
    errors=(403, 404, 410, 429), parameters=(COLLECTION_PASSWORD,),
)
def retrieve(post_id):
    reader = current_reader()
    post = posts.readable(post_id, reader)
    posts.record_view(post, reader)
    return conditional.respond(
        shapes.post_etag(post, request.url_root),
        conditional.last_modified(post.updated, post.collection and post.collection.updated),
        lambda: ok(shapes.post_json(post, views=posts.views(post))),
    )


@bp.route("/<post_id>", methods=["POST", "PUT"])
@operation(
    "POST", id="updatePost",
    summary='Update with the modify token or as the owner; `body: ""` unpublishes (410).',
    **_UPDATE,
)
@operation("PUT", id="replacePost", summary="The same as POST.", **_UPDATE)
def update(post_id):
    data = request_body.read()
    post = posts.update(post_id, data, current_user(), request_body.token_from_request(data))
    return ok(shapes.post_json(post, views=posts.views(post)))


@bp.delete("/<post_id>")
@operation(
    id="deletePost", summary="Delete with the modify token or as the owner.", tag="Posts",
    errors=(400, 403, 404), parameters=(TOKEN_QUERY,), body=shapes.TokenRequest,
    body_required=False,
)
def delete(post_id):
    data = payload.require_mapping(request_body.read())
    posts.delete(post_id, current_user(), request_body.token_from_request(data))
    return no_content()


@bp.post("/claim")
@operation(
    id="claimPosts", summary="Claim anonymous posts; one result per item.", tag="Posts",
    answer=list[shapes.ClaimResult], errors=(400,), auth=True, body=shapes.PostToken,
    body_as="array", body_description="Each post's id and modify token.",
)
def claim():
    results = posts.claim(request_body.read(), current_user())
    return ok(shapes.claim_results_json(results, posts.views))
