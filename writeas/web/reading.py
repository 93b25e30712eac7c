"""Reading a post: its page (prose or paste.as-style code), its raw text and Markdown, and
its code highlighted for a named language (`/{id}.py`)."""

from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import collections, posts, snapshots
from ..errors import ServiceError
from ..rendering import lexer_for, render_code
from ..snapshots import BlogSnapshot, PostSnapshot
from . import pagecache, visitor

bp = Blueprint("reading", __name__)

RAW_TYPES = {"txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8"}


def _highlighted(post: PostSnapshot, extension: str) -> str | None:
    """Code in the language an extension names, computed once per post version."""
    lexer = lexer_for(post.body, extension)
    if lexer is None:
        return None
    return pagecache.remembered(
        ("code", post.id, post.content_version, extension), lambda: render_code(post.body, lexer)
    )


def render_post_page(
    post: PostSnapshot, collection: BlogSnapshot | None = None, extension: str = ""
):
    """A post's page; a blog post's carries the blog's header and pinned navigation, so
    its cache key carries the blog's content version too."""
    if extension:
        body_html = _highlighted(post, extension)
        if body_html is None:
            raise ServiceError(404, f"No language is known by the extension “.{extension}”.")
    reader = visitor.reader()
    posts.record_view(post, reader)

    def render() -> str:
        token = visitor.token_for(post.id)
        return render_template(
            "post.html",
            post=post,
            collection=collection,
            nav=collections.pinned(collection, reader) if collection is not None else [],
            body_html=body_html if extension else snapshots.body_html(post.id),
            code_view=bool(extension) or post.appearance in ("code", "mono"),
            modify_token=token,
            can_edit=posts.is_owner(post, reader.user) or token is not None,
        )

    key = pagecache.post_page_key(request.script_root, post, extension, collection)
    return pagecache.remembered(
        pagecache.if_shared(key, post_id=post.id),
        render,
        expires=(lambda: collections.next_scheduled(collection)) if collection else None,
    )


@bp.get("/<post_id>", strict_slashes=True)
def post_page(post_id):
    post_id, _, extension = post_id.partition(".")
    try:
        post = posts.readable(post_id, visitor.reader())
    except ServiceError as error:
        if error.status == 404 and not extension:
            try:
                collections.find(post_id)
            except ServiceError:
                raise error from None
            return redirect(f"/{post_id}/", 308)
        raise
    if extension in RAW_TYPES:
        return Response(post.body, content_type=RAW_TYPES[extension])
    if post.collection is not None and not extension:
        return redirect(url_for("blogs.post", alias=post.collection.alias, slug=post.slug), 302)
    return render_post_page(post, extension=extension.lower())
