"""Crossposting: channels, media, and crosspost requests with their per-target results."""

from functools import wraps

from flask import Blueprint, request

from writeas.api.authentication import current_user, require_user
from writeas.api.idempotent import idempotent
from writeas.core.clock import rfc3339
from writeas.crossposting import channels
from writeas.crossposting import requests as crossposts
from writeas.http import ratelimits, request_body
from writeas.http.envelope import no_content, ok
from writeas.services import media

bp = Blueprint("crossposting", __name__)


def channel_json(channel) -> dict:
    """Never the credentials, not even sealed."""
    return {
        "id": channel.id,
        "platform": channel.platform,
        "handle": channel.handle,
        "account_id": channel.account_id,
        "base_url": channel.base_url,
        "status": channel.status,
        "status_reason": channel.status_reason or None,
        "created": rfc3339(channel.created),
    }


def media_json(item) -> dict:
    return {
        "id": item.id,
        "mime_type": item.mime_type,
        "width": item.width,
        "height": item.height,
        "size": item.size,
        "alt_text": item.alt_text,
        "created": rfc3339(item.created),
    }


@bp.post("/me/channels")
def connect_channel():
    return ok(channel_json(channels.connect(request_body.read(), current_user())), 201)


@bp.get("/me/channels")
def list_channels():
    return ok([channel_json(c) for c in channels.of_user(require_user())])


@bp.delete("/me/channels/<channel_id>")
def disconnect_channel(channel_id):
    channels.disconnect(channel_id, current_user())
    return no_content()


def _image_sized_body(view):
    """Images may be larger than other request bodies (MEDIA_MAX_BYTES, plus the form);
    set before anything, the idempotency check included, reads the body."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = media.max_upload_bytes() + 64 * 1024
        return view(*args, **kwargs)

    return wrapper


@bp.post("/media")
@_image_sized_body
@idempotent
def upload_media():
    user = current_user()
    if user is not None:
        ratelimits.spend_upload(user)  # decoding an image costs more than any other write
    upload = request.files.get("file")
    data = upload.read() if upload else None
    item = media.upload(user, data, request.form.get("alt_text"))
    return ok(media_json(item), 201)


@bp.get("/media")
def list_media():
    return ok([media_json(m) for m in media.of_user(require_user())])


@bp.delete("/media/<media_id>")
def delete_media(media_id):
    media.delete(media_id, current_user())
    return no_content()


@bp.post("/posts/<post_id>/crossposts")
@idempotent
def crosspost(post_id):
    batch = crossposts.request(post_id, request_body.read(), current_user())
    status = 202 if crossposts.batch_status(batch.deliveries) == "queued" else 201
    return ok(crossposts.batch_json(batch), status)


@bp.get("/posts/<post_id>/crossposts")
def post_crossposts(post_id):
    return ok([crossposts.batch_json(b) for b in crossposts.of_post(post_id, current_user())])


@bp.get("/me/crossposts")
def my_crossposts():
    args = request.args
    found = crossposts.of_user(
        current_user(), args.get("status"), args.get("platform"), args.get("limit")
    )
    return ok([crossposts.result_json(d) | {"post": d.post_id, "batch": d.batch_id} for d in found])


@bp.delete("/crossposts/<crosspost_id>")
def cancel(crosspost_id):
    crossposts.cancel(crosspost_id, current_user())
    return no_content()
