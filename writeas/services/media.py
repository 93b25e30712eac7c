"""Images uploaded for crossposting, and fitting them to each platform's byte limit.

Uploads are decoded with Pillow (so only real images are kept) and re-encoded without
their metadata (EXIF can carry the camera's GPS position). A platform that accepts fewer
bytes gets a copy scaled down until it fits, at delivery time; the original is kept.
"""

import io
import secrets
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from writeas import settings
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import MediaFile, User

ALT_TEXT_MAX = 5000
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Refused before decoding: a small PNG can unpack to hundreds of megabytes. 25 megapixels
# (6000×4000, a full-size camera photo) decodes in well under a second; no platform we post
# to keeps more.
_MAX_PIXELS = 25_000_000


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_PIXELS:
            raise ServiceError(400, "Image is too large (over 25 megapixels).")
        if image.format not in _FORMATS:
            raise ServiceError(400, "Only JPEG, PNG, GIF and WebP images are accepted.")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ServiceError(400, "Parameter `file` is not an image we can read.") from None
    return image


def _encode(image: Image.Image, fmt: str, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB")
        image.save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=quality)
    else:
        image.save(out, fmt, optimize=True)
    return out.getvalue()


def upload(user: User | None, data: bytes | None, alt_text: Any) -> MediaFile:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    if not data:
        raise ServiceError(400, "Parameter `file` is required (multipart/form-data).")
    if alt_text is not None and not isinstance(alt_text, str):
        raise ServiceError(400, "Parameter `alt_text` must be a string.")
    alt_text = (alt_text or "").strip()
    if len(alt_text) > ALT_TEXT_MAX:
        raise ServiceError(400, f"Parameter `alt_text` is longer than {ALT_TEXT_MAX} characters.")
    image = _open(data)
    fmt = image.format
    # GIFs are kept as sent: re-encoding would lose the animation, and they carry no EXIF.
    stored = data if fmt == "GIF" else _encode(ImageOps.exif_transpose(image), fmt)
    media = MediaFile(
        id=secrets.token_hex(8), user_id=user.id, mime_type=_FORMATS[fmt], alt_text=alt_text,
        width=image.width, height=image.height, size=len(stored), data=stored,
    )
    db.session.add(media)
    db.session.commit()
    return media


def owned(media_id: Any, user: User) -> MediaFile:
    media = db.session.get(MediaFile, media_id) if isinstance(media_id, str) else None
    if media is None or media.user_id != user.id:
        raise ServiceError(404, f"Media `{media_id}` not found.")
    return media


def of_user(user: User) -> list[MediaFile]:
    query = select(MediaFile).where(MediaFile.user_id == user.id).order_by(MediaFile.created.desc())
    return list(db.session.scalars(query))


def delete(media_id: Any, user: User | None) -> None:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    db.session.delete(owned(media_id, user))
    db.session.commit()


def fit(media: MediaFile, max_bytes: int) -> tuple[bytes, str]:
    """The image's bytes and type within `max_bytes`: as stored when it fits, else scaled
    down (GIF and PNG become JPEG when scaling alone can't get there)."""
    if media.size <= max_bytes:
        return media.data, media.mime_type
    image = Image.open(io.BytesIO(media.data))
    fmt = "WEBP" if image.format == "WEBP" else "JPEG"
    scale = (max_bytes / media.size) ** 0.5
    for _attempt in range(12):
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        data = _encode(image.resize(size, Image.Resampling.LANCZOS), fmt, quality=85)
        if len(data) <= max_bytes:
            return data, _FORMATS[fmt]
        scale *= 0.8
    raise ServiceError(400, "Image can't be made small enough for this platform.")


def max_upload_bytes() -> int:
    return settings.current().media_max_bytes
