"""Reading a post: its page (prose or paste.as-style code), its raw text and Markdown, and
its code highlighted for a named language (`/{id}.py`)."""

from collections import OrderedDict

from flask import Blueprint, Response, redirect, render_template, url_for

from .. import collections, posts
from ..errors import ServiceError
from ..models import Post
from ..rendering import lexer_for, render_code
from . import visitor

bp = Blueprint("reading", __name__)

_RAW_TYPES = {"txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8"}
_HIGHLIGHT_CACHE: OrderedDict[tuple, str] = OrderedDict()
_HIGHLIGHT_CACHE_SIZE = 256


def _highlighted(post: Post, extension: str) -> str | None:
    """Code in the language an extension names, computed once per post version."""
    key = (post.id, post.updated, extension)
    if key in _HIGHLIGHT_CACHE:
        _HIGHLIGHT_CACHE.move_to_end(key)
        return _HIGHLIGHT_CACHE[key]
    lexer = lexer_for(post.body, extension)
    if lexer is None:
        return None
    html = render_code(post.body, lexer)
    _HIGHLIGHT_CACHE[key] = html
    if len(_HIGHLIGHT_CACHE) > _HIGHLIGHT_CACHE_SIZE:
        _HIGHLIGHT_CACHE.popitem(last=False)
    return html


def render_post_page(post: Post, collection=None, body_html: str | None = None):
    reader = visitor.reader()
    posts.record_view(post, reader)
    nav = collections.pinned(collection, reader) if collection is not None else []
    return render_template(
        "post.html",
        post=post,
        collection=collection,
        nav=nav,
        body_html=body_html or post.body_html,
        code_view=body_html is not None or post.appearance in ("code", "mono"),
        modify_token=visitor.token_for(post.id),
        can_edit=posts.is_owner(post, reader.user) or visitor.token_for(post.id) is not None,
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
    if extension in _RAW_TYPES:
        return Response(post.body, content_type=_RAW_TYPES[extension])
    if extension:
        html = _highlighted(post, extension.lower())
        if html is None:
            raise ServiceError(404, f"No language is known by the extension “.{extension}”.")
        return render_post_page(post, body_html=html)
    if post.collection is not None:
        return redirect(url_for("blogs.post", alias=post.collection.alias, slug=post.slug), 302)
    return render_post_page(post)
