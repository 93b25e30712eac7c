"""Videos read with PyAV: what a probe finds in real files, what it refuses, and the worker's
H.264/AAC copy of a video in another encoding."""

import io
from pathlib import Path

import av
import pytest
from media_samples import MOV, MP4, WEBM, png, sound_only, video

from writeas.services.video import Probe, VideoError, probe, transcode_h264


class OneWayStream(io.RawIOBase):
    """A stream that can't seek, as an S3 object's body can't."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._inner.readinto(buffer)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (MP4, Probe("video/mp4", 1.0, 64, 64, "mpeg4", "aac", 10.0)),
        (WEBM, Probe("video/webm", 1.0, 64, 64, "vp9", "opus", 10.0)),
        (MOV, Probe("video/quicktime", 1.0, 64, 64, "mpeg4", "", 10.0)),
    ],
    ids=["mp4", "webm", "quicktime"],
)
def test_a_probe_reads_container_codecs_size_length_and_rate(data, expected):
    found = probe(io.BytesIO(data))
    assert found.duration == pytest.approx(expected.duration, abs=0.05)
    assert found == Probe(**{**expected.__dict__, "duration": found.duration})


def test_a_probe_reads_a_path_and_leaves_a_stream_where_it_can_be_read_again(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4)
    assert probe(path).video_codec == "mpeg4"
    stream = io.BytesIO(MP4)
    probe(stream)
    stream.seek(0)
    assert not stream.closed and stream.read() == MP4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Only MP4, QuickTime and WebM"),
        (b"just some text, long enough to look at" * 3, "Only MP4, QuickTime and WebM"),
        (png(), "Only MP4, QuickTime and WebM"),
        # A HEIF photo is an ISO media file too, with a still image's brand.
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "Only MP4"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42" + bytes(200), "can't read|not a"),
        (MP4[: len(MP4) // 3], "not a video we can read|no video frame"),
        (sound_only(), "no video in it"),
    ],
    ids=["empty", "text", "png", "heif", "header-only", "truncated", "sound-only"],
)
def test_what_a_probe_refuses(data, message):
    with pytest.raises(VideoError, match=message):
        probe(io.BytesIO(data))


def _packets_before_index(path: Path) -> bool:
    """Whether the MP4's index (`moov`) comes before its data (`mdat`): "fast start"."""
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


@pytest.mark.parametrize(
    "source", [MP4, WEBM, MOV], ids=["mpeg4-in-mp4", "vp9-in-webm", "mpeg4-in-quicktime"]
)
def test_transcoding_makes_an_h264_mp4(tmp_path, source):
    destination = tmp_path / "out.mp4"
    result = transcode_h264(io.BytesIO(source), destination)
    assert (result.mime_type, result.video_codec) == ("video/mp4", "h264")
    assert result.audio_codec == ("" if source is MOV else "aac")
    assert (result.width, result.height, result.frame_rate) == (64, 64, 10.0)
    assert result.duration == pytest.approx(1.0, abs=0.1)
    assert result == probe(destination)
    assert _packets_before_index(destination)
    with av.open(str(destination)) as copy:
        assert copy.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _frame in copy.decode(video=0)) == 10


def test_transcoding_reads_a_stream_that_cannot_seek_and_evens_odd_sizes(tmp_path):
    odd = video("webm", "libvpx-vp9", None, size=(65, 49))
    destination = tmp_path / "out.mp4"
    result = transcode_h264(OneWayStream(odd), destination)
    assert (result.video_codec, result.width, result.height) == ("h264", 64, 48)


def test_transcoding_refuses_what_is_not_a_video(tmp_path):
    with pytest.raises(VideoError):
        transcode_h264(io.BytesIO(b"not a video at all"), tmp_path / "out.mp4")
