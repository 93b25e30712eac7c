"""`POST /api/media` end to end on both stores: images cleaned, videos probed and kept as
sent, the kind told from the file when not given, and the size limits (413 with the
error envelope, a body over every limit refused before it is read)."""

import io
import re

import msgspec
import pytest
from calls import Api, assert_error
from media_samples import MOV, MP4, WEBM, jpeg_with_gps, png, sound_only, video
from PIL import Image
from sqlalchemy import select

from writeas.api import shapes
from writeas.core.db import db
from writeas.core.models import MediaFile


def documented(item: dict) -> dict:
    """The answer holds to the documented `Media` shape (types, enums and bounds)."""
    msgspec.convert(item, shapes.Media)
    return item


def row(app, media_id: str) -> MediaFile:
    with app.app_context():
        return db.session.scalars(select(MediaFile).where(MediaFile.id == media_id)).one()


def test_an_image_is_stored_without_its_metadata(app, upload, stored):
    response = upload(jpeg_with_gps(), "photo.jpg", alt_text="  A blue field  ")
    assert response.status_code == 201, response.json
    item = documented(response.json["data"])
    assert re.fullmatch(r"[0-9a-f]{32}", item["id"])  # 128 random bits
    assert item["url"] == f"http://localhost/media/{item['id']}.jpg"
    assert {key: item[key] for key in ("type", "mime_type", "width", "height", "alt_text")} == {
        "type": "IMAGE", "mime_type": "image/jpeg", "width": 40, "height": 30,
        "alt_text": "A blue field",
    }
    assert (item["duration"], item["video_codec"], item["audio_codec"], item["frame_rate"]) == (
        0, None, None, None,
    )
    kept = stored(row(app, item["id"]).storage_key)
    assert len(kept) == item["size"]
    assert not Image.open(io.BytesIO(kept)).getexif()


@pytest.mark.parametrize(
    ("data", "mime_type", "extension", "codecs"),
    [
        (MP4, "video/mp4", "mp4", ("mpeg4", "aac")),
        (WEBM, "video/webm", "webm", ("vp9", "opus")),
        (MOV, "video/quicktime", "mov", ("mpeg4", None)),
    ],
    ids=["mp4", "webm", "quicktime"],
)
def test_a_video_is_probed_and_kept_as_sent(app, upload, stored, data, mime_type, extension,
                                            codecs):
    response = upload(data, f"clip.{extension}", alt_text="A second of colours")
    assert response.status_code == 201, response.json
    item = documented(response.json["data"])
    assert (item["type"], item["mime_type"]) == ("VIDEO", mime_type)
    assert item["url"].endswith(f"/media/{item['id']}.{extension}")
    assert (item["width"], item["height"], item["frame_rate"]) == (64, 64, 10.0)
    assert (item["video_codec"], item["audio_codec"]) == codecs
    assert item["duration"] == pytest.approx(1.0, abs=0.05)
    assert item["size"] == len(data)
    assert stored(row(app, item["id"]).storage_key) == data
    saved = row(app, item["id"])
    assert (saved.kind, saved.video_codec, saved.audio_codec or None) == ("video", *codecs)


def test_the_declared_type_wins_over_the_file(upload):
    assert upload(MP4, type="VIDEO").status_code == 201
    assert upload(png(), type="IMAGE").status_code == 201
    as_video = upload(png(), type="VIDEO")
    assert_error(as_video, 400)
    assert "MP4, QuickTime and WebM" in as_video.json["error_msg"]
    as_image = upload(MP4, type="IMAGE")
    assert_error(as_image, 400)
    assert "not an image" in as_image.json["error_msg"]
    assert_error(upload(png(), type="image"), 400)  # IMAGE or VIDEO, as documented
    assert_error(upload(png(), type="AUDIO"), 400)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"neither image nor video", "neither an image"),
        (MP4[:200], "not a video we can read"),
        (sound_only(), "no video in it"),
    ],
    ids=["unknown", "truncated-video", "sound-only"],
)
def test_what_can_not_be_read_is_refused(app, upload, data, words):
    response = upload(data)
    assert_error(response, 400)
    assert words in response.json["error_msg"]
    with app.app_context():
        assert db.session.scalars(select(MediaFile)).all() == []


def test_each_kind_has_its_own_size_limit(make_app, backend):
    image, clip = png((300, 300), "green"), MP4
    app = make_app(**backend, media_max_bytes=len(image) - 1, video_max_bytes=len(clip) - 1)
    api = Api(app.test_client())
    token = api.signup("carol")

    def send(data):
        return api.call(
            "POST", "/api/media", token=token, data={"file": (io.BytesIO(data), "f")},
            content_type="multipart/form-data",
        )

    too_big_image, too_big_video = send(image), send(clip)
    assert_error(too_big_image, 413)
    assert too_big_image.json["error_msg"] == f"The image is larger than {len(image) - 1} bytes."
    assert_error(too_big_video, 413)
    assert too_big_video.json["error_msg"] == f"The video is larger than {len(clip) - 1} bytes."
    shorter = video(frames=3, audio=None)
    assert len(shorter) < len(clip)
    assert send(png()).status_code == send(shorter).status_code == 201


class Untouchable(io.RawIOBase):
    """A request body that must never be read."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body over the limit was read")


def test_a_body_over_every_limit_is_refused_unread(api, alice, app):
    response = api.call(
        "POST",
        "/api/media",
        token=alice,
        content_type="multipart/form-data; boundary=x",
        headers={"Idempotency-Key": "huge-1"},
        environ_overrides={
            "wsgi.input": Untouchable(),
            "CONTENT_LENGTH": str(501 * 1024 * 1024),
        },
    )
    assert_error(response, 413)


def test_uploads_need_an_account_and_a_file(api, alice, upload):
    assert_error(upload(png(), token=None), 401)
    assert_error(api.call("POST", "/api/media", token=alice, data={}), 400)
    assert_error(upload(b""), 400)
    assert_error(upload(png(), alt_text="x" * 5001), 400)
