"""The media store on both backends: what goes in comes back whole or a range at a time,
is replaced by a second put, and is gone once deleted; and the settings that choose it."""

import io
import os
from pathlib import Path

import pytest

from writeas.services import media_store
from writeas.settings import Settings


@pytest.fixture
def store(app):
    with app.app_context():
        yield media_store.current()


def test_what_goes_in_comes_back(store):
    store.put("ab/abcdef.png", io.BytesIO(b"0123456789"), "image/png")
    with store.open("ab/abcdef.png") as stream:
        assert stream.read() == b"0123456789"
    with store.open("ab/abcdef.png", 3, 7) as stream:
        assert stream.read(4) == b"3456"
    with store.open("ab/abcdef.png", 8) as stream:
        assert stream.read() == b"89"


def test_a_second_put_replaces_and_delete_removes(store):
    store.put("k/one.mp4", io.BytesIO(b"first"), "video/mp4")
    store.put("k/one.mp4", io.BytesIO(b"second"), "video/mp4")
    with store.open("k/one.mp4") as stream:
        assert stream.read() == b"second"
    store.delete("k/one.mp4")
    with pytest.raises(media_store.MissingFile):
        store.open("k/one.mp4")
    store.delete("k/one.mp4")  # already gone: nothing to do


def test_a_put_reads_the_stream_from_its_start(store):
    source = io.BytesIO(b"whole file")
    source.read(5)
    store.put("k/rewound.png", source, "image/png")
    with store.open("k/rewound.png") as stream:
        assert stream.read() == b"whole file"


def test_a_large_file_streams_in_and_out_in_parts(store):
    """9 MiB: more than one part of an S3 multipart upload (8 MiB each)."""
    data = os.urandom(1024) * (9 * 1024)
    store.put("k/big.mp4", io.BytesIO(data), "video/mp4")
    with store.open("k/big.mp4") as stream:
        received = b"".join(iter(lambda: stream.read(1024 * 1024), b""))
    assert received == data
    with store.open("k/big.mp4", len(data) - 10, len(data)) as stream:
        assert stream.read(10) == data[-10:]


def test_local_files_live_under_media_dir(make_app, tmp_path):
    folder = tmp_path / "elsewhere"
    app = make_app(media_dir=str(folder))
    with app.app_context():
        store = media_store.current()
        store.put("ab/x.png", io.BytesIO(b"png"), "image/png")
        assert (folder / "ab" / "x.png").read_bytes() == b"png"
        assert [p.name for p in (folder / "ab").iterdir()] == ["x.png"]  # no partial left
        with pytest.raises(ValueError, match="leaves the media folder"):
            store.put("../outside.png", io.BytesIO(b"no"), "image/png")
    assert not (tmp_path / "outside.png").exists()


def test_s3_objects_carry_their_content_type(make_app, s3_server):
    bucket = s3_server.new_bucket()
    app = make_app(**s3_server.settings(bucket))
    with app.app_context():
        media_store.current().put("ab/x.webm", io.BytesIO(b"webm"), "video/webm")
    head = s3_server.client().head_object(Bucket=bucket, Key="ab/x.webm")
    assert head["ContentType"] == "video/webm" and head["ContentLength"] == 4
    assert s3_server.keys(bucket) == ["ab/x.webm"]


def test_the_media_settings(tmp_path):
    environment = {"INSTANCE_PATH": str(tmp_path)}
    default = Settings.from_environment(environment)
    assert default.media_store == "local"
    assert Path(default.media_dir) == tmp_path / "media"
    assert default.video_max_bytes == 500 * 1024 * 1024
    s3 = Settings.from_environment(
        {
            **environment,
            "MEDIA_STORE": "s3",
            "S3_BUCKET": "uploads",
            "S3_ENDPOINT_URL": "http://minio.internal:9000",
            "S3_ACCESS_KEY_ID": "AKIDVISIBLE",
            "S3_SECRET_ACCESS_KEY": "very-secret-value",
            "VIDEO_MAX_BYTES": "1048576",
        }
    )
    assert (s3.media_store, s3.s3_bucket, s3.video_max_bytes) == ("s3", "uploads", 1048576)
    # The settings may be logged or shown in a traceback: the keys never are.
    assert "very-secret-value" not in repr(s3) and "AKIDVISIBLE" not in repr(s3)
    with pytest.raises(RuntimeError, match="MEDIA_STORE"):
        Settings.from_environment({**environment, "MEDIA_STORE": "ftp"})
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        Settings.from_environment({**environment, "MEDIA_STORE": "s3"})
    with pytest.raises(RuntimeError, match="VIDEO_MAX_BYTES"):
        Settings.from_environment({**environment, "VIDEO_MAX_BYTES": "lots"})
