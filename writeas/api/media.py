"""Media for crossposting: uploads (images and videos), the user's list, deletion."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import operation, page_parameters, query
from writeas.http import ratelimits, request_body
from writeas.http.envelope import no_content, ok, ok_page
from writeas.services import media

bp = Blueprint("media", __name__)
_TAG = {"tag": "Crossposting", "auth": True}


@bp.post("/media")
@request_body.accepts_upload
@idempotent
@operation(
    id="uploadMedia",
    summary="Upload an image (re-encoded without metadata) or a video (probed, kept as sent).",
    answer=shapes.Media, status=201, body=shapes.MEDIA_UPLOAD, body_as="upload", **_TAG,
)
def upload_media():
    user = current_user()
    if user is not None:
        ratelimits.spend_upload(user)  # decoding a file costs more than any other write
    upload = request.files.get("file")
    form = request.form
    item = media.upload(
        user, upload.stream if upload else None, form.get("type"), form.get("alt_text")
    )
    return ok(shapes.media_json(item), 201)


@bp.get("/media")
@operation(
    id="listMedia", summary="The user's images and videos, newest first, a page at a time.",
    answer=list[shapes.Media], errors=(400,), paged=True,
    parameters=(
        query("type", {"enum": list(media.KINDS)}, "Only images, or only videos."),
        *page_parameters(media.LIST_MAX),
    ),
    **_TAG,
)
def list_media():
    found, next_cursor = media.page_of_user(current_user(), request.args)
    return ok_page([shapes.media_json(m) for m in found], next_cursor)


@bp.delete("/media/<media_id>")
@operation(
    id="deleteMedia", summary="Delete a file (its public address stops working).",
    errors=(404, 409), **_TAG,
)
def delete_media(media_id):
    media.delete(media_id, current_user())
    return no_content()
