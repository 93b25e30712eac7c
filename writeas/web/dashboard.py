"""/me/: the signed-in writer's posts and blogs, and everything they can do with them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.federation import reports
from writeas.services import blogs, payload, posts
from writeas.services.visibility import Reader, is_scheduled
from writeas.web import visitor

bp = Blueprint("dashboard", __name__, url_prefix="/me")


def _back():
    return redirect(url_for("dashboard.home"), 303)


@bp.get("/")
@login_required
def home():
    user = visitor.user()
    reader = Reader(user=user)
    owned = posts.owned_by(user, include_unpublished=True)
    listed = []
    for blog in blogs.of_user(user):
        in_blog = [p for p in owned if p.collection_id == blog.id]
        pinned = sorted(
            (p for p in in_blog if p.pinned_position is not None),
            key=lambda p: p.pinned_position,
        )
        listed.append(
            {
                "collection": blog,
                "pinned": pinned,
                "posts": [p for p in in_blog if p.pinned_position is None],
                "total": blogs.total_posts(blog, reader),
                "followers": reports.follower_count(blog),
            }
        )
    return render_template(
        "me/dashboard.html",
        loose=[p for p in owned if p.collection_id is None],
        blogs=listed,
        owned_ids=[p.id for p in owned],
        session_tokens=visitor.remembered_tokens(),
        is_scheduled=is_scheduled,
    )


@bp.post("/claim")
@login_required
def claim():
    form = request.form
    items = [
        {"id": i, "token": t}
        for i, t in zip(form.getlist("id"), form.getlist("token"), strict=False)
    ]
    results = posts.claim(items, visitor.user())
    claimed = [r["id"] for r, post in results if post is not None]
    for post_id in claimed:
        visitor.forget_token(post_id)
    failed = len(results) - len(claimed)
    flash(
        f"Claimed {len(claimed)} post(s)." + (f" {failed} could not be claimed." if failed else "")
    )
    return _back()


@bp.post("/blogs")
@login_required
def create_blog():
    try:
        blog = blogs.create(
            {"title": request.form.get("title", ""), "alias": request.form.get("alias") or None},
            visitor.user(),
        )
    except ServiceError as error:
        flash(error.message, "error")
        return _back()
    flash(f"Created {blog.title} at /{blog.alias}/.")
    return _back()


@bp.route("/blogs/<alias>", methods=["GET", "POST"])
@login_required
def blog_settings(alias):
    user = visitor.user()
    collection = blogs.owned(alias, user)
    if request.method == "GET":
        return render_template("me/blog_settings.html", collection=collection)
    form = request.form
    fields = {
        key: form[key]
        for key in ("title", "description", "style_sheet", "visibility", "federate_as")
        if key in form
    }
    if form.get("password"):
        fields["password"] = form["password"]
    try:
        blogs.update(alias, fields, user)
    except ServiceError as error:
        db.session.rollback()
        return render_template(
            "me/blog_settings.html", collection=blogs.owned(alias, user), error=error.message
        ), error.status
    flash("Blog settings saved.")
    return redirect(url_for("dashboard.blog_settings", alias=alias), 303)


@bp.post("/blogs/<alias>/delete")
@login_required
def delete_blog(alias):
    blogs.delete(alias, visitor.user())
    flash(f"Deleted the blog /{alias}/. Its posts are still yours, in no blog.")
    return _back()


def _one(results: list[dict]) -> None:
    if results and results[0]["code"] != 200:
        flash(results[0]["error_msg"], "error")


@bp.post("/blogs/<alias>/pin")
@login_required
def pin(alias):
    item = {"id": request.form.get("id", "")}
    position = request.form.get("position", "").strip()
    if position:
        number = payload.whole_number(position)
        item["position"] = number if number is not None else position
    _one(blogs.pin(alias, [item], visitor.user()))
    return _back()


@bp.post("/blogs/<alias>/unpin")
@login_required
def unpin(alias):
    _one(blogs.unpin(alias, [{"id": request.form.get("id", "")}], visitor.user()))
    return _back()


@bp.post("/posts/<post_id>/move")
@login_required
def move(post_id):
    user = visitor.user()
    alias = request.form.get("collection", "")
    if alias:
        [(result, _post)] = blogs.collect(alias, [{"id": post_id}], user)
        if result["code"] != 200:
            flash(result["error_msg"], "error")
        return _back()
    posts.detach(post_id, user)
    return _back()
