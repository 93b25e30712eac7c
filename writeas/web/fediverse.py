"""/me/blogs/<alias>/fediverse: how a blog fares on the fediverse (its followers, our
deliveries to their servers, the likes and boosts it got), and the replies waiting for
the author's approval."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.errors import ServiceError
from writeas.federation import reports
from writeas.services import blogs
from writeas.services.visibility import NOT_FOUND
from writeas.web import visitor
from writeas.web.redirects import local_path

bp = Blueprint("fediverse", __name__, url_prefix="/me")


def _own(alias: str):
    """Only the author sees a blog's followers and replies; to anyone else the page
    doesn't exist (rather than "forbidden", which would say there's something here)."""
    try:
        return blogs.owned(alias, visitor.user())
    except ServiceError as error:
        if error.status == 403:
            raise ServiceError(404, NOT_FOUND) from None
        raise


@bp.get("/blogs/<alias>/fediverse")
@login_required
def page(alias):
    blog = _own(alias)
    return render_template(
        "me/fediverse.html",
        collection=blog,
        federates=reports.federates(blog),
        handle=reports.handle(blog),
        followers=reports.follower_count(blog),
        summary=reports.delivery_summary(blog),
        deliveries=reports.recent_deliveries(blog),
        pending=reports.comments(blog, reports.PENDING),
        approved=reports.comments(blog, reports.APPROVED),
        reactions=reports.reactions(blog),
        posts=reports.posts_of(blog),
    )


def _back():
    """To the page the form was on (a blog's fediverse page), else the dashboard."""
    target = local_path(
        request.form.get("next"), url_for("dashboard.home"), within=f"{request.script_root}/me/"
    )
    return redirect(target, 303)


@bp.post("/comments/<int:comment_id>/approve")
@login_required
def approve(comment_id):
    reports.approve_comment(comment_id, visitor.user())
    flash("Reply approved: it shows under the post.")
    return _back()


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete(comment_id):
    reports.delete_comment(comment_id, visitor.user())
    flash("Reply deleted.")
    return _back()
