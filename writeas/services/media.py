"""Media uploaded for crossposting: images and videos, their bytes in the media store
(`media_store`), their description in the database.

An upload arrives as a stream (the form parser keeps a large one on disk, not in memory)
and goes on to the store as one. Each file has an unguessable public address,
`/media/<id>.<ext>`, for the platforms that fetch media themselves; deleting the file ends
it, so it is refused while a waiting delivery still needs the file.

Images also go into posts (the editor uploads them, `![alt](/media/<id>.<ext>)` shows
them; `PostImage` records which post shows which). An image stays while any post shows it
or a waiting delivery needs it; deleting the last post that showed it deletes it too
(`release`). An image taken out of a post by an edit is kept: the writer may put it back,
and `DELETE /api/media/{id}` removes it for good.

A video some platform can't take as uploaded gets one H.264/AAC MP4 copy, made by the
worker when a delivery first needs it (`h264_copy`): a row of its own, pointing at the
original, never listed, deleted with it.
"""

import io
import os
import secrets
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from sqlalchemy import delete as delete_rows
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from writeas import settings
from writeas.core.db import db
from writeas.core.enums import DeliveryStatus
from writeas.core.errors import ServiceError
from writeas.core.models import Delivery, MediaFile, PostImage, User
from writeas.services import images, media_store, paging, video
from writeas.text.extraction import media_ids

ALT_TEXT_MAX = 5000
LIST_MAX = 100
IMAGE, VIDEO = "image", "video"
# `type` as the API takes it.
KINDS = {"IMAGE": IMAGE, "VIDEO": VIDEO}
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    video.MP4: "mp4", video.QUICKTIME: "mov", video.WEBM: "webm",
}
_WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)


def new_id() -> str:
    """128 random bits: the id is the file's public address, so guessing it must be hopeless."""
    return secrets.token_hex(16)


def storage_key(media_id: str, mime_type: str) -> str:
    """Spread over 256 folders (or key prefixes), so none grows to millions of entries."""
    return f"{media_id[:2]}/{media_id}.{EXTENSIONS[mime_type]}"


def public_path(item: MediaFile) -> str:
    return f"/media/{item.id}.{EXTENSIONS[item.mime_type]}"


def by_public_name(name: str) -> MediaFile | None:
    """The file `/media/<name>` serves: its id with its own extension, nothing else."""
    media_id, dot, extension = name.partition(".")
    if not dot or len(media_id) > 32:
        return None
    item = db.session.get(MediaFile, media_id)
    if item is None or EXTENSIONS[item.mime_type] != extension:
        return None
    return item


def open_stream(item: MediaFile, start: int = 0, end: int | None = None) -> IO[bytes]:
    """The stored bytes as a stream, from `start` (see `media_store.Store.open`)."""
    return media_store.current().open(item.storage_key, start, end)


def read_bytes(item: MediaFile) -> bytes:
    """An image's bytes (a video's are for streaming: `open_stream`)."""
    with open_stream(item) as stream:
        return stream.read()


def fit(item: MediaFile, max_bytes: int) -> tuple[bytes, str]:
    """The image's bytes and type within `max_bytes`: as stored when it fits, else a copy
    scaled down."""
    data = read_bytes(item)
    if item.size <= max_bytes:
        return data, item.mime_type
    return images.shrink(data, max_bytes)


def max_upload_bytes() -> int:
    """The largest file an upload may carry, of either kind."""
    config = settings.current()
    return max(config.media_max_bytes, config.video_max_bytes)


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _kind(declared: Any, head: bytes) -> str:
    if declared not in (None, ""):
        if declared not in KINDS:
            raise ServiceError(400, "Parameter `type` must be IMAGE or VIDEO.")
        return KINDS[declared]
    if images.looks_like_image(head):
        return IMAGE
    if video.container_type(head):
        return VIDEO
    raise ServiceError(
        400, "Parameter `file` is neither an image (JPEG, PNG, GIF, WebP) nor a video (MP4, "
        "QuickTime, WebM)."
    )


def _check_size(kind: str, size: int) -> None:
    config = settings.current()
    limit = config.media_max_bytes if kind == IMAGE else config.video_max_bytes
    if size > limit:
        raise ServiceError(413, f"The {kind} is larger than {limit} bytes.")


def _described_image(stream: IO[bytes]) -> tuple[IO[bytes], dict]:
    cleaned = images.clean(stream.read())
    fields = {"kind": IMAGE, "mime_type": cleaned.mime_type, "width": cleaned.width,
              "height": cleaned.height, "size": len(cleaned.data)}
    return io.BytesIO(cleaned.data), fields


def _described_video(stream: IO[bytes], size: int) -> tuple[IO[bytes], dict]:
    try:
        found = video.probe(stream)
    except video.VideoError as error:
        raise ServiceError(400, str(error)) from None
    fields = {
        "kind": VIDEO, "mime_type": found.mime_type, "width": found.width,
        "height": found.height, "size": size, "duration": found.duration,
        "video_codec": found.video_codec, "audio_codec": found.audio_codec,
        "frame_rate": found.frame_rate,
    }
    return stream, fields


def upload(user: User | None, stream: IO[bytes] | None, kind: Any, alt_text: Any) -> MediaFile:
    """Checks the upload, stores its bytes and records it. `stream` must be seekable (the
    form parser's file is)."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    size = _size(stream) if stream is not None else 0
    if not size:
        raise ServiceError(400, "Parameter `file` is required (multipart/form-data).")
    if alt_text is not None and not isinstance(alt_text, str):
        raise ServiceError(400, "Parameter `alt_text` must be a string.")
    alt_text = (alt_text or "").strip()
    if len(alt_text) > ALT_TEXT_MAX:
        raise ServiceError(400, f"Parameter `alt_text` is longer than {ALT_TEXT_MAX} characters.")
    head = stream.read(64)
    stream.seek(0)
    kind = _kind(kind, head)
    _check_size(kind, size)
    if kind == IMAGE:
        stored, fields = _described_image(stream)
    else:
        stored, fields = _described_video(stream, size)
    media_id = new_id()
    key = storage_key(media_id, fields["mime_type"])
    store = media_store.current()
    store.put(key, stored, fields["mime_type"])
    item = MediaFile(id=media_id, user_id=user.id, alt_text=alt_text, storage_key=key, **fields)
    try:
        db.session.add(item)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        store.delete(key)
        raise
    return item


def owned(media_id: Any, user: User) -> MediaFile:
    media = db.session.get(MediaFile, media_id) if isinstance(media_id, str) else None
    if media is None or media.user_id != user.id:
        raise ServiceError(404, f"Media `{media_id}` not found.")
    return media


def page_of_user(user: User | None, args: Mapping) -> tuple[list[MediaFile], str | None]:
    """The user's media, newest first, a page at a time (`?type=&limit=&cursor=`)."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    query = select(MediaFile).where(
        MediaFile.user_id == user.id, MediaFile.derived_from.is_(None)
    )
    declared = args.get("type")
    if declared not in (None, ""):
        if declared not in KINDS:
            raise ServiceError(400, "Parameter `type` must be IMAGE or VIDEO.")
        query = query.where(MediaFile.kind == KINDS[declared])
    page = paging.Page.read(args, LIST_MAX)
    return page.run(query, MediaFile.created, MediaFile.id)


def in_use(item: MediaFile) -> bool:
    """Whether a delivery that hasn't finished will still read the file."""
    waiting = select(Delivery.media_ids).where(
        Delivery.user_id == item.user_id, Delivery.status.in_(_WAITING)
    )
    return any(item.id in (ids or []) for ids in db.session.scalars(waiting))


def delete(media_id: Any, user: User | None) -> None:
    """The row goes first, so the public address ends at once; then the bytes."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    item = owned(media_id, user)
    if in_use(item):
        raise ServiceError(409, "A crosspost waiting to be sent uses this file.")
    _remove(item)


def _remove(item: MediaFile) -> None:
    keys = [item.storage_key, *db.session.scalars(
        select(MediaFile.storage_key).where(MediaFile.derived_from == item.id)
    )]
    db.session.execute(delete_rows(MediaFile).where(MediaFile.derived_from == item.id))
    db.session.delete(item)
    db.session.commit()
    store = media_store.current()
    for key in keys:
        store.delete(key)


def markdown_for(item: MediaFile) -> str:
    """`![alt](address)`, with the alt text kept on one line and its brackets escaped so
    it can't end the image early."""
    alt = " ".join(item.alt_text.split())
    alt = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"![{alt}]({public_path(item)})"


def images_shown(body: str) -> list[MediaFile]:
    """The uploaded images a post's body shows, in order (anyone's: a page may show an
    image another writer uploaded, and then that image stays while the page does)."""
    ids = media_ids(body)
    if not ids:
        return []
    found = {item.id: item for item in db.session.scalars(
        select(MediaFile).where(MediaFile.id.in_(ids), MediaFile.kind == IMAGE)
    )}
    return [found[media_id] for media_id in ids if media_id in found]


def release(media_ids_shown: list[str], owner: User | None) -> None:
    """After a post is deleted: the owner's images it showed that no other post shows and
    no waiting delivery needs are deleted with it."""
    if owner is None or not media_ids_shown:
        return
    candidates = db.session.scalars(select(MediaFile).where(
        MediaFile.id.in_(media_ids_shown), MediaFile.user_id == owner.id,
        ~exists().where(PostImage.media_id == MediaFile.id),
    )).all()
    for item in candidates:
        if not in_use(item):
            _remove(item)


def h264_copy(item: MediaFile) -> MediaFile:
    """The video as an H.264/AAC MP4, for a platform that takes nothing else: the copy made
    for an earlier delivery, or one made now (for the worker: it takes as long as the
    video does to encode). `video.VideoError` if FFmpeg can't convert it."""
    made = _copy_of(item)
    if made is not None:
        return made
    media_id = new_id()
    key = storage_key(media_id, video.MP4)
    store = media_store.current()
    with tempfile.TemporaryDirectory() as folder:
        converted = os.path.join(folder, "copy.mp4")
        with open_stream(item) as source:
            found = video.transcode_h264(source, converted)
        size = os.path.getsize(converted)
        with open(converted, "rb") as stream:
            store.put(key, stream, video.MP4)
    copy = MediaFile(
        id=media_id, user_id=item.user_id, alt_text=item.alt_text, storage_key=key,
        derived_from=item.id, kind=VIDEO, mime_type=video.MP4, width=found.width,
        height=found.height, size=size, duration=found.duration,
        video_codec=found.video_codec, audio_codec=found.audio_codec,
        frame_rate=found.frame_rate,
    )
    try:
        db.session.add(copy)
        db.session.commit()
    except IntegrityError:
        # Another worker's delivery of the same video made its copy first (or the
        # original was deleted meanwhile, and then there is none to find).
        db.session.rollback()
        store.delete(key)
        made = _copy_of(item)
        if made is None:
            raise ServiceError(404, f"Media `{item.id}` not found.") from None
        return made
    except BaseException:
        db.session.rollback()
        store.delete(key)
        raise
    return copy


def _copy_of(item: MediaFile) -> MediaFile | None:
    return db.session.scalar(select(MediaFile).where(MediaFile.derived_from == item.id))
