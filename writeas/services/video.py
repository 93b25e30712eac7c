"""Videos, read with PyAV (FFmpeg): what an upload holds (its container, codecs, size,
length, frame rate), and a copy in H.264/AAC MP4 for the platforms that take nothing else.

An upload is refused unless FFmpeg can open it, it has a video stream and its first frame
decodes: a file that only looks like a video would otherwise fail much later, at some
platform, after the user has gone.
"""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO

from writeas.core.lazy_imports import lazy

av = lazy("av")  # FFmpeg: loaded by the first upload or transcode, not by every worker

Source = IO[bytes] | str | Path
MP4, QUICKTIME, WEBM = "video/mp4", "video/quicktime", "video/webm"
# FFmpeg's demuxer names (a family each) for the containers we take.
_DEMUXERS = {MP4: "mp4", QUICKTIME: "mov", WEBM: "webm"}
# ISO base media files that are still images (HEIF, AVIF), not videos.
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
# Width × height refused before the first frame is decoded: 8K (7680×4320) and no more.
_MAX_PIXELS = 7680 * 4320
_DEFAULT_RATE = Fraction(30)
UNREADABLE = "Parameter `file` is not a video we can read."


class VideoError(ValueError):
    """The file is not a video we can read (the message says why, for the uploader)."""


@dataclass(frozen=True)
class Probe:
    mime_type: str
    duration: float  # seconds
    width: int
    height: int
    video_codec: str  # FFmpeg's name of the format: "h264", "hevc", "vp9", "av1", "mpeg4", …
    audio_codec: str  # "aac", "mp3", "opus", …; "" when there is no sound
    frame_rate: float


def container_type(head: bytes) -> str | None:
    """The container a file's first bytes announce (MP4, QuickTime or WebM), or None."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return None
        return QUICKTIME if brand == b"qt  " else MP4
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return WEBM
    return None


@contextlib.contextmanager
def _readable(source: Source) -> Iterator[IO[bytes] | str]:
    """What FFmpeg can read at random: a path, or a stream it may seek in. A stream that
    can't seek (an S3 body) is copied to a temporary file first, since MP4 keeps its index
    at the end as often as not."""
    if isinstance(source, str | Path):
        yield str(source)
        return
    if source.seekable():
        source.seek(0)
        yield source
        return
    with tempfile.TemporaryFile() as spooled:
        shutil.copyfileobj(source, spooled, 1024 * 1024)
        spooled.seek(0)
        yield spooled


def _head(readable: IO[bytes] | str) -> bytes:
    if isinstance(readable, str):
        with open(readable, "rb") as file:
            return file.read(64)
    head = readable.read(64)
    readable.seek(0)
    return head


def _opened(readable: IO[bytes] | str, unreadable: str = UNREADABLE):
    try:
        return av.open(readable, metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError):
        raise VideoError(unreadable) from None


def probe(source: Source) -> Probe:
    with _readable(source) as readable:
        mime_type = container_type(_head(readable))
        if mime_type is None:
            raise VideoError("Only MP4, QuickTime and WebM videos are accepted.")
        with _opened(readable) as container:
            try:
                return _described(container, mime_type)
            except (av.FFmpegError, OSError) as error:
                raise VideoError(UNREADABLE) from error


def _described(container, mime_type: str) -> Probe:
    if _DEMUXERS[mime_type] not in container.format.name.split(","):
        raise VideoError(UNREADABLE)
    if not container.streams.video:
        raise VideoError("Parameter `file` has no video in it.")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise VideoError(UNREADABLE)
    if width * height > _MAX_PIXELS:
        raise VideoError("Video is too large a picture (over 7680×4320).")
    if next(container.decode(stream), None) is None:
        raise VideoError("Parameter `file` has no video frame we can read.")
    if container.duration:
        duration = container.duration / av.time_base
    elif stream.duration:
        duration = float(stream.duration * stream.time_base)
    else:
        duration = 0.0
    audio = container.streams.audio
    return Probe(
        mime_type=mime_type,
        duration=round(duration, 3),
        width=width,
        height=height,
        video_codec=_codec(stream),
        audio_codec=_codec(audio[0]) if audio else "",
        frame_rate=round(float(_rate(stream)), 3),
    )


def _codec(stream) -> str:
    """The format's name, not the decoder's (FFmpeg decodes MP3 with "mp3float"), so
    platforms' lists can name formats."""
    return stream.codec_context.codec.canonical_name


def _rate(stream) -> Fraction:
    return stream.average_rate or stream.guessed_rate or _DEFAULT_RATE


def transcode_h264(source: Source, destination: str | Path) -> Probe:
    """`source` re-encoded as H.264 video (yuv420p, even dimensions) with AAC sound in an
    MP4 whose index comes first (so platforms can start reading before the end), written
    to `destination`; answers the copy's probe. For the worker: it takes as long as the
    video does to encode. A `VideoError` says why not, as the end of "can't be converted
    to H.264: …"."""
    with _readable(source) as readable, _opened(readable, "FFmpeg can't read it") as source_file:
        try:
            with av.open(
                str(destination), "w", format="mp4", options={"movflags": "+faststart"}
            ) as out:
                _copy_as_h264(source_file, out)
        except (av.FFmpegError, OSError) as error:
            raise VideoError(f"FFmpeg failed while encoding it ({error})") from error
    return probe(destination)


def _copy_as_h264(source_file, out) -> None:
    if not source_file.streams.video:
        raise VideoError("it holds no video")
    video_in = source_file.streams.video[0]
    # 4:2:0 chroma halves the picture both ways, so H.264 needs even dimensions.
    width = max(2, video_in.codec_context.width // 2 * 2)
    height = max(2, video_in.codec_context.height // 2 * 2)
    video_out = out.add_stream("libx264", rate=_rate(video_in), options={"preset": "veryfast"})
    video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
    inputs, outputs = [video_in], {video_in.index: video_out}
    if source_file.streams.audio:
        audio_in = source_file.streams.audio[0]
        audio_out = out.add_stream("aac", rate=audio_in.codec_context.sample_rate or 48000)
        audio_out.layout = "stereo" if audio_in.codec_context.channels > 1 else "mono"
        inputs.append(audio_in)
        outputs[audio_in.index] = audio_out
    for packet in source_file.demux(*inputs):
        target = outputs[packet.stream.index]
        for frame in packet.decode():
            if target is video_out:
                frame = frame.reformat(width=width, height=height, format="yuv420p")
            out.mux(target.encode(frame))
    for target in outputs.values():
        out.mux(target.encode(None))
