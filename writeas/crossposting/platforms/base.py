"""What every platform adapter provides, and the one way outcomes are classified.

An adapter is a real client of its platform's documented HTTP API, pointed at a base URL
(the platform's own, or a test server speaking the same API). It never retries by itself
and never sleeps: it reports an `Outcome`, and the delivery engine decides what happens
next, so retry, backoff and "never twice" live in one place.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO

from writeas.core.enums import OutcomeKind
from writeas.core.lazy_imports import lazy

# The HTTP client loads with the first request this process sends out.
httpx = lazy("httpx")

# The outcome kinds, by their short names.
PUBLISHED, RETRY, UNKNOWN = OutcomeKind.PUBLISHED, OutcomeKind.RETRY, OutcomeKind.UNKNOWN
AUTH, PERMANENT = OutcomeKind.AUTH, OutcomeKind.PERMANENT


class PlatformError(Exception):
    """Raised by `verify`: the credentials or handle don't work. `status` is the HTTP status
    our API answers with (400 for a refusal by the platform, 502 when it can't be reached)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class Stop(Exception):
    """Carries a final outcome out of a nested request (an upload, a refresh) to `publish`."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.error)
        self.outcome = outcome


@dataclass
class Account:
    """A verified account on a platform. `credentials` may have been extended or rotated by
    the adapter (a refreshed token, a Bluesky DID); the caller stores them sealed.
    `details` is what the platform told us of the account that is not secret (a server's
    version and limits, a Facebook page's name), stored as read at connect."""

    handle: str
    account_id: str
    credentials: dict
    details: dict = field(default_factory=dict)


IMAGE, VIDEO = "image", "video"


@dataclass
class Media:
    """One file of a post. An image's bytes are in `data` (already fitted to the platform's
    byte limit); a video's may be hundreds of megabytes, so `data` is empty and `open()`
    streams them. `url` is the file's unguessable public address, for the platforms that
    fetch media themselves (Instagram, Threads, Facebook, TikTok's PULL_FROM_URL)."""

    data: bytes
    mime_type: str
    alt_text: str = ""
    filename: str = "image"
    kind: str = IMAGE
    url: str = ""
    size: int = 0
    width: int = 0
    height: int = 0
    duration: float = 0.0  # seconds, for a video
    opener: Callable[[], IO[bytes]] | None = None

    def open(self) -> IO[bytes]:
        """The file's bytes as a stream (an image's from memory, a video's from the store)."""
        if self.opener is not None:
            return self.opener()
        return io.BytesIO(self.data)


@dataclass
class Content:
    """What to publish. Short-form platforms use `text` (already composed and within the
    limit); long-form ones use `title`, `markdown`/`html` and `canonical_url`."""

    text: str
    title: str = ""
    markdown: str = ""
    html: str = ""
    canonical_url: str = ""
    tags: list[str] = field(default_factory=list)
    language: str = ""
    media: list[Media] = field(default_factory=list)
    # Chosen before the first attempt and reused on every retry, so a platform that
    # understands it (Mastodon's Idempotency-Key, a Bluesky record key) dedupes for us.
    idempotency_key: str = ""
    # The target's own fields (seed 002): a destination link (a Pinterest pin's, a
    # Facebook link post's), a board, the platform's options (already checked by
    # `Platform.check_options`), and a first comment to reply with once published.
    link: str = ""
    board_id: str = ""
    options: dict = field(default_factory=dict)
    first_comment: str = ""
    # What earlier attempts of this delivery left (`Delivery.platform_state`): a
    # container id, an upload session, a publish id. `remember` writes to it and stores
    # it at once, before the call that could create something, so that a worker killed
    # right after that call leaves the next attempt a handle to poll or resume with.
    state: dict = field(default_factory=dict)
    saver: Callable[[dict], None] | None = field(default=None, repr=False, compare=False)

    def remember(self, **values) -> None:
        self.state.update(values)
        if self.saver is not None:
            self.saver(dict(self.state))


@dataclass
class Outcome:
    kind: str
    post_id: str | None = None
    url: str | None = None
    uri: str | None = None
    cid: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from the platform's own headers
    credentials: dict | None = None  # rotated credentials to store, when they changed
    # A RETRY that only waits for the platform to finish processing (a video, a media
    # container): the next attempt polls the handle kept in `Content.state`. It doesn't
    # count against the attempts, but the platform's processing has a deadline of its own
    # (PROCESSING_MAX_SECONDS) after which the delivery fails.
    processing: bool = False
    # The first comment's own outcome, when the target asked for one:
    # {"status": "published" | "failed", "id": …, "url": …, "error": …}.
    first_comment: dict | None = None


# `Platform.landed` proved that an attempt whose outcome was unknown did not create a post.
NOT_LANDED = "not landed"


@dataclass(frozen=True)
class MediaLimits:
    """What a platform accepts per post; requests beyond it are refused up front (400)."""

    max_images: int
    max_bytes: int
    max_alt_text: int
    mime_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class VideoLimits:
    """What a platform accepts of a video; a request beyond it is refused up front (400)
    naming the platform and the limit. `aspect_ratios` is (min, max) of width/height.
    `codecs` and `audio_codecs` are FFmpeg's names, as the probe gives them; a video in a
    container or codec the platform refuses is sent as an H.264/AAC MP4 copy, made by
    the worker, where the platform takes that."""

    max_videos: int = 1
    max_bytes: int = 0
    min_seconds: float = 0.0
    max_seconds: float = 0.0
    codecs: frozenset[str] = frozenset({"h264", "hevc"})
    audio_codecs: frozenset[str] = frozenset({"aac", "mp3"})
    containers: frozenset[str] = frozenset({"video/mp4", "video/quicktime"})
    aspect_ratios: tuple[float, float] | None = None
    # Whether a video goes with images in one post (a carousel) on this platform.
    mixes_with_images: bool = False

    def takes_as_is(self, mime_type: str, video_codec: str, audio_codec: str) -> bool:
        """Whether the file goes as uploaded (a silent video has no audio codec)."""
        return (
            mime_type in self.containers
            and video_codec in self.codecs
            and (not audio_codec or audio_codec in self.audio_codecs)
        )

    @property
    def takes_h264_copy(self) -> bool:
        return (
            "video/mp4" in self.containers and "h264" in self.codecs
            and "aac" in self.audio_codecs
        )


class OptionError(ValueError):
    """A target's `options` (or `board_id`, `link`, …) the platform can't take: our 400."""


class Platform:
    name: str = ""
    default_base_url: str = ""
    media_limits: MediaLimits = MediaLimits(max_images=0, max_bytes=0, max_alt_text=0)
    # None: the platform takes no video from us.
    video_limits: VideoLimits | None = None
    # The `options` a target may carry, by name, with what each accepts, for the API's
    # documentation; `check_options` enforces them.
    options: dict[str, str] = {}
    # The credential fields a channel is connected with (the dashboard's form shows them).
    credential_fields: tuple[str, ...] = ()
    # Whether a target must name a board (Pinterest).
    needs_board: bool = False
    # Whether the platform posts a first comment (a reply, or a comment on the post).
    first_comments: bool = False

    def new_idempotency_key(self) -> str:
        """Chosen once per delivery, before its first attempt (see `Content`)."""
        return uuid.uuid4().hex

    def limits_for(self, details: dict) -> MediaLimits:
        """The media limits of one account's server, where the platform lets servers set
        their own (`details` as read at connect)."""
        return self.media_limits

    def check_options(self, options: dict) -> dict:
        """The target's options as they will be sent, or `OptionError` naming what is
        wrong: an option this platform doesn't have is refused, never silently ignored."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            allowed = ", ".join(sorted(self.options)) or "none"
            raise OptionError(
                f"{self.name} has no option `{unknown[0]}` (its options: {allowed})."
            )
        return dict(options)

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        """Why these files (`Media`, or the stored rows: both have `kind`, `width`,
        `height` and `duration`) with these options can't make one post here, or None.
        Asked when the request arrives, for a 400, and by the worker before anything is
        converted or sent."""
        return None

    def resend_safe(self, account: Account, state: dict) -> bool:
        """Whether sending again after an unknown outcome can't make a second post: the
        request carries a handle the platform dedupes on, or a handle kept in `state`
        (`Content.state`) lets the next attempt poll or resume instead of create. When
        not, the engine asks `landed` on the next attempt, and marks the delivery
        `unconfirmed` if that can't tell."""
        return False

    def landed(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome | str | None:
        """After an unknown outcome: the post, if a lookup finds that the attempt made it
        (a PUBLISHED outcome); NOT_LANDED if the lookup proves it did not; None if the
        platform offers no way to tell (then the delivery is `unconfirmed`)."""
        return None

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        raise NotImplementedError

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        raise NotImplementedError

    def boards(self, http: httpx.Client, base_url: str, account: Account) -> list[dict]:
        """The boards a post can go to (`needs_board` platforms): `{id, name, privacy,
        description}` each."""
        raise PlatformError(f"{self.name} has no boards.")


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or the rate-limit reset
    headers platforms send (`x-rate-limit-reset` on X, `ratelimit-reset` on Bluesky and
    `x-ratelimit-reset` on Mastodon, as an epoch or an ISO time)."""
    now = now or datetime.now(UTC)
    headers = response.headers
    value = headers.get("retry-after")
    if value:
        if value.strip().isascii() and value.strip().isdigit():
            return float(value.strip())
        try:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
        except (TypeError, ValueError):
            pass
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            if value.isascii() and value.isdigit():
                number = int(value)
                # An epoch timestamp, or (Bluesky docs allow it) seconds from now.
                return max(0.0, number - now.timestamp()) if number > 10**9 else float(number)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return max(0.0, (moment - now).total_seconds())
        except (ValueError, OverflowError):
            continue
    return None


def error_message(response: httpx.Response) -> str:
    """The platform's own words, verbatim when it gives any."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        # `error` is often a code ("ExpiredToken") beside a readable `message`.
        keys = ["error_description", "error", "message", "detail", "error_msg", "title"]
        if isinstance(data.get("error"), str) and " " not in data["error"] and data.get("message"):
            keys.remove("error")
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            for key in ("message", "detail", "title"):
                if isinstance(errors[0].get(key), str):
                    return errors[0][key]
    text = response.text.strip()
    return text[:500] if text else f"HTTP {response.status_code}"


def classify(response: httpx.Response) -> Outcome | None:
    """None for a success; otherwise the outcome its status code means."""
    status = response.status_code
    if status < 400:
        return None
    message = error_message(response)
    if status in (429, 503):
        return Outcome(RETRY, error=message, retry_after=retry_after(response))
    if status >= 500:
        # A gateway timeout or a crash may come after the post was made: unknown, not retry.
        return Outcome(UNKNOWN, error=message, retry_after=retry_after(response))
    if status == 401:
        return Outcome(AUTH, error=message)
    return Outcome(PERMANENT, error=message)


def transport_outcome(error: httpx.HTTPError) -> Outcome:
    """A request that failed in transit. If it failed before anything was sent (no
    connection, refused, connect timeout) it is safe to retry; a read timeout or a dropped
    connection after sending leaves the result unknown."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Outcome(RETRY, error=f"Could not connect: {error}")
    return Outcome(UNKNOWN, error=f"No answer after sending: {error}")


def send(http: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response | Outcome:
    """One request: its response, or the outcome of a request that failed in transit."""
    try:
        return http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        return transport_outcome(error)


def checked(http: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """One request that must succeed: its response, or `Stop` with what its failure means."""
    response = send(http, method, url, **kwargs)
    if isinstance(response, Outcome):
        raise Stop(response)
    outcome = classify(response)
    if outcome is not None:
        raise Stop(outcome)
    return response


def failure(response: httpx.Response | Outcome) -> Outcome:
    """What a request that didn't give the answer it should have comes to."""
    if isinstance(response, Outcome):
        return response
    return classify(response) or Outcome(RETRY, error=f"HTTP {response.status_code}")


def verify_failure(
    response: httpx.Response, message: str | None = None, *, server: str = "", base_url: str = ""
) -> PlatformError:
    """Why credentials couldn't be verified: a 4xx (but 429) is the platform refusing them
    (our 400); anything else is it being unavailable (502). A non-JSON answer from a server
    of the user's choosing (`server` names its kind) is most likely not that kind of server."""
    status = 400 if 400 <= response.status_code < 500 and response.status_code != 429 else 502
    if server and "json" not in response.headers.get("content-type", ""):
        message = f"{base_url} answered HTTP {response.status_code}; is it a {server} server?"
        return PlatformError(message, status)
    return PlatformError(message or error_message(response), status)
