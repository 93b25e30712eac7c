"""/me/channels and /me/crossposts: connect accounts, send posts to them, and see exactly
what happened on each platform (with Retry for what failed)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.errors import ServiceError
from writeas.crossposting import channels
from writeas.crossposting import requests as crossposts
from writeas.crossposting.platforms import registry
from writeas.services import payload, posts
from writeas.web import visitor

bp = Blueprint("crossposting", __name__, url_prefix="/me")

def _fields() -> dict[str, tuple[str, ...]]:
    return {name: platform.credential_fields for name, platform in registry().items()}


def _all_fields() -> list[str]:
    return sorted({name for names in _fields().values() for name in names})


def _back(endpoint: str = "crossposting.channels_page"):
    return redirect(url_for(endpoint), 303)


@bp.get("/channels")
@login_required
def channels_page():
    return render_template(
        "me/channels.html", channels=channels.of_user(visitor.user()),
        platforms=sorted(registry()), fields=_fields(), all_fields=_all_fields(),
    )


@bp.post("/channels")
@login_required
def connect():
    form = request.form
    data = {
        "platform": form.get("platform", ""),
        "handle": form.get("handle", ""),
        "base_url": form.get("base_url") or None,
        "credentials": {k: form[k] for k in _all_fields() if form.get(k)},
    }
    try:
        channel = channels.connect(data, visitor.user())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Connected {channel.platform} @{channel.handle}.")
    return _back()


@bp.post("/channels/<int:channel_id>/delete")
@login_required
def disconnect(channel_id):
    channels.disconnect(channel_id, visitor.user())
    flash("Channel disconnected.")
    return _back()


@bp.get("/crossposts")
@login_required
def crossposts_page():
    user = visitor.user()
    args = {"status": request.args.get("status"), "cursor": request.args.get("cursor"),
            "limit": 100}
    deliveries, next_cursor = crossposts.of_user(user, args)
    return render_template(
        "me/crossposts.html",
        deliveries=deliveries, next_cursor=next_cursor,
        channels=[c for c in channels.of_user(user) if c.status == channels.ACTIVE],
        posts=posts.owned_by(user)[:100],
    )


@bp.post("/crossposts")
@login_required
def send():
    form = request.form
    targets = [{"channel": int(c), **({"text": form["text"]} if form.get("text") else {})}
               for c in form.getlist("channel") if payload.whole_number(c) is not None]
    try:
        batch = crossposts.request(form.get("post", ""), {"targets": targets}, visitor.user())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Crosspost {crossposts.batch_status(batch.deliveries)}.")
    return _back("crossposting.crossposts_page")


@bp.post("/crossposts/<delivery_id>/retry")
@login_required
def retry(delivery_id):
    crossposts.retry(delivery_id, visitor.user())
    flash("Sending again.")
    return _back("crossposting.crossposts_page")


@bp.post("/crossposts/<delivery_id>/cancel")
@login_required
def cancel(delivery_id):
    crossposts.cancel(delivery_id, visitor.user())
    flash("Cancelled.")
    return _back("crossposting.crossposts_page")
