"""Media for crossposting: uploads, the user's list, deletion."""

from functools import wraps

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_user, require_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import operation
from writeas.http import ratelimits
from writeas.http.envelope import no_content, ok
from writeas.services import media

bp = Blueprint("media", __name__)
_TAG = {"tag": "Crossposting", "auth": True}


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
@operation(
    id="uploadMedia", summary="Upload an image (re-encoded without metadata).",
    answer=shapes.Media, status=201, body=shapes.MEDIA_UPLOAD, body_as="upload", **_TAG,
)
def upload_media():
    user = current_user()
    if user is not None:
        ratelimits.spend_upload(user)  # decoding an image costs more than any other write
    upload = request.files.get("file")
    data = upload.read() if upload else None
    item = media.upload(user, data, request.form.get("alt_text"))
    return ok(shapes.media_json(item), 201)


@bp.get("/media")
@operation(id="listMedia", summary="The user's images.", answer=list[shapes.Media], **_TAG)
def list_media():
    return ok([shapes.media_json(m) for m in media.of_user(require_user())])


@bp.delete("/media/<media_id>")
@operation(id="deleteMedia", summary="Delete an image.", errors=(404,), **_TAG)
def delete_media(media_id):
    media.delete(media_id, current_user())
    return no_content()
