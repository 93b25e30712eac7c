"""Email subscriptions: the subscribe page a blog's pages link to, the confirmation and
unsubscribe links from the emails, and the author's list of subscribers.

The subscribe form is a page of its own, not part of the blog's pages: those carry the
blog's CSS and so hold no form (that CSS could read a CSRF token out). The unsubscribe
POST is exempt from CSRF, as RFC 8058's one-click unsubscribe needs.
"""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.services import blogs, mail, newsletters
from writeas.web import visitor

bp = Blueprint("newsletters", __name__)


@bp.app_template_global()
def subscriber_counts(collection_id: int) -> tuple[int, int]:
    return newsletters.counts(collection_id)


@bp.route("/mail/subscribe/<alias>", methods=["GET", "POST"])
def subscribe(alias):
    if request.method == "GET":
        blog = newsletters.open_blog(alias)
        return render_template(
            "newsletters/subscribe.html", collection=blog, configured=mail.configured()
        )
    try:
        newsletters.subscribe(alias, request.form.to_dict())
        db.session.commit()
    except ServiceError as error:
        return render_template(
            "newsletters/message.html", heading="Not subscribed", error=error.message
        ), error.status
    return render_template(
        "newsletters/message.html", heading="Check your inbox", message=newsletters.CHECK_INBOX,
        configured=mail.configured(),
    )


@bp.route("/mail/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """A GET only shows the button: mail scanners open links, and must not confirm."""
    if request.method == "GET":
        subscriber = newsletters.pending_confirmation(token)
        return render_template("newsletters/confirm.html", subscriber=subscriber, token=token)
    subscriber = newsletters.confirm(token)
    db.session.commit()
    name = subscriber.collection.title or subscriber.collection.alias
    return render_template(
        "newsletters/message.html", heading="Subscribed",
        message=f"You'll get each new post of {name} by email.",
    )


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    if request.method == "GET":
        subscriber = newsletters.subscription(token)
        return render_template("newsletters/unsubscribe.html", subscriber=subscriber, token=token)
    blog = newsletters.unsubscribe(token)
    db.session.commit()
    return render_template(
        "newsletters/message.html", heading="Unsubscribed",
        message=f"You won't get posts of {blog.title or blog.alias} by email any more.",
    )


@bp.get("/me/blogs/<alias>/subscribers")
@login_required
def subscribers(alias):
    collection = blogs.owned(alias, visitor.user())
    return render_template(
        "newsletters/subscribers.html", collection=collection,
        subscribers=newsletters.of_blog(collection), configured=mail.configured(),
    )


@bp.get("/me/blogs/<alias>/subscribers.csv")
@login_required
def export(alias):
    collection = blogs.owned(alias, visitor.user())
    return Response(
        newsletters.as_csv(collection),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{alias}-subscribers.csv"'},
    )


@bp.post("/me/blogs/<alias>/subscribers/remove")
@login_required
def remove(alias):
    collection = blogs.owned(alias, visitor.user())
    newsletters.remove(collection, request.form.get("id", ""))
    db.session.commit()
    flash("Subscriber removed.")
    return redirect(url_for("newsletters.subscribers", alias=alias), 303)
