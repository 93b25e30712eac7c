"""/api/collections: the Collections section of the spec."""

from flask import Blueprint, request

from writeas.api.authentication import current_reader, current_user
from writeas.api.idempotent import idempotent
from writeas.api.shapes import collection_json, post_json
from writeas.core.errors import ServiceError
from writeas.http import request_body
from writeas.http.envelope import no_content, ok
from writeas.services import blogs, payload, posts, publishing

bp = Blueprint("collections", __name__, url_prefix="/collections")


def _collection(collection, reader):
    return collection_json(
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
def create():
    collection = blogs.create(request_body.read(), current_user())
    return ok(collection_json(collection, total_posts=0, owner=True), 201)


@bp.get("/<alias>")
def retrieve(alias):
    reader = current_reader()
    return ok(_collection(blogs.readable(alias, reader), reader))


@bp.post("/<alias>")
def update(alias):
    reader = current_reader()
    return ok(_collection(blogs.update(alias, request_body.read(), reader.user), reader))


@bp.delete("/<alias>")
def delete(alias):
    blogs.delete(alias, current_user())
    return no_content()


@bp.post("/<alias>/posts")
@idempotent
def publish(alias):
    post, token = publishing.publish(request_body.read(), current_user(), alias=alias)
    return ok(post_json(post, token=token), 201)


@bp.get("/<alias>/posts")
def list_posts(alias):
    reader = current_reader()
    collection = blogs.readable(alias, reader)
    page = _page()
    data = _collection(collection, reader)
    stream, _more = blogs.stream(collection, reader, page)
    data["posts"] = [post_json(p, views=posts.views(p)) for p in stream]
    data["pinned"] = [
        post_json(p, views=posts.views(p)) for p in blogs.pinned(collection, reader)
    ]
    return ok(data)


@bp.get("/<alias>/posts/<slug>")
def retrieve_post(alias, slug):
    reader = current_reader()
    collection = blogs.readable(alias, reader)
    post = blogs.post_by_slug(collection, slug, reader)
    posts.record_view(post, reader)
    return ok(post_json(post, views=posts.views(post)))


@bp.post("/<alias>/collect")
def collect(alias):
    results = blogs.collect(alias, request_body.read(), current_user())
    return ok([{**r, "post": post_json(p)} if p else r for r, p in results])


@bp.post("/<alias>/pin")
def pin(alias):
    return ok(blogs.pin(alias, request_body.read(), current_user()))


@bp.post("/<alias>/unpin")
def unpin(alias):
    return ok(blogs.unpin(alias, request_body.read(), current_user()))
