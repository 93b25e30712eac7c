"""/api/collections: the Collections section of the spec."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_reader, current_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import COLLECTION_PASSWORD, operation, query
from writeas.core.errors import ServiceError
from writeas.http import request_body
from writeas.http.envelope import no_content, ok
from writeas.services import blogs, payload, posts, publishing

bp = Blueprint("collections", __name__, url_prefix="/collections")
_PAGE = query("page", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}, "1-based.")
_BATCH = {"tag": "Collections", "errors": (400, 403, 404), "auth": True, "body_as": "array"}


def _collection(collection, reader):
    return shapes.collection_json(
        collection,
        total_posts=blogs.total_posts(collection, reader),
        owner=reader.owns(collection),
    )


def _page() -> int:
    page = payload.whole_number(request.args.get("page", "1"))
    if not page:
        raise ServiceError(400, "Parameter `page` must be a positive integer.")
    return page


@bp.post("")
@idempotent
@operation(
    id="createCollection", summary="Create a blog.", tag="Collections",
    answer=shapes.Collection, status=201, errors=(412,), auth=True,
    body=shapes.CollectionCreate,
)
def create():
    collection = blogs.create(request_body.read(), current_user())
    return ok(shapes.collection_json(collection, total_posts=0, owner=True), 201)


@bp.get("/<alias>")
@operation(
    id="retrieveCollection", summary="Retrieve a blog.", tag="Collections",
    answer=shapes.Collection, errors=(403, 404, 429), parameters=(COLLECTION_PASSWORD,),
)
def retrieve(alias):
    reader = current_reader()
    return ok(_collection(blogs.readable(alias, reader), reader))


@bp.post("/<alias>")
@operation(
    id="updateCollection", summary="Change a blog's settings.", tag="Collections",
    answer=shapes.Collection, errors=(400, 403, 404), auth=True,
    parameters=(COLLECTION_PASSWORD,), body=shapes.CollectionUpdate, body_required=False,
)
def update(alias):
    reader = current_reader()
    return ok(_collection(blogs.update(alias, request_body.read(), reader.user), reader))


@bp.delete("/<alias>")
@operation(
    id="deleteCollection", summary="Delete a blog; its posts stay the owner's.",
    tag="Collections", errors=(403, 404), auth=True,
)
def delete(alias):
    blogs.delete(alias, current_user())
    return no_content()


@bp.post("/<alias>/posts")
@idempotent
@operation(
    id="publishToCollection",
    summary="Publish into the blog; a future `created` schedules the post.",
    tag="Collections", answer=shapes.Post, status=201, errors=(403, 404), auth=True,
    body=shapes.PublishRequest,
)
def publish(alias):
    post, token = publishing.publish(request_body.read(), current_user(), alias=alias)
    return ok(shapes.post_json(post, token=token), 201)


@bp.get("/<alias>/posts")
@operation(
    id="collectionPosts", summary="The blog with one page of its posts and its pinned ones.",
    tag="Collections", answer=shapes.CollectionWithPosts, errors=(400, 403, 404, 429),
    parameters=(_PAGE, COLLECTION_PASSWORD),
)
def list_posts(alias):
    reader = current_reader()
    collection = blogs.readable(alias, reader)
    page = _page()
    stream, _more = blogs.stream(collection, reader, page)
    return ok(
        shapes.collection_with_posts_json(
            collection,
            total_posts=blogs.total_posts(collection, reader),
            owner=reader.owns(collection),
            posts=[shapes.post_shape(p, views=posts.views(p)) for p in stream],
            pinned=[
                shapes.post_shape(p, views=posts.views(p))
                for p in blogs.pinned(collection, reader)
            ],
        )
    )


@bp.get("/<alias>/posts/<slug>")
@operation(
    id="collectionPost", summary="One post of the blog by its slug.", tag="Collections",
    answer=shapes.Post, errors=(403, 404, 410, 429), parameters=(COLLECTION_PASSWORD,),
)
def retrieve_post(alias, slug):
    reader = current_reader()
    collection = blogs.readable(alias, reader)
    post = blogs.post_by_slug(collection, slug, reader)
    posts.record_view(post, reader)
    return ok(shapes.post_json(post, views=posts.views(post)))


@bp.post("/<alias>/collect")
@operation(
    id="collectPosts", summary="Move posts into the blog; one result per item.",
    answer=list[shapes.CollectResult], body=shapes.PostToken,
    body_description="Your posts by id, anonymous ones with their token.", **_BATCH,
)
def collect(alias):
    results = blogs.collect(alias, request_body.read(), current_user())
    return ok(shapes.collect_results_json(results))


@bp.post("/<alias>/pin")
@operation(
    id="pinPosts", summary="Pin posts to the blog's navigation; one result per item.",
    answer=list[shapes.PinResult], body=shapes.PinItem,
    body_description="Posts of the blog, at `position` or at the end.", **_BATCH,
)
def pin(alias):
    return ok(shapes.pin_results_json(blogs.pin(alias, request_body.read(), current_user())))


@bp.post("/<alias>/unpin")
@operation(
    id="unpinPosts", summary="Unpin posts; one result per item.",
    answer=list[shapes.PinResult], body=shapes.PostId, body_description="Posts of the blog.",
    **_BATCH,
)
def unpin(alias):
    return ok(shapes.pin_results_json(blogs.unpin(alias, request_body.read(), current_user())))
