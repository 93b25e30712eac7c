"""Reading a post: its page (prose or paste.as-style code), its raw text and Markdown, and
its code highlighted for a named language (`/{id}.py`)."""

from datetime import datetime

from flask import Blueprint, Response, redirect, render_template, request, url_for

from writeas import reads
from writeas.core.errors import ServiceError
from writeas.federation import reports
from writeas.http import conditional, ratelimits
from writeas.http.content_types import RAW_TYPES
from writeas.reads.snapshots import BlogSnapshot, PostSnapshot
from writeas.services import blogs, posts
from writeas.services.visibility import is_listed
from writeas.text.extraction import first_image
from writeas.text.rendering import lexer_class_named_by, render_code
from writeas.web import links, pagecache, visitor

bp = Blueprint("reading", __name__)



def _code_view(post: PostSnapshot, extension: str) -> tuple[str, str]:
    """(the lexer's name, the code highlighted by it) for the language an extension names,
    rendered once per post version and lexer, not per extension: Pygments knows hundreds of
    extensions, and `/{id}.py` and `/{id}.pyw` are one render. A render the cache doesn't
    hold counts against the visitor's render limit."""
    lexer_class = lexer_class_named_by(extension, post.body)
    if lexer_class is None:
        raise ServiceError(404, f"No language is known by the extension “.{extension}”.")

    def render() -> str:
        ratelimits.spend_render()
        return render_code(post.body, lexer_class(stripnl=False))

    key = ("code", post.id, post.content_version, lexer_class.__name__)
    return lexer_class.__name__, pagecache.remembered(key, render)


def render_post_page(
    post: PostSnapshot, collection: BlogSnapshot | None = None, extension: str = ""
):
    """A post's page; a blog post's carries the blog's header and pinned navigation, so
    its cache key carries the blog's content version too."""
    view, body_html = _code_view(post, extension) if extension else ("", None)
    reader = visitor.reader()
    posts.record_view(post, reader)

    def render() -> str:
        token = visitor.token_for(post.id)
        html = body_html if view else reads.current().body_html(post.id)
        blog = post.collection
        url = (
            links.page_url("blogs.post", alias=blog.alias, slug=post.slug)
            if blog is not None
            else links.page_url("reading.post_page", post_id=post.id)
        )
        return render_template(
            "posts/post.html",
            canonical=url,
            share_image=links.shared_image(url, first_image(html)),
            listed=is_listed(blog),
            post=post,
            collection=collection,
            nav=blogs.pinned(collection, reader) if collection is not None else [],
            body_html=html,
            code_view=bool(view) or post.appearance in ("code", "mono"),
            modify_token=token,
            can_edit=posts.is_owner(post, reader.user) or token is not None,
            # Approving or deleting one bumps the post's content version: the key covers it.
            replies=reports.approved_comments(post.id) if collection is not None else [],
        )

    # A code view of a blog post shows no blog, but its meta names the blog's address and
    # whether it is listed: the blog's version is in its key too.
    key = pagecache.post_page_key(
        request.script_root, post, view, collection or post.collection
    )
    return pagecache.served(
        pagecache.if_shared(key, post_id=post.id),
        render,
        window=(lambda: blogs.live_window(collection)) if collection else None,
        modified=(post.updated, collection.updated if collection else None),
    )


def raw_text(post: PostSnapshot, extension: str):
    """The body alone: its validators are the post's version, whoever asks."""
    return conditional.respond(
        *raw_validators(post), lambda: Response(post.body, content_type=RAW_TYPES[extension])
    )


def raw_validators(post: PostSnapshot) -> tuple[str, datetime]:
    """Shared with the front, which answers the same reads."""
    return conditional.etag("raw", post.id, post.content_version), conditional.last_modified(
        post.updated
    )


@bp.get("/<post_id>", strict_slashes=True)
def post_page(post_id):
    post_id, _, extension = post_id.partition(".")
    try:
        post = posts.readable(post_id, visitor.reader())
    except ServiceError as error:
        if error.status == 404 and not extension:
            try:
                blogs.find(post_id)
            except ServiceError:
                raise error from None
            return redirect(f"/{post_id}/", 308)
        raise
    if extension in RAW_TYPES:
        return raw_text(post, extension)
    if post.collection is not None and not extension:
        return redirect(url_for("blogs.post", alias=post.collection.alias, slug=post.slug), 302)
    return render_post_page(post, extension=extension)
