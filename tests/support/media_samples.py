"""Small real files for the media tests: images made with Pillow, videos encoded with PyAV
(a second of a few frames, with or without sound), so every probe reads a true file."""

import io

import av
from PIL import Image


def png(size=(64, 48), color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(size=(40, 30)) -> bytes:
    """A JPEG whose EXIF names where it was taken (GPS IFD), as a phone's photo would."""
    image = Image.new("RGB", size, "blue")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def video(
    container="mp4", codec="mpeg4", audio="aac", size=(64, 64), fps=10, frames=10
) -> bytes:
    """`frames` frames of changing colour at `fps`, and (unless `audio` is None) as long a
    silence in mono at 48 kHz."""
    width, height = size
    out = io.BytesIO()
    with av.open(out, "w", format=container) as file:
        picture = file.add_stream(codec, rate=fps)
        picture.width, picture.height, picture.pix_fmt = width, height, "yuv420p"
        sound = file.add_stream(audio, rate=48000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for number, plane in enumerate(frame.planes):
                plane.update(bytes([(index * 20 + number * 60) % 256]) * plane.buffer_size)
            frame.pts = index
            file.mux(picture.encode(frame))
        file.mux(picture.encode(None))
        if sound is not None:
            _silence(file, sound, 48000 * frames // fps)
    return out.getvalue()


def _silence(file, sound, samples: int) -> None:
    step = sound.codec_context.frame_size or 960
    for start in range(0, samples - step + 1, step):
        frame = av.AudioFrame(format=sound.format.name, layout="mono", samples=step)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.rate, frame.pts = 48000, start
        file.mux(sound.encode(frame))
    file.mux(sound.encode(None))


def sound_only() -> bytes:
    """An MP4 holding only sound: a container PyAV opens, with no video in it."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as file:
        sound = file.add_stream("aac", rate=48000)
        sound.layout = "mono"
        _silence(file, sound, 48000)
    return out.getvalue()


MP4 = video()
WEBM = video("webm", "libvpx-vp9", "libopus")
MOV = video("mov", "mpeg4", None)
