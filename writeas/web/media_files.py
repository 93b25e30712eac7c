"""Uploaded media at their public addresses, `/media/<id>.<ext>`, for the platforms that
fetch a file themselves (Instagram, Threads, Facebook, TikTok) and for people.

The address is unguessable and a file never changes under it, so any cache may keep it for
a year. Bytes are streamed from the store (an S3 bucket's too: the bucket may be private),
a range at a time when asked: video players and platforms' fetchers read a video in parts.
"""

from flask import Blueprint, abort, current_app, request

from writeas.services import media
from writeas.services.media_store import MissingFile

bp = Blueprint("media_files", __name__)
_CHUNK = 256 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"


def _span(size: int) -> tuple[int, int, bool] | None:
    """The bytes asked for, [start, end), and whether that is a range (206): all of them
    without a Range header, or with one we may answer whole (several ranges, a header we
    can't read); None when the one range asked for lies beyond the file."""
    asked = request.range
    if asked is None or asked.units != "bytes" or len(asked.ranges) != 1:
        return 0, size, False
    found = asked.range_for_length(size)
    return None if found is None else (*found, True)


def _chunks(stream, length: int):
    while length > 0:
        chunk = stream.read(min(_CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk


@bp.get("/media/<name>")
def serve(name):
    item = media.by_public_name(name)
    if item is None:
        abort(404)
    span = _span(item.size)
    if span is None:
        response = current_app.response_class(status=416)
        response.headers["Content-Range"] = f"bytes */{item.size}"
        response.headers["Accept-Ranges"] = "bytes"
        return response
    start, end, partial = span
    try:
        stream = media.open_stream(item, start, end)
    except MissingFile:
        abort(404)
    response = current_app.response_class(
        _chunks(stream, end - start), status=206 if partial else 200,
        content_type=item.mime_type, direct_passthrough=True,
    )
    response.call_on_close(stream.close)
    response.content_length = end - start
    if partial:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{item.size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
