"""YouTube, through the Data API v3 (developers.google.com/youtube/v3) with OAuth 2.0.

A post is one video, sent with the resumable upload protocol. The session URI YouTube
answers is kept on the delivery (`upload_uri`) before any byte is sent, and no video
exists until the session has every byte, so an attempt that died anywhere leaves a handle:
the next one asks the session how much it holds and goes on from there, or finds the
video it completed, or (404: the session expired, so it never completed) starts afresh.
The video's id is kept as soon as it is known (`video_id`); from then on attempts only
poll its processing, one poll per attempt, and it is published once YouTube says it is
processed. Nothing here can make a second video, so every unknown outcome is a retry.
An attempt sends chunks for a minute at most and leaves the rest to the next one, so a
large video takes several attempts and none of them outlives its lease on the delivery.

The quota day ends at midnight Pacific Time: `quotaExceeded` waits until then. Access
tokens last an hour and are renewed with the refresh token at Google's token endpoint.
"""

import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import IO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from writeas.crossposting.formatting import PlatformText, truncate
from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
    NOT_LANDED,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    VIDEO,
    Account,
    Content,
    Media,
    MediaLimits,
    OptionError,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    VideoLimits,
    classify,
    error_message,
    retry_after,
    transport_outcome,
    verify_failure,
)

GOOGLE_API = "https://www.googleapis.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address)
# Every chunk but the last must be a multiple of 256 KiB; 8 MiB is few requests per
# gigabyte yet little to send again when one is lost.
CHUNK_UNIT = 256 * 1024
CHUNK_BYTES = 32 * CHUNK_UNIT
# How long one attempt goes on sending chunks before it leaves the rest to the next: well
# within a delivery's lease (DELIVERY_LEASE_SECONDS, 180 by default) with a chunk to spare.
UPLOAD_SECONDS = 60.0
# One video per post, 256 GB or 12 hours (the documented maximum; an unverified channel
# is held to 15 minutes by YouTube itself), in the containers and codecs YouTube lists.
VIDEO_LIMITS = VideoLimits(
    max_videos=1,
    max_bytes=256 * 1024**3,
    max_seconds=12 * 3600.0,
    codecs=frozenset({"h264", "hevc", "vp9", "av1"}),
    audio_codecs=frozenset({"aac", "mp3", "opus", "vorbis"}),
    containers=frozenset(
        {
            "video/mp4",
            "video/quicktime",
            "video/webm",
            "video/x-msvideo",
            "video/mpeg",
            "video/3gpp",
            "video/x-flv",
            "video/x-ms-wmv",
        }
    ),
)
PRIVACY = ("public", "unlisted", "private")
# A video goes public only when the target says so: a crosspost to video is a bigger
# step than a text post, and YouTube keeps uploads of unaudited API projects private anyway.
DEFAULT_PRIVACY = "private"
TITLE = PlatformText("youtube", 100, "codepoints", long_form=False)
TAGS_CHARACTERS = 500
QUOTA_DAY = ZoneInfo("America/Los_Angeles")
# `uploadLimitExceeded`: YouTube's advice is to try again in 24 hours.
UPLOAD_CAP_SECONDS = 24 * 3600.0
# Between polls of a processing video: YouTube's own estimate of the time left, kept
# within these bounds, or the default when it gives none.
PROCESSING_WAIT = 30.0
PROCESSING_WAIT_BOUNDS = (10.0, 600.0)
_RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded"}
# YouTube refuses `<` and `>` in titles, descriptions and tags; these look the same.
_ANGLES = str.maketrans({"<": "\u2039", ">": "\u203a"})
_RANGE = re.compile(r"bytes=0-(\d+)")
_CATEGORY = re.compile(r"[0-9]{1,4}")


def until_quota_reset(now: datetime) -> float:
    """Seconds until YouTube's quota day ends: the next midnight Pacific Time, whatever
    the season (timestamps, so a clock in any zone subtracts right across DST)."""
    local = now.astimezone(QUOTA_DAY)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=QUOTA_DAY)
    return midnight.timestamp() - now.timestamp()


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def token_url(base: str) -> str:
    """Google serves tokens from its own host; any other base URL (a test server, a proxy)
    serves them at `/token` beside the Data API."""
    host = urlsplit(base).hostname or ""
    google = host == "googleapis.com" or host.endswith(".googleapis.com")
    return GOOGLE_TOKEN_URL if google else f"{base}/token"


def _google_error(response: httpx.Response) -> dict:
    """Google's error body, `{"error": {"code", "message", "errors": [{"domain", "reason",
    "message"}]}}`, or {} for anything else."""
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _message(response: httpx.Response) -> str:
    message = _google_error(response).get("message")
    return message if isinstance(message, str) and message else error_message(response)


def _reason(response: httpx.Response) -> str:
    errors = _google_error(response).get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("reason") or "")
    return ""


def _classify(response: httpx.Response, now: datetime) -> Outcome | None:
    """The shared reading of a status code, with YouTube's reasons for a 403 or 400 that
    only mean "later": the day's quota, a rate limit, the daily upload cap."""
    outcome = classify(response)
    if outcome is None:
        return None
    outcome.error = _message(response)
    reason = _reason(response)
    if reason == "quotaExceeded":
        return Outcome(RETRY, error=outcome.error, retry_after=until_quota_reset(now))
    if reason in _RATE_LIMITS:
        return Outcome(RETRY, error=outcome.error, retry_after=retry_after(response, now))
    if reason == "uploadLimitExceeded":
        return Outcome(RETRY, error=outcome.error, retry_after=UPLOAD_CAP_SECONDS)
    return outcome


class _Session:
    """The tokens of one verify or publish. A 401 is answered by refreshing the access token
    and sending the refused request again, once per request: Google refuses a token before
    acting on the request. Google's refresh tokens don't rotate, but a new one in the
    answer is kept."""

    def __init__(
        self, http: httpx.Client, base: str, credentials: dict, clock: Callable[[], datetime]
    ):
        self.http = http
        self.base = base
        self.credentials = dict(credentials)
        self.clock = clock
        self.changed = False

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.request(method, f"{self.base}{path}", **kwargs)

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        if not self.credentials.get("access_token"):
            self._refresh(None)
        response = self._send(method, url, **kwargs)
        if response.status_code == 401:
            self._refresh(response)
            response = self._send(method, url, **kwargs)
        return response

    def ok(self, response: httpx.Response) -> httpx.Response:
        """The response, or `Stop` with what its failure means."""
        outcome = _classify(response, self.clock())
        if outcome is not None:
            raise Stop(outcome)
        return response

    def _send(self, method: str, url: str, headers: dict | None = None, **kwargs):
        token = self.credentials["access_token"]
        headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        try:
            return self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise Stop(transport_outcome(error)) from error

    def _refresh(self, refused: httpx.Response | None) -> None:
        fields = ("refresh_token", "client_id", "client_secret")
        if not all(self.credentials.get(name) for name in fields):
            why = _message(refused) if refused is not None else "No access token to send."
            raise Stop(Outcome(AUTH, error=why))
        form = {"grant_type": "refresh_token", **{name: self.credentials[name] for name in fields}}
        try:
            response = self.http.post(token_url(self.base), data=form)
        except httpx.HTTPError as error:
            raise Stop(transport_outcome(error)) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise Stop(classify(response))
        if not response.is_success:  # invalid_grant: revoked or expired; invalid_client
            raise Stop(Outcome(AUTH, error=error_message(response)))
        try:
            tokens = response.json()
            self.credentials["access_token"] = str(tokens["access_token"])
        except (ValueError, KeyError, TypeError) as error:
            unreadable = f"Unreadable answer from Google's token endpoint: {error}"
            raise Stop(Outcome(RETRY, error=unreadable)) from error
        if tokens.get("refresh_token"):
            self.credentials["refresh_token"] = str(tokens["refresh_token"])
        self.changed = True


class _SessionGone(Stop):
    """The upload session answered 404: it expired, and so never completed a video."""

    def __init__(self):
        super().__init__(
            Outcome(RETRY, error="YouTube's upload session expired; the upload starts again.")
        )


def _check_credentials(credentials: dict) -> None:
    if not (credentials.get("access_token") or credentials.get("refresh_token")):
        raise PlatformError(
            "An access token, or a refresh token with its client_id and client_secret, is required."
        )
    if credentials.get("refresh_token") and not (
        credentials.get("client_id") and credentials.get("client_secret")
    ):
        raise PlatformError("A refresh token needs the OAuth client's client_id and client_secret.")


def _same_channel(handle: str, channel_id: str, snippet: dict) -> bool:
    """The handle may be the channel's @custom URL, its title or its id."""
    wanted = handle.strip().lstrip("@").casefold()
    names = (channel_id, snippet.get("customUrl"), snippet.get("title"))
    return any(str(name).lstrip("@").casefold() == wanted for name in names if name)


class YouTube(Platform):
    name = "youtube"
    default_base_url = GOOGLE_API
    credential_fields = ("access_token", "refresh_token", "client_id", "client_secret")
    media_limits = MediaLimits(max_images=0, max_bytes=0, max_alt_text=0)
    video_limits = VIDEO_LIMITS
    options = {
        "privacy_status": "public, unlisted or private (default: private)",
        "category_id": "a video category id, a string of digits (YouTube's default: 22)",
        "made_for_kids": "true or false: the video's made-for-kids declaration",
    }
    first_comments = True

    def __init__(
        self,
        chunk_bytes: int = CHUNK_BYTES,
        upload_seconds: float = UPLOAD_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ):
        if chunk_bytes <= 0 or chunk_bytes % CHUNK_UNIT:
            raise ValueError("chunk_bytes must be a multiple of 256 KiB")
        self.chunk_bytes = chunk_bytes
        self.upload_seconds = upload_seconds
        self.clock = clock or (lambda: datetime.now(UTC))

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        if len(media) != 1 or media[0].kind != VIDEO:
            return "A YouTube post is one video, and only that."
        return None

    def check_options(self, options: dict) -> dict:
        checked = super().check_options(options)
        if checked.get("privacy_status", DEFAULT_PRIVACY) not in PRIVACY:
            raise OptionError(
                "youtube option `privacy_status` must be public, unlisted or private."
            )
        category = checked.get("category_id")
        if category is not None and not (
            isinstance(category, str) and _CATEGORY.fullmatch(category)
        ):
            raise OptionError(
                'youtube option `category_id` must be a category id: a string of digits, like "22".'
            )
        if not isinstance(checked.get("made_for_kids", False), bool):
            raise OptionError("youtube option `made_for_kids` must be true or false.")
        return checked

    def resend_safe(self, account: Account, state: dict) -> bool:
        """Always: no video exists before its upload session is kept, a kept session is
        asked how far it got before any byte goes again, a kept video id is only polled, and
        a first comment that may have been sent is looked for before it is sent. So a
        lookup (`landed`) has nothing to add."""
        return True

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        base = base_url.rstrip("/")
        _check_credentials(credentials)
        session = _Session(http, base, credentials, self.clock)
        try:
            response = session.api(
                "GET", "/youtube/v3/channels", params={"part": "id,snippet", "mine": "true"}
            )
        except Stop as stop:
            status = 400 if stop.outcome.kind == AUTH else 502
            message = stop.outcome.error or "Google refused the credentials."
            raise PlatformError(message, status) from stop
        if not response.is_success:
            raise verify_failure(response, _message(response))
        try:
            items = response.json().get("items") or []
            channel = items[0] if items else {}
            channel_id, snippet = str(channel.get("id") or ""), channel.get("snippet") or {}
        except (ValueError, TypeError, AttributeError) as error:
            raise PlatformError(f"{base} did not answer like the YouTube Data API.", 502) from error
        if not channel_id:
            raise PlatformError("This Google account has no YouTube channel; create one first.")
        name = str(snippet.get("customUrl") or snippet.get("title") or channel_id)
        if handle.strip() and not _same_channel(handle, channel_id, snippet):
            raise PlatformError(f"These credentials belong to {name}, not {handle.strip()}.")
        return Account(
            handle=name,
            account_id=channel_id,
            credentials=session.credentials,
            details={"title": str(snippet.get("title") or "")},
        )

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = _Session(http, base_url.rstrip("/"), account.credentials, self.clock)
        try:
            outcome = self._publish(session, account, content)
        except Stop as stop:
            outcome = stop.outcome
        if outcome.kind == UNKNOWN:
            outcome.kind = RETRY  # the kept session and video id make it safe (`resend_safe`)
        if session.changed:
            outcome.credentials = session.credentials
        return outcome

    def _publish(self, session: _Session, account: Account, content: Content) -> Outcome:
        video_id = content.state.get("video_id")
        if not video_id:
            video_id = _Upload(session, content, self.chunk_bytes, self.upload_seconds).video_id()
            content.remember(video_id=video_id)
        waiting = _processing(session, video_id)
        if waiting is not None:
            return waiting
        outcome = Outcome(PUBLISHED, post_id=video_id, url=watch_url(video_id))
        if content.first_comment:
            outcome.first_comment = _first_comment(session, account, content, video_id)
        return outcome


# The upload.


def _size(media: Media) -> int:
    if media.size > 0:
        return media.size
    with media.open() as stream:
        size = stream.seek(0, io.SEEK_END)
    if size <= 0:
        raise Stop(Outcome(PERMANENT, error="The video file is empty."))
    return size


class _Upload:
    """One attempt's share of a video's upload. It sends chunks for `seconds` at most, then
    leaves the rest to the next attempt, so that no attempt outlives its lease on the
    delivery (a worker still uploading must not look dead to the sweep)."""

    def __init__(self, session: _Session, content: Content, chunk_bytes: int, seconds: float):
        self.session = session
        self.content = content
        self.media = content.media[0]  # one video: see `refuse`
        self.total = _size(self.media)
        self.chunk_bytes = chunk_bytes
        self.deadline = monotonic() + seconds

    def video_id(self) -> str:
        """The uploaded video's id: from the kept session, resumed where YouTube's copy
        ends (or already complete), or from a new session when there is none or it expired."""
        uri = self.content.state.get("upload_uri")
        if uri:
            try:
                status = {"Content-Range": f"bytes */{self.total}"}
                held = _progress(
                    self.session, self.session.request("PUT", uri, content=b"", headers=status)
                )
                return held if isinstance(held, str) else self._send(uri, held)
            except _SessionGone:
                pass
        uri = self._start()
        self.content.remember(upload_uri=uri)
        return self._send(uri, 0)

    def _start(self) -> str:
        """A session holds no video until it has every byte, so a lost answer here only
        leaves an unused session."""
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Length": str(self.total),
            "X-Upload-Content-Type": self.media.mime_type,
        }
        response = self.session.ok(
            self.session.api(
                "POST",
                "/upload/youtube/v3/videos",
                params={"uploadType": "resumable", "part": "snippet,status"},
                content=json.dumps(_metadata(self.content)).encode(),
                headers=headers,
            )
        )
        location = response.headers.get("location")
        if not location:
            raise Stop(Outcome(RETRY, error="YouTube answered no upload session URI."))
        return str(response.url.join(location))

    def _send(self, uri: str, offset: int) -> str:
        """Chunks from `offset` on, read from the stream one at a time; each answer says
        where the next one starts (YouTube may keep less than it was sent)."""
        with self.media.open() as stream:
            while True:
                stream.seek(offset)
                chunk = _read(stream, min(self.chunk_bytes, self.total - offset))
                if not chunk:
                    raise Stop(Outcome(PERMANENT, error="The video file is shorter than its size."))
                headers = {
                    "Content-Type": self.media.mime_type,
                    "Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{self.total}",
                }
                answer = self.session.request("PUT", uri, content=chunk, headers=headers)
                held = _progress(self.session, answer)
                if isinstance(held, str):
                    return held
                if not offset < held < self.total:
                    stuck = "YouTube's upload did not move on; resuming later."
                    raise Stop(Outcome(RETRY, error=stuck))
                offset = held
                if monotonic() >= self.deadline:
                    raise Stop(self._unfinished(offset))

    def _unfinished(self, held: int) -> Outcome:
        """Not a failure: the upload goes on at the next attempt, at once, and like the
        processing after it, it doesn't use up the delivery's attempts."""
        share = f"{held * 100 // self.total}%"
        return Outcome(
            RETRY, error=f"Uploading to YouTube ({share} sent).", retry_after=0.0, processing=True
        )


def _read(stream: IO[bytes], size: int) -> bytes:
    """`size` bytes unless the file ends: a short read would make a chunk YouTube refuses."""
    parts, wanted = [], size
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def _progress(session: _Session, response: httpx.Response) -> str | int:
    """What an upload session's answer says: the finished video's id, or how many bytes
    YouTube holds (308 Resume Incomplete, with `Range: bytes=0-N` once it holds any)."""
    if response.status_code in (200, 201):
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise Stop(Outcome(RETRY, error=f"Unreadable answer to an upload: {error}")) from error
    if response.status_code == 308:
        held = response.headers.get("range")
        if held is None:
            return 0
        match = _RANGE.fullmatch(held.strip())
        if match is None:
            raise Stop(Outcome(RETRY, error=f"Unreadable Range from YouTube's upload: {held}"))
        return int(match.group(1)) + 1
    if response.status_code in (404, 410):
        raise _SessionGone()
    session.ok(response)
    raise Stop(
        Outcome(
            RETRY, error=f"Unexpected answer from YouTube's upload: HTTP {response.status_code}"
        )
    )


def _metadata(content: Content) -> dict:
    options = content.options
    snippet = {"title": _title(content), "description": content.text.translate(_ANGLES)}
    tags = _tags(content.tags)
    if tags:
        snippet["tags"] = tags
    if options.get("category_id"):
        snippet["categoryId"] = options["category_id"]
    status: dict = {"privacyStatus": options.get("privacy_status", DEFAULT_PRIVACY)}
    if "made_for_kids" in options:
        status["selfDeclaredMadeForKids"] = options["made_for_kids"]
    return {"snippet": snippet, "status": status}


def _title(content: Content) -> str:
    """YouTube refuses an empty title: a post without one is named by its first line.
    A title is one line of at most 100 characters, cut at a word with an ellipsis."""
    lines = [line for line in content.text.splitlines() if line.strip()]
    source = content.title.strip() or (lines[0] if lines else "")
    title = " ".join(source.translate(_ANGLES).split())
    return truncate(title, TITLE.limit, TITLE)


def _tags(tags: list[str]) -> list[str]:
    """As many of the post's tags as fit YouTube's 500 characters, counted its way: the
    commas between tags count, and a tag with a space counts as if quoted."""
    kept: list[str] = []
    used = 0
    for raw in tags:
        tag = " ".join(str(raw).lstrip("#").translate(_ANGLES).split())
        if not tag or tag in kept:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + (1 if kept else 0)
        if used + cost <= TAGS_CHARACTERS:
            kept.append(tag)
            used += cost
    return kept


# Processing.


def _processing(session: _Session, video_id: str) -> Outcome | None:
    """None once YouTube has processed the video; otherwise what that means for now."""
    response = session.ok(
        session.api(
            "GET",
            "/youtube/v3/videos",
            params={"part": "status,processingDetails", "id": video_id},
        )
    )
    try:
        items = response.json().get("items") or []
        video = items[0] if items else None
    except (ValueError, TypeError, AttributeError) as error:
        raise Stop(Outcome(RETRY, error=f"Unreadable answer about the video: {error}")) from error
    if not isinstance(video, dict):
        return Outcome(PERMANENT, error=f"YouTube no longer has the uploaded video {video_id}.")
    status = video.get("status") or {}
    details = video.get("processingDetails") or {}
    upload = status.get("uploadStatus")
    if upload == "rejected":
        reason = status.get("rejectionReason") or "no reason given"
        return Outcome(PERMANENT, error=f"YouTube rejected the video ({reason}).")
    processing = details.get("processingStatus")
    failed = upload if upload in ("failed", "deleted") else None
    failed = failed or (processing if processing in ("failed", "terminated") else None)
    if failed:
        reason = status.get("failureReason") or details.get("processingFailureReason") or failed
        return Outcome(PERMANENT, error=f"YouTube could not process the video ({reason}).")
    if upload == "processed":
        return None
    return Outcome(
        RETRY,
        error="YouTube is still processing the video.",
        retry_after=_processing_wait(details),
        processing=True,
    )


def _processing_wait(details: dict) -> float:
    left = (details.get("processingProgress") or {}).get("timeLeftMs")
    try:
        seconds = float(left) / 1000
    except (TypeError, ValueError):
        return PROCESSING_WAIT
    low, high = PROCESSING_WAIT_BOUNDS
    return min(max(seconds, low), high)


# The first comment.


def _comment_posted(video_id: str, thread_id: str) -> dict:
    return {"status": "published", "id": thread_id, "url": f"{watch_url(video_id)}&lc={thread_id}"}


def _comment_failed(error: str | None) -> dict:
    return {"status": "failed", "error": error or "YouTube did not take the comment."}


def _first_comment(session: _Session, account: Account, content: Content, video_id: str) -> dict:
    """Sent once: its outcome is kept, and after an attempt that may have sent it (the
    answer lost, or the worker stopped) it is looked for before it is sent again."""
    kept = content.state.get("first_comment")
    if kept:
        return kept
    found = NOT_LANDED
    if content.state.get("comment_sent"):
        found = _find_comment(session, account, content, video_id) or _comment_failed(
            "An earlier attempt may have posted it and YouTube could not be asked; not sent again."
        )
    if found == NOT_LANDED:
        content.remember(comment_sent=True)
        found = _post_comment(session, account, content, video_id)
    content.remember(first_comment=found)
    return found


def _post_comment(session: _Session, account: Account, content: Content, video_id: str) -> dict:
    """commentThreads.insert, which needs the `youtube.force-ssl` scope."""
    comment = {"snippet": {"textOriginal": content.first_comment}}
    body = {"snippet": {"videoId": video_id, "topLevelComment": comment}}
    try:
        response = session.ok(
            session.api("POST", "/youtube/v3/commentThreads", params={"part": "snippet"}, json=body)
        )
        return _comment_posted(video_id, str(response.json()["id"]))
    except Stop as stop:
        if stop.outcome.kind == UNKNOWN:
            found = _find_comment(session, account, content, video_id)
            if isinstance(found, dict):
                return found
        return _comment_failed(stop.outcome.error)
    except (ValueError, KeyError, TypeError):
        return _comment_failed("Unreadable answer to the comment.")


def _find_comment(
    session: _Session, account: Account, content: Content, video_id: str
) -> dict | str | None:
    """Our comment among the video's newest threads; NOT_LANDED if it isn't there; None
    if YouTube can't be asked."""
    try:
        response = session.ok(
            session.api(
                "GET",
                "/youtube/v3/commentThreads",
                params={"part": "snippet", "videoId": video_id, "maxResults": 100},
            )
        )
        for thread in response.json().get("items") or []:
            comment = thread["snippet"]["topLevelComment"]["snippet"]
            ours = (comment.get("authorChannelId") or {}).get("value") == account.account_id
            if ours and comment.get("textOriginal") == content.first_comment:
                return _comment_posted(video_id, str(thread["id"]))
    except (Stop, ValueError, KeyError, TypeError, AttributeError):
        return None
    return NOT_LANDED


register(YouTube())
