"""Images: only real ones are kept, without their metadata, and a platform that takes fewer
bytes gets a copy scaled down to fit.

Uploads are decoded with Pillow and re-encoded, since EXIF can carry the camera's GPS
position. Scaling happens at delivery time; the original is kept.
"""

import io
from dataclasses import dataclass

from PIL import UnidentifiedImageError  # PIL's package itself is light; Image is not

from writeas.core.errors import ServiceError
from writeas.core.lazy_imports import lazy

Image = lazy("PIL.Image")
ImageOps = lazy("PIL.ImageOps")

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Refused before decoding: a small PNG can unpack to hundreds of megabytes. 25 megapixels
# (6000×4000, a full-size camera photo) decodes in well under a second; no platform we post
# to keeps more.
_MAX_PIXELS = 25_000_000
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    mime_type: str
    width: int
    height: int


def looks_like_image(head: bytes) -> bool:
    """Whether a file's first bytes are those of a format we take (for uploads that don't
    say what they are)."""
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _open(data: bytes) -> "Image.Image":
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_PIXELS:
            raise ServiceError(400, "Image is too large (over 25 megapixels).")
        if image.format not in FORMATS:
            raise ServiceError(400, "Only JPEG, PNG, GIF and WebP images are accepted.")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ServiceError(400, "Parameter `file` is not an image we can read.") from None
    return image


def _encode(image: "Image.Image", fmt: str, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB")
        image.save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=quality)
    else:
        image.save(out, fmt, optimize=True)
    return out.getvalue()


def clean(data: bytes) -> Cleaned:
    image = _open(data)
    fmt = image.format
    # GIFs are kept as sent: re-encoding would lose the animation, and they carry no EXIF.
    if fmt == "GIF":
        return Cleaned(data, FORMATS[fmt], image.width, image.height)
    upright = ImageOps.exif_transpose(image)
    return Cleaned(_encode(upright, fmt), FORMATS[fmt], upright.width, upright.height)


def shrink(data: bytes, max_bytes: int) -> tuple[bytes, str]:
    """A copy scaled down until it takes at most `max_bytes` (GIF and PNG become JPEG,
    since scaling alone rarely gets them there)."""
    image = Image.open(io.BytesIO(data))
    fmt = "WEBP" if image.format == "WEBP" else "JPEG"
    scale = (max_bytes / len(data)) ** 0.5
    for _attempt in range(12):
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        smaller = _encode(image.resize(size, Image.Resampling.LANCZOS), fmt, quality=85)
        if len(smaller) <= max_bytes:
            return smaller, FORMATS[fmt]
        scale *= 0.8
    raise ServiceError(400, "Image can't be made small enough for this platform.")
