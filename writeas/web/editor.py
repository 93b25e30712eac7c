"""Writing in the browser: the editor, editing, unpublishing and deleting a post."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from writeas.core.errors import ServiceError
from writeas.http import ratelimits, request_body
from writeas.services import blogs, media, posts, publishing
from writeas.web import visitor

bp = Blueprint("editor", __name__)


def _form_fields() -> dict:
    """The editor's fields. Browsers send a textarea's line breaks as CRLF (HTML spec);
    the post keeps the LF the writer typed."""
    form = request.form
    fields = {key: form[key] for key in ("body", "title", "font", "lang") if key in form}
    if "body" in fields:
        fields["body"] = fields["body"].replace("\r\n", "\n").replace("\r", "\n")
    fields["rtl"] = "rtl" in form
    return fields


def _collections_of_user():
    user = visitor.user()
    return blogs.of_user(user) if user else []


@bp.get("/")
def write():
    return render_template("posts/editor.html", blogs=_collections_of_user(), post=None, values={})


@bp.post("/")
def publish():
    user = visitor.user()
    fields = _form_fields()
    try:
        alias = request.form.get("collection") or None
        post, token = publishing.publish(fields, user, alias if user is not None else None)
    except ServiceError as error:
        values = {**fields, "collection": request.form.get("collection", "")}
        return render_template(
            "posts/editor.html",
            blogs=_collections_of_user(),
            post=None,
            values=values,
            error=error.message,
        ), error.status
    if user is None:
        visitor.remember_token(post.id, token)
    return redirect(url_for("reading.post_page", post_id=post.id), 303)


def _editable(post_id: str):
    """The post, and whether the person may already edit it (owner or session token)."""
    post = posts.find(post_id)
    allowed = posts.is_owner(post, visitor.user()) or visitor.token_for(post.id) is not None
    if not allowed:
        posts.check_readable(post, visitor.reader())  # 404 or 410, as its page answers
    return post, allowed


@bp.get("/<post_id>/edit")
def edit(post_id):
    post, allowed = _editable(post_id)
    return render_template(
        "posts/editor.html",
        blogs=[],
        post=post,
        allowed=allowed,
        values={
            "body": post.body,
            "title": post.title,
            "font": post.appearance,
            "lang": post.language,
            "rtl": post.rtl,
        },
    )


def _token() -> str | None:
    return request.form.get("token") or None


@bp.post("/<post_id>/edit")
def save(post_id):
    post_id = posts.find(post_id).id
    token = _token() or visitor.token_for(post_id)
    fields = _form_fields()
    if request.form.get("action") == "unpublish":
        fields = {"body": ""}
    try:
        posts.update(post_id, fields, visitor.user(), token)
    except ServiceError as error:
        if error.status != 410:
            raise
        flash("Post unpublished. Edit it and save to publish it again.")
        return redirect(url_for("editor.edit", post_id=post_id), 303)
    return redirect(url_for("reading.post_page", post_id=post_id), 303)


@bp.post("/<post_id>/delete")
def delete(post_id):
    token = _token() or visitor.token_for(post_id)
    posts.delete(post_id, visitor.user(), token)
    visitor.forget_token(post_id)
    flash("Post deleted.")
    if visitor.user() is not None:
        return redirect(url_for("dashboard.home"), 303)
    return redirect(url_for("editor.write"), 303)


def _wants_json() -> bool:
    """The editor's script asks for the Markdown alone; a form without it gets the editor."""
    return request.accept_mimetypes.best == "application/json"


@bp.post("/me/images")
@request_body.accepts_upload
def add_image():
    """An image for the post being written: stored (without its metadata) as `POST
    /api/media` stores it, then its Markdown goes in at the script's cursor or, without a
    script, at the end of the text sent along, which is shown again unsaved."""
    user = visitor.user()
    if _wants_json():
        item = _upload_image(user)
        return jsonify(
            url=media.public_path(item), markdown=media.markdown_for(item),
            width=item.width, height=item.height,
        ), 201
    fields = _form_fields()
    post_id = request.form.get("post_id") or None
    post, allowed = _editable(post_id) if post_id else (None, True)
    values = {**fields, "collection": request.form.get("collection", "")}
    if post is not None and "body" not in fields:
        values["body"] = post.body
    try:
        item = _upload_image(user)
    except ServiceError as error:
        return _editor_again(post, allowed, values, error=error.message), error.status
    body = values.get("body", "").rstrip("\n")
    values["body"] = f"{body}\n\n{media.markdown_for(item)}\n" if body else (
        f"{media.markdown_for(item)}\n"
    )
    flash("Image added at the end of your text. " + (
        "Save to publish it." if post is not None else "Publish to share it."
    ))
    return _editor_again(post, allowed, values)


def _upload_image(user):
    if user is None:
        raise ServiceError(401, "Images need an account: log in to add them.")
    ratelimits.spend_upload(user)  # decoding a file costs more than any other write
    upload = request.files.get("image")
    return media.upload(
        user, upload.stream if upload else None, "IMAGE", request.form.get("alt_text")
    )


def _editor_again(post, allowed, values, error=None) -> str:
    return render_template(
        "posts/editor.html", blogs=[] if post else _collections_of_user(), post=post,
        allowed=allowed, values=values, error=error,
    )


@bp.app_template_global()
def fonts():
    return [
        ("norm", "Serif"),
        ("sans", "Sans-serif"),
        ("wrap", "Monospace, wrapped"),
        ("mono", "Monospace"),
        ("code", "Code (highlighted)"),
    ]
