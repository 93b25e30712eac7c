"""TikTok, through the Content Posting API's direct post with a user's OAuth 2 tokens
(developers.tiktok.com/doc/content-posting-api-reference-direct-post).

Every post starts by asking TikTok what this creator may post now (creator_info: the
privacy levels on offer, the longest video). Then init announces the post: a video is
sent to the returned upload URL in chunks, straight from the store, never whole in
memory; photos are fetched by TikTok from their public URLs. TikTok processes and
moderates the post afterwards, and we poll its status on later attempts, never waiting.

Init is the call that makes a post, and TikTok has no idempotency handle for it. So that
init is being sent is kept before it is sent: an attempt that finds it sent but no
`publish_id` back can't know whether a post exists, and answers UNKNOWN instead of
sending it again. Once the `publish_id` is kept, everything after it (the chunks, the
polls) is resumable: the next attempt continues from the chunks TikTok acknowledged.

Access tokens last a day; `access_token_invalid` is answered by refreshing once (with the
app's client key and secret) and repeating the refused call, which TikTok never acted on.
"""

from collections.abc import Mapping, Sequence

import httpx

from writeas.crossposting.formatting import truncate
from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
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
    send,
    transport_outcome,
)
from writeas.services.media import ALT_TEXT_MAX

# Photo posts: up to 35 JPEG or WebP photos of at most 20 MB. TikTok has no alt text, so
# none is refused for its length (and none is sent).
PHOTO_LIMITS = MediaLimits(
    max_images=35,
    max_bytes=20 * 1024 * 1024,
    max_alt_text=ALT_TEXT_MAX,
    mime_types=frozenset({"image/jpeg", "image/webp"}),
)
# Videos: MP4, WebM or MOV; H.264, H.265, VP8 or VP9; 3 seconds to 10 minutes; 4 GB.
VIDEO_LIMITS = VideoLimits(
    max_bytes=4 * 1024**3,
    min_seconds=3.0,
    max_seconds=600.0,
    codecs=frozenset({"h264", "hevc", "vp8", "vp9"}),
    audio_codecs=frozenset({"aac", "mp3", "opus", "vorbis"}),
    containers=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
)
PIXELS = (360, 4096)  # each side of a video
# Chunks of 5 to 64 MB, the last up to 128 MB: with 10 MB chunks the last one (which
# takes the trailing bytes) stays under 20 MB, and 4 GB is 429 chunks of the 1000 allowed.
CHUNK_BYTES = 10_000_000
PIECE_BYTES = 1 << 20  # what one read from the store hands to the socket
# Title limits in UTF-16 units: a video's caption, a photo post's title and description.
CAPTION_LIMIT, PHOTO_TITLE_LIMIT, PHOTO_DESCRIPTION_LIMIT = 2200, 90, 4000
# TikTok's limits are per minute (6 inits, 30 status polls) and it sends no reset time.
RATE_LIMIT_RETRY_SECONDS = 60.0
PROCESSING_RETRY_SECONDS = 10.0
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
# Our option, and the creator_info field saying the creator turned it off in TikTok.
INTERACTIONS = {
    "disable_comment": "comment_disabled",
    "disable_duet": "duet_disabled",
    "disable_stitch": "stitch_disabled",
}
USER_FIELDS = "open_id,union_id,display_name,username"
CREATOR_INFO = "/v2/post/publish/creator_info/query/"
VIDEO_INIT = "/v2/post/publish/video/init/"
PHOTO_INIT = "/v2/post/publish/content/init/"
STATUS = "/v2/post/publish/status/fetch/"
# What a delivery keeps between attempts (`Content.state`).
INIT_SENT, PUBLISH_ID, UPLOAD_URL = "init_sent", "publish_id", "upload_url"
CHUNK_SIZE, CHUNKS, CHUNKS_DONE = "chunk_size", "chunks", "chunks_done"
UNANSWERED = (
    "An earlier attempt asked TikTok to start this post and got no answer; the post may "
    "exist, so it is not started again."
)


def chunks(size: int) -> tuple[int, int]:
    """`chunk_size` and `total_chunk_count` for a video of `size` bytes, by TikTok's rules
    (the count rounds down: the last chunk takes the trailing bytes)."""
    if size <= CHUNK_BYTES:
        return size, 1
    return CHUNK_BYTES, size // CHUNK_BYTES


def _body(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(response: httpx.Response) -> tuple[str, str]:
    """TikTok's error code and words: `{"error": {"code", "message", "log_id"}}` from the
    API, `{"error", "error_description"}` from the OAuth endpoint."""
    error = _body(response).get("error")
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        return code, str(error.get("message") or code or f"HTTP {response.status_code}")
    return (error if isinstance(error, str) else ""), error_message(response)


def _failure(response: httpx.Response) -> Outcome:
    code, message = _error(response)
    outcome = classify(response) or Outcome(PERMANENT)  # a 200 with an error code refuses
    outcome.error = message
    if response.status_code == 429 or code == "rate_limit_exceeded":
        outcome.kind = RETRY
        outcome.retry_after = retry_after(response) or RATE_LIMIT_RETRY_SECONDS
    return outcome


def _data(response: httpx.Response) -> dict:
    code, _ = _error(response)
    if not response.is_success or code not in ("", "ok"):
        raise Stop(_failure(response))
    data = _body(response).get("data")
    return data if isinstance(data, dict) else {}


class _Session:
    """The tokens of one verify or publish, refreshed at most once."""

    def __init__(self, http: httpx.Client, base: str, credentials: dict):
        self.http = http
        self.base = base
        self.credentials = dict(credentials)
        self.changed = False
        self.refreshed = False

    def call(self, method: str, path: str, **kwargs) -> dict:
        """One API call: its `data`, or `Stop` with what its failure means."""
        response = self._send(method, path, **kwargs)
        expired = response.status_code == 401 and _error(response)[0] == "access_token_invalid"
        if expired and not self.refreshed:
            self._refresh(response)
            response = self._send(method, path, **kwargs)
        return _data(response)

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
        response = send(self.http, method, f"{self.base}{path}", headers=headers, **kwargs)
        if isinstance(response, Outcome):
            raise Stop(response)
        return response

    def _refresh(self, refused: httpx.Response) -> None:
        self.refreshed = True
        form = {
            "client_key": self.credentials.get("client_key"),
            "client_secret": self.credentials.get("client_secret"),
            "grant_type": "refresh_token",
            "refresh_token": self.credentials.get("refresh_token"),
        }
        if not all(form.values()):
            raise Stop(Outcome(AUTH, error=_error(refused)[1]))
        try:
            response = self.http.post(f"{self.base}/v2/oauth/token/", data=form)
        except httpx.HTTPError as error:
            # The refused call was never acted on, so nothing was posted.
            raise Stop(Outcome(RETRY, error=transport_outcome(error).error)) from error
        tokens = _body(response)
        if tokens.get("access_token"):
            self.credentials["access_token"] = str(tokens["access_token"])
            if tokens.get("refresh_token"):
                self.credentials["refresh_token"] = str(tokens["refresh_token"])
            self.changed = True
            return
        code, message = _error(response)
        busy = response.status_code == 429 or response.status_code >= 500
        if busy or code in ("server_error", "temporarily_unavailable"):
            raise Stop(Outcome(RETRY, error=message, retry_after=retry_after(response)))
        raise Stop(Outcome(AUTH, error=message))


def _init_unanswered(state: dict) -> bool:
    return bool(state.get(INIT_SENT)) and not state.get(PUBLISH_ID)


def _the_video(content: Content) -> Media | None:
    """The post's video, or None for photos (`refuse` has made sure it is one or the other)."""
    videos = [media for media in content.media if media.kind == VIDEO]
    return videos[0] if videos else None


def _check_video(video: Media, creator: dict) -> None:
    longest = creator.get("max_video_post_duration_sec")
    if longest and video.duration > longest:
        raise Stop(
            Outcome(
                PERMANENT,
                error=f"This TikTok account can post videos of up to {longest} seconds; "
                f"this one is {video.duration:.0f}.",
            )
        )
    low, high = PIXELS
    if any(side and not low <= side <= high for side in (video.width, video.height)):
        raise Stop(
            Outcome(
                PERMANENT,
                error=f"TikTok takes videos of {low} to {high} pixels a side; this one is "
                f"{video.width}×{video.height}.",
            )
        )


def _post_info(content: Content, creator: dict) -> dict:
    level = content.options.get("privacy_level")
    offered = creator.get("privacy_level_options") or []
    if level not in offered:
        raise Stop(
            Outcome(
                PERMANENT,
                error=f"This TikTok account can't post as {level}; it offers "
                f"{', '.join(offered) or 'no privacy level'}.",
            )
        )
    info = {"privacy_level": level}
    for option, creator_off in INTERACTIONS.items():
        info[option] = bool(content.options.get(option) or creator.get(creator_off))
    return info


def _init_request(content: Content, video: Media | None, creator: dict) -> tuple[str, dict]:
    info = _post_info(content, creator)
    if video is not None:
        _check_video(video, creator)
        chunk_size, count = chunks(video.size)
        source = {
            "source": "FILE_UPLOAD",
            "video_size": video.size,
            "chunk_size": chunk_size,
            "total_chunk_count": count,
        }
        info["title"] = truncate(content.text, CAPTION_LIMIT, "tiktok")
        return VIDEO_INIT, {"post_info": info, "source_info": source}
    photo_info = {
        "title": truncate(content.title, PHOTO_TITLE_LIMIT, "tiktok"),
        "description": truncate(content.text, PHOTO_DESCRIPTION_LIMIT, "tiktok"),
        "privacy_level": info["privacy_level"],
        "disable_comment": info["disable_comment"],
    }
    source = {
        "source": "PULL_FROM_URL",
        "photo_cover_index": 0,
        "photo_images": [media.url for media in content.media],
    }
    body = {"media_type": "PHOTO", "post_mode": "DIRECT_POST"}
    return PHOTO_INIT, {**body, "post_info": photo_info, "source_info": source}


def _start(session: _Session, content: Content, video: Media | None) -> None:
    path, body = _init_request(content, video, session.call("POST", CREATOR_INFO))
    content.remember(**{INIT_SENT: True})
    try:
        data = session.call("POST", path, json=body)
    except Stop as stop:
        if stop.outcome.kind != UNKNOWN:
            content.remember(**{INIT_SENT: False})  # a definite no: nothing was made
        raise
    if not data.get("publish_id"):
        raise Stop(Outcome(UNKNOWN, error="TikTok's answer to init named no publish_id."))
    kept = {PUBLISH_ID: str(data["publish_id"])}
    if video is not None:
        source = body["source_info"]
        kept[UPLOAD_URL] = str(data.get("upload_url") or "")
        kept[CHUNK_SIZE], kept[CHUNKS] = source["chunk_size"], source["total_chunk_count"]
        kept[CHUNKS_DONE] = 0
    content.remember(**kept)


def _pieces(stream, length: int):
    """The next `length` bytes of the stream, a piece at a time."""
    while length > 0:
        piece = stream.read(min(PIECE_BYTES, length))
        if not piece:
            return
        length -= len(piece)
        yield piece


def _skip(stream, offset: int) -> None:
    """Past the chunks TikTok has (a store's stream may not seek)."""
    if stream.seekable():
        stream.seek(offset)
        return
    for _ in _pieces(stream, offset):
        pass


def _put_chunks(session: _Session, content: Content, video: Media) -> bool:
    """Send the chunks TikTok hasn't acknowledged, in order, keeping count as each is;
    False when TikTok refuses a chunk's range (it has more, or fewer, than we knew)."""
    state = content.state
    size, chunk_size, count = video.size, state[CHUNK_SIZE], state[CHUNKS]
    with video.open() as stream:
        _skip(stream, state[CHUNKS_DONE] * chunk_size)
        for index in range(state[CHUNKS_DONE], count):
            start = index * chunk_size
            end = size if index == count - 1 else start + chunk_size
            headers = {
                "Content-Type": video.mime_type,
                "Content-Length": str(end - start),
                "Content-Range": f"bytes {start}-{end - 1}/{size}",
            }
            body = _pieces(stream, end - start)
            response = send(session.http, "PUT", state[UPLOAD_URL], content=body, headers=headers)
            if isinstance(response, Outcome):
                raise Stop(response)
            if response.status_code == 416:
                return False
            if not response.is_success:
                raise Stop(_failure(response))
            content.remember(**{CHUNKS_DONE: index + 1})
    return True


def _upload(session: _Session, content: Content, video: Media) -> None:
    if _put_chunks(session, content, video):
        return
    # TikTok's count of the bytes it has is the truth (a chunk whose answer was lost).
    state = content.state
    status = session.call("POST", STATUS, json={"publish_id": state[PUBLISH_ID]})
    received = int(status.get("uploaded_bytes") or 0)
    content.remember(**{CHUNKS_DONE: min(received // state[CHUNK_SIZE], state[CHUNKS])})
    if not _put_chunks(session, content, video):
        raise Stop(Outcome(PERMANENT, error="TikTok refused the video's byte ranges."))


def _status(session: _Session, handle: str, content: Content, video: Media | None) -> Outcome:
    publish_id = content.state[PUBLISH_ID]
    data = session.call("POST", STATUS, json={"publish_id": publish_id})
    status = data.get("status")
    if status == "PUBLISH_COMPLETE":
        public = data.get("publicaly_available_post_id") or []  # sic, TikTok's spelling
        if not public:  # a private post has no public id
            return Outcome(PUBLISHED, post_id=publish_id, url=f"https://www.tiktok.com/@{handle}")
        post_id, kind = str(public[0]), "video" if video is not None else "photo"
        return Outcome(
            PUBLISHED, post_id=post_id, url=f"https://www.tiktok.com/@{handle}/{kind}/{post_id}"
        )
    if status == "SEND_TO_USER_INBOX":
        return Outcome(
            PUBLISHED,
            post_id=publish_id,
            error="TikTok sent the post to the creator's inbox to finish in the app.",
        )
    if status == "FAILED":
        reason = data.get("fail_reason") or "no reason given"
        return Outcome(PERMANENT, error=f"TikTok did not publish the post: {reason}.")
    return Outcome(
        RETRY,
        processing=True,
        retry_after=PROCESSING_RETRY_SECONDS,
        error=f"TikTok is still processing the post ({status}).",
    )


def _publish(session: _Session, account: Account, content: Content) -> Outcome:
    if _init_unanswered(content.state):
        return Outcome(UNKNOWN, error=UNANSWERED)
    video = _the_video(content)
    if not content.state.get(PUBLISH_ID):
        _start(session, content, video)
    if video is not None and content.state[CHUNKS_DONE] < content.state[CHUNKS]:
        _upload(session, content, video)
    return _status(session, account.handle.lstrip("@"), content, video)


class TikTok(Platform):
    name = "tiktok"
    default_base_url = "https://open.tiktokapis.com"
    credential_fields = ("access_token", "refresh_token", "client_key", "client_secret")
    media_limits = PHOTO_LIMITS
    video_limits = VIDEO_LIMITS
    options = {
        "privacy_level": "required: " + ", ".join(PRIVACY_LEVELS) + " (one the account offers)",
        "disable_comment": "true or false",
        "disable_duet": "true or false (videos)",
        "disable_stitch": "true or false (videos)",
    }

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        if not media:
            return "A TikTok post needs a video or photos."
        if any(item.kind == VIDEO for item in media) and len(media) > 1:
            return "A TikTok post is one video, or photos alone."
        return None

    def check_options(self, options: dict) -> dict:
        checked = super().check_options(options)
        if checked.get("privacy_level") not in PRIVACY_LEVELS:
            raise OptionError(
                f"TikTok needs option `privacy_level`, one of {', '.join(PRIVACY_LEVELS)}."
            )
        for name in INTERACTIONS:
            if name in checked and not isinstance(checked[name], bool):
                raise OptionError(f"TikTok's `{name}` is true or false.")
        return checked

    def resend_safe(self, account: Account, state: dict) -> bool:
        """Once TikTok named the post, another attempt only continues and polls it."""
        return bool(state.get(PUBLISH_ID))

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        if not str(credentials.get("access_token") or "").strip():
            raise PlatformError("A TikTok access token is required.")
        session = _Session(http, base_url.rstrip("/"), credentials)
        try:
            user = session.call("GET", "/v2/user/info/", params={"fields": USER_FIELDS})["user"]
            open_id = str(user["open_id"])
        except Stop as stop:
            status = 400 if stop.outcome.kind in (AUTH, PERMANENT) else 502
            raise PlatformError(stop.outcome.error or "TikTok refused.", status) from stop
        except (KeyError, TypeError) as error:
            raise PlatformError("TikTok answered /v2/user/info/ unexpectedly.", 502) from error
        username = str(user.get("username") or "")
        if not username:
            # Post addresses are by username, which only the user.info.profile scope shares.
            raise PlatformError("TikTok did not share the username: grant user.info.profile.")
        wanted = handle.strip().lstrip("@")
        if wanted and wanted.casefold() != username.casefold():
            raise PlatformError(f"This token belongs to @{username}, not @{wanted}.")
        details = {"display_name": user.get("display_name"), "union_id": user.get("union_id")}
        return Account(username, open_id, session.credentials, details)

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = _Session(http, base_url.rstrip("/"), account.credentials)
        try:
            outcome = _publish(session, account, content)
        except Stop as stop:
            outcome = stop.outcome
        if outcome.kind == UNKNOWN and not _init_unanswered(content.state):
            # Only init makes a post; any other call is a read, or a chunk of a post
            # TikTok already named, so its lost answer is safe to try again.
            outcome.kind = RETRY
        if session.changed:
            outcome.credentials = session.credentials
        return outcome


register(TikTok())
