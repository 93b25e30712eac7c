"""Pinterest, through API v5 with a user's OAuth 2 tokens (developers.pinterest.com).

A pin always goes to a board (and optionally one of its sections), so a Pinterest target
must name one; `boards` lists them for the picker. One image is an `image_base64` pin,
two to five of one aspect ratio a carousel (`multiple_image_base64`), and a video goes
through `/v5/media`: registered, POSTed as a form to the S3 address Pinterest hands back,
then processed by Pinterest while we come back later to ask, never waiting in the worker.

Registering and uploading a video leave nothing anyone sees, so their failures are always
safe to retry; creating the pin is the one call that publishes, and Pinterest has no
idempotency handle for it. So the time is kept before it is sent, and after an unknown
answer the board is listed for a pin with our link, title and description made since
then: found, it is the pin; the whole board read without it, the pin was never made.

Access tokens last 30 days; a 401 is answered by refreshing once (HTTP Basic with the
app's id and secret) and sending the refused request again, which Pinterest never acted
on. The refreshed tokens go back to be stored.
"""

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from writeas.crossposting.formatting import truncate
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
    send,
    transport_outcome,
    verify_failure,
)

# `image_base64` takes JPEG and PNG; Pinterest's help centre allows 20 MB an image. A
# carousel has 2 to 5 images; alt text is 500 characters (PinCreate in the v5 spec).
LIMITS = MediaLimits(
    max_images=5,
    max_bytes=20 * 1024 * 1024,
    max_alt_text=500,
    mime_types=frozenset({"image/jpeg", "image/png"}),
)
# Video pins: MP4, MOV or M4V, H.264 or H.265, up to 2 GB, 4 seconds to 15 minutes, from
# 1:2 (tall) to 1.91:1 (wide).
VIDEO_LIMITS = VideoLimits(
    max_bytes=2 * 1024**3,
    min_seconds=4.0,
    max_seconds=15 * 60.0,
    containers=frozenset({"video/mp4", "video/quicktime", "video/x-m4v"}),
    aspect_ratios=(0.5, 1.91),
)
TITLE_LIMIT = 100
PROCESSING_RETRY_SECONDS = 10.0
# Carousel images of "the same aspect ratio": images fitted to a byte limit are resized
# and rounded, so ratios within 1% are the same.
ASPECT_TOLERANCE = 0.01
# `GET /v5/boards` pages (page_size is at most 250): enough for anyone's boards, bounded.
BOARD_PAGE_SIZE, BOARD_PAGES = 100, 20
# How much of a board the lookup after an unknown answer reads before it can't tell.
LOOKUP_PAGE_SIZE, LOOKUP_PAGES = 100, 5
# Our clock against Pinterest's, when comparing a pin's `created_at` with our send time.
CLOCK_SKEW = timedelta(minutes=2)
PIN_SENT = "pin_sent_at"
MEDIA_ID = "media_id"
# What a pin found after an unknown answer must share with ours, exactly.
_MATCHED = ("title", "description", "link")
_NUMERIC = re.compile(r"^\d+$")
_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)


def pin_url(pin_id: str) -> str:
    return f"https://www.pinterest.com/pin/{pin_id}/"


def _message(response: httpx.Response) -> str:
    """Pinterest answers `{code, message}`; the S3 bucket it uploads to answers XML."""
    if "xml" in response.headers.get("content-type", ""):
        found = _S3_MESSAGE.search(response.text)
        if found:
            return found.group(1).strip()
    return error_message(response)


def _classify(response: httpx.Response) -> Outcome | None:
    outcome = classify(response)
    if outcome is None:
        return None
    outcome.error = _message(response)
    # Pinterest also answers 429 when it blocks an action as spam: waiting won't help.
    if response.status_code == 429 and "spam" in outcome.error.lower():
        outcome.kind, outcome.retry_after = PERMANENT, None
    return outcome


def _checked(response: httpx.Response) -> httpx.Response:
    outcome = _classify(response)
    if outcome is not None:
        raise Stop(outcome)
    return response


def _json(response: httpx.Response, what: str) -> dict:
    try:
        data = response.json()
    except ValueError as error:
        raise Stop(Outcome(RETRY, error=f"Unreadable answer from Pinterest ({what})")) from error
    if not isinstance(data, dict):
        raise Stop(Outcome(RETRY, error=f"Unexpected answer from Pinterest ({what})"))
    return data


def _harmless(outcome: Outcome) -> Outcome:
    """A call that can't make a pin (a read, a video registration or upload) left nothing
    to find if its answer was lost: trying again is safe."""
    if outcome.kind == UNKNOWN:
        outcome.kind = RETRY
    return outcome


class _Session:
    """The tokens of one verify, listing or publish, refreshed at most once."""

    def __init__(self, http: httpx.Client, base: str, credentials: dict):
        self.http = http
        self.base = base
        self.credentials = dict(credentials)
        self.changed = False
        self.refreshed = False

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and not self.refreshed:
            self._refresh(response)
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
        response = send(self.http, method, f"{self.base}{path}", headers=headers, **kwargs)
        if isinstance(response, Outcome):
            raise Stop(response)
        return response

    def _refresh(self, refused: httpx.Response) -> None:
        self.refreshed = True
        refresh_token = self.credentials.get("refresh_token")
        client_id, secret = self.credentials.get("client_id"), self.credentials.get("client_secret")
        if not (refresh_token and client_id and secret):
            raise Stop(Outcome(AUTH, error=_message(refused)))
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            response = self.http.post(
                f"{self.base}/v5/oauth/token", data=form, auth=httpx.BasicAuth(client_id, secret)
            )
        except httpx.HTTPError as error:
            # The refused request was never acted on, so nothing was posted.
            raise Stop(Outcome(RETRY, error=transport_outcome(error).error)) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise Stop(_harmless(_classify(response)))
        if not response.is_success:
            raise Stop(Outcome(AUTH, error=_message(response)))
        tokens = _json(response, "a token refresh")
        if not tokens.get("access_token"):
            raise Stop(Outcome(AUTH, error="Pinterest's token endpoint answered without a token"))
        self.credentials["access_token"] = str(tokens["access_token"])
        if tokens.get("refresh_token"):
            self.credentials["refresh_token"] = str(tokens["refresh_token"])
        self.changed = True

    def read(self, path: str, **kwargs) -> dict:
        """A GET for `verify` and `boards`: its JSON, or the `PlatformError` to answer."""
        try:
            response = self.request("GET", path, **kwargs)
            if response.is_success:
                return _json(response, path)
        except Stop as stop:
            status = 400 if stop.outcome.kind in (AUTH, PERMANENT) else 502
            raise PlatformError(stop.outcome.error or "Pinterest refused.", status) from stop
        raise verify_failure(response, _message(response))


def _same_ratio(first: Media, other: Media) -> bool:
    if not (first.width and first.height and other.width and other.height):
        return True  # not known here: Pinterest decides
    wanted = first.width / first.height
    return abs(other.width / other.height - wanted) <= ASPECT_TOLERANCE * wanted


def _image(media: Media) -> dict:
    return {"content_type": media.mime_type, "data": base64.b64encode(media.data).decode()}


def _expected(content: Content) -> dict:
    """The pin's own fields, the same on every attempt (the lookup compares them)."""
    fields = {
        "title": truncate(content.title, TITLE_LIMIT, "pinterest") if content.title else "",
        "description": content.text,
        "link": content.link or content.canonical_url,
    }
    return {name: value for name, value in fields.items() if value}


def _pin(content: Content) -> dict:
    if not _NUMERIC.match(content.board_id or ""):
        raise Stop(Outcome(PERMANENT, error=f"{content.board_id!r} is not a Pinterest board id."))
    pin = {"board_id": content.board_id, **_expected(content)}
    if content.options.get("board_section_id"):
        pin["board_section_id"] = content.options["board_section_id"]
    if content.media and content.media[0].alt_text:
        pin["alt_text"] = content.media[0].alt_text
    return pin


def _carousel(content: Content, fields: dict) -> dict:
    """Pinterest has no per-image alt text in a carousel: each card's description says
    what its image shows (its alt text), else the pin's description."""
    items = []
    for media in content.media:
        card = {
            "title": fields.get("title"),
            "description": media.alt_text or fields.get("description"),
            "link": fields.get("link"),
        }
        items.append({**_image(media), **{k: v for k, v in card.items() if v}})
    return {"source_type": "multiple_image_base64", "items": items, "index": 0}


def _cover(options: dict) -> dict:
    if options.get("cover_image_url"):
        return {"cover_image_url": options["cover_image_url"]}
    return {"cover_image_key_frame_time": options.get("cover_image_key_frame_time", 0)}


def _upload_video(session: _Session, video: Media) -> str:
    """Register the upload, then POST the file to S3 with the fields Pinterest signed
    (the file last, as S3 requires; no Pinterest token, which S3 would refuse)."""
    registered = _json(
        _checked(session.request("POST", "/v5/media", json={"media_type": "video"})),
        "a media registration",
    )
    try:
        media_id = str(registered["media_id"])
        upload_url = str(registered["upload_url"])
        fields = {str(k): str(v) for k, v in dict(registered["upload_parameters"]).items()}
    except (KeyError, TypeError, ValueError) as error:
        raise Stop(Outcome(RETRY, error=f"Unexpected media registration: {error}")) from error
    with video.open() as stream:
        files = {"file": (video.filename, stream, video.mime_type)}
        response = send(session.http, "POST", upload_url, data=fields, files=files)
    if isinstance(response, Outcome):
        raise Stop(response)
    _checked(response)
    return media_id


def _video(session: _Session, content: Content, video: Media) -> dict:
    media_id = content.state.get(MEDIA_ID)
    if not media_id:
        media_id = _upload_video(session, video)
        content.remember(**{MEDIA_ID: media_id})
    media = _json(_checked(session.request("GET", f"/v5/media/{media_id}")), "a media status")
    status = media.get("status")
    if status == "succeeded":
        return {"source_type": "video_id", "media_id": media_id, **_cover(content.options)}
    if status == "failed":
        raise Stop(Outcome(PERMANENT, error=f"Pinterest could not process the video ({media_id})."))
    raise Stop(
        Outcome(
            RETRY,
            processing=True,
            retry_after=PROCESSING_RETRY_SECONDS,
            error=f"Pinterest is still processing the video ({status}).",
        )
    )


def _media_source(session: _Session, content: Content, fields: dict) -> dict:
    media = content.media  # an image, images or one video: see `refuse`
    if media[0].kind == VIDEO:
        return _video(session, content, media[0])
    if len(media) == 1:
        return {"source_type": "image_base64", **_image(media[0])}
    return _carousel(content, fields)


def _created_at(pin: dict) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(pin["created_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _find_pin(session: _Session, content: Content) -> Outcome | str | None:
    """The pin an unanswered attempt made, from the board's listing: NOT_LANDED only when
    the whole board was read without finding it."""
    since = datetime.fromisoformat(content.state[PIN_SENT]) - CLOCK_SKEW
    wanted = _expected(content)
    params = {"page_size": LOOKUP_PAGE_SIZE}
    for _ in range(LOOKUP_PAGES):
        try:
            response = session.request("GET", f"/v5/boards/{content.board_id}/pins", params=params)
        except Stop:
            return None
        if not response.is_success:
            return None
        try:
            page = response.json()
            pins, bookmark = list(page["items"]), page.get("bookmark")
        except (ValueError, KeyError, TypeError):
            return None
        for pin in pins:
            created = _created_at(pin)
            same = all((pin.get(name) or "") == wanted.get(name, "") for name in _MATCHED)
            if same and created is not None and created >= since:
                return Outcome(PUBLISHED, post_id=str(pin["id"]), url=pin_url(str(pin["id"])))
        if not bookmark:
            return NOT_LANDED
        params = {"page_size": LOOKUP_PAGE_SIZE, "bookmark": bookmark}
    return None


def _create(session: _Session, content: Content, pin: dict) -> Outcome:
    content.remember(**{PIN_SENT: datetime.now(UTC).isoformat()})
    try:
        response = session.request("POST", "/v5/pins", json=pin)
        outcome = _classify(response)
        if outcome is not None and outcome.kind == RETRY and response.status_code != 429:
            # A 503 after the pin reached Pinterest doesn't say it wasn't made.
            outcome.kind = UNKNOWN
    except Stop as stop:
        outcome = stop.outcome
    if outcome is not None:
        if outcome.kind != UNKNOWN:
            # A definite no: no pin to look for on the next attempt.
            content.remember(**{PIN_SENT: None})
        return outcome
    try:
        pin_id = str(response.json()["id"])
    except (ValueError, KeyError, TypeError) as error:
        return Outcome(UNKNOWN, error=f"Unreadable answer to a created pin: {error}")
    return Outcome(PUBLISHED, post_id=pin_id, url=pin_url(pin_id))


class Pinterest(Platform):
    name = "pinterest"
    default_base_url = "https://api.pinterest.com"
    credential_fields = ("access_token", "refresh_token", "client_id", "client_secret")
    media_limits = LIMITS
    video_limits = VIDEO_LIMITS
    needs_board = True
    options = {
        "board_section_id": "the id (digits) of a section of the target's board",
        "cover_image_url": "video pins: an https:// URL of the cover image",
        "cover_image_key_frame_time": "video pins: the second (integer ≥ 0) whose frame is "
        "the cover (default 0)",
    }

    def refuse(self, media: Sequence, options: Mapping) -> str | None:
        if not media:
            return "A Pinterest pin needs an image or a video."
        if any(item.kind == VIDEO for item in media) and len(media) > 1:
            return "A Pinterest video pin carries one video only."
        first = media[0]
        for number, item in enumerate(media[1:], start=2):
            if not _same_ratio(first, item):
                return (
                    "Pinterest carousel images must share one aspect ratio: image "
                    f"{number} is {item.width}×{item.height}, image 1 "
                    f"{first.width}×{first.height}."
                )
        return None

    def check_options(self, options: dict) -> dict:
        checked = super().check_options(options)
        section = checked.get("board_section_id")
        if section is not None and not (isinstance(section, str) and _NUMERIC.match(section)):
            raise OptionError("Pinterest's `board_section_id` is a section id, a string of digits.")
        url = checked.get("cover_image_url")
        if url is not None and not (isinstance(url, str) and url.startswith("https://")):
            raise OptionError("Pinterest's `cover_image_url` must be an https:// URL.")
        frame = checked.get("cover_image_key_frame_time")
        if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int)):
            raise OptionError("Pinterest's `cover_image_key_frame_time` is a whole second ≥ 0.")
        if frame is not None and frame < 0:
            raise OptionError("Pinterest's `cover_image_key_frame_time` is a whole second ≥ 0.")
        if url is not None and frame is not None:
            raise OptionError(
                "Pinterest takes `cover_image_url` or `cover_image_key_frame_time`, not both."
            )
        return checked

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        if not str(credentials.get("access_token") or "").strip():
            raise PlatformError("A Pinterest access token is required.")
        session = _Session(http, base_url.rstrip("/"), credentials)
        user = session.read("/v5/user_account")
        try:
            user_id, username = str(user["id"]), str(user["username"])
        except KeyError as error:
            raise PlatformError("Pinterest answered /v5/user_account unexpectedly.", 502) from error
        wanted = handle.strip().lstrip("@")
        if wanted and wanted.casefold() != username.casefold():
            raise PlatformError(f"This token belongs to {username}, not {wanted}.")
        details = {"account_type": user.get("account_type")}
        return Account(username, user_id, session.credentials, details)

    def boards(self, http: httpx.Client, base_url: str, account: Account) -> list[dict]:
        """Every board the account can pin to, following `bookmark` to the last page.
        Refreshed tokens are left in `account.credentials` for the caller to store."""
        session = _Session(http, base_url.rstrip("/"), account.credentials)
        found: list[dict] = []
        params: dict = {"page_size": BOARD_PAGE_SIZE}
        try:
            for _ in range(BOARD_PAGES):
                page = session.read("/v5/boards", params=params)
                found += [
                    {
                        "id": str(board["id"]),
                        "name": str(board.get("name") or ""),
                        "privacy": str(board.get("privacy") or "PUBLIC"),
                        "description": str(board.get("description") or ""),
                    }
                    for board in page.get("items") or []
                ]
                if not page.get("bookmark"):
                    break
                params = {"page_size": BOARD_PAGE_SIZE, "bookmark": page["bookmark"]}
        finally:
            if session.changed:
                account.credentials = session.credentials
        return found

    def landed(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome | str | None:
        """Refreshed tokens are left in `account.credentials` (and on a found pin's
        outcome) for the caller to store."""
        if not content.state.get(PIN_SENT):
            return NOT_LANDED  # the create was never sent
        session = _Session(http, base_url.rstrip("/"), account.credentials)
        found = _find_pin(session, content)
        if session.changed:
            account.credentials = session.credentials
            if isinstance(found, Outcome):
                found.credentials = session.credentials
        return found

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = _Session(http, base_url.rstrip("/"), account.credentials)
        try:
            outcome = self._publish(session, content)
        except Stop as stop:
            outcome = stop.outcome
        if session.changed:
            outcome.credentials = session.credentials
        return outcome

    def _publish(self, session: _Session, content: Content) -> Outcome:
        pin = _pin(content)
        if content.state.get(PIN_SENT):
            # An earlier attempt sent the pin and heard nothing back: find it first.
            earlier = _find_pin(session, content)
            if isinstance(earlier, Outcome):
                return earlier
            if earlier is None:
                return Outcome(
                    UNKNOWN,
                    error="An earlier attempt's pin may exist; Pinterest's board listing "
                    "could not tell.",
                )
        try:
            pin["media_source"] = _media_source(session, content, pin)
        except Stop as stop:
            return _harmless(stop.outcome)
        return _create(session, content, pin)


register(Pinterest())
