"""X (formerly Twitter), through API v2 with OAuth 2.0 user-context tokens (docs.x.com).

Access tokens last two hours; the refresh token gets new ones, and it rotates: every refresh
answers a new refresh token and the old one stops working. So whatever a refresh answers
must reach the stored credentials, even when the post itself then fails, or the channel is
locked out at the next attempt. X has no idempotency key for posts: an answer lost after
sending is reported as unknown, never as safe to retry.
"""

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Media,
    MediaLimits,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    classify,
    error_message,
    transport_outcome,
    verify_failure,
)

# Four images per post, 5 MB each (docs.x.com, media best practices), 1000 characters of alt.
LIMITS = MediaLimits(max_images=4, max_bytes=5 * 1024 * 1024, max_alt_text=1000)
# The image types the v2 upload endpoint names in `media_type`; for others X sniffs the file.
_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp", "image/pjpeg", "image/tiff"}


def _bare_handle(handle: str) -> str:
    return handle.strip().lstrip("@")


class _Session:
    """The tokens of one verify or publish. A 401 is answered once by refreshing and
    sending the refused request again: X refuses an expired token before acting on the
    request, so resending it can't post twice."""

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
        token = self.credentials.get("access_token", "")
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        try:
            return self.http.request(method, f"{self.base}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise Stop(transport_outcome(error)) from error

    def _refresh(self, refused: httpx.Response) -> None:
        self.refreshed = True
        refresh_token = self.credentials.get("refresh_token")
        client_id = self.credentials.get("client_id")
        if not refresh_token or not client_id:
            raise Stop(Outcome(AUTH, error=error_message(refused)))
        secret = self.credentials.get("client_secret")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
        }
        # A confidential client (one with a secret) authenticates with HTTP Basic.
        auth = httpx.BasicAuth(client_id, secret) if secret else None
        try:
            response = self.http.post(f"{self.base}/2/oauth2/token", data=form, auth=auth)
        except httpx.HTTPError as error:
            # Nothing was posted yet. (If X did rotate the token, the next attempt finds out.)
            outcome = transport_outcome(error)
            outcome.kind = RETRY
            raise Stop(outcome) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise Stop(classify(response))
        if not response.is_success:
            raise Stop(Outcome(AUTH, error=error_message(response)))
        self._adopt(response)

    def _adopt(self, response: httpx.Response) -> None:
        try:
            tokens = response.json()
            access = str(tokens["access_token"])
        except (ValueError, KeyError, TypeError) as error:
            unreadable = Outcome(RETRY, error=f"Unreadable answer from X's token endpoint: {error}")
            raise Stop(unreadable) from error
        self.credentials["access_token"] = access
        if tokens.get("refresh_token"):
            self.credentials["refresh_token"] = str(tokens["refresh_token"])
        self.changed = True


class X(Platform):
    name = "x"
    credential_fields = ("access_token", "refresh_token", "client_id", "client_secret")
    default_base_url = "https://api.x.com"
    media_limits = LIMITS

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        base = base_url.rstrip("/")
        if not str(credentials.get("access_token") or "").strip():
            raise PlatformError("An access token is required.")
        session = _Session(http, base, credentials)
        try:
            response = session.request("GET", "/2/users/me")
        except Stop as stop:
            status = 400 if stop.outcome.kind == AUTH else 502
            message = stop.outcome.error or "X refused the credentials."
            raise PlatformError(message, status) from stop
        if not response.is_success:
            raise verify_failure(response)
        try:
            user = response.json()["data"]
            user_id, username = str(user["id"]), str(user["username"])
        except (ValueError, KeyError, TypeError) as error:
            raise PlatformError(f"{base} did not answer like the X API.", 502) from error
        if _bare_handle(handle) and _bare_handle(handle).casefold() != username.casefold():
            raise PlatformError(f"This access token belongs to @{username}, not {handle.strip()}.")
        return Account(handle=username, account_id=user_id, credentials=session.credentials)

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = _Session(http, base_url.rstrip("/"), account.credentials)
        try:
            media_ids = [_upload(session, media) for media in content.media]
            outcome = _post(session, _bare_handle(account.handle), content, media_ids)
        except Stop as stop:
            outcome = stop.outcome
        if session.changed:
            outcome.credentials = session.credentials
        return outcome


def _check(response: httpx.Response) -> httpx.Response:
    outcome = classify(response)
    if outcome is not None:
        raise Stop(outcome)
    return response


def _upload(session: _Session, media: Media) -> str:
    """An uploaded image that no post uses just expires, so every failure here is safe to
    retry, even one whose answer was lost."""
    form = {"media_category": "tweet_image"}
    if media.mime_type in _MEDIA_TYPES:
        form["media_type"] = media.mime_type
    files = {"media": (media.filename, media.data, media.mime_type)}
    try:
        response = _check(session.request("POST", "/2/media/upload", data=form, files=files))
        media_id = str(response.json()["data"]["id"])
        if media.alt_text:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}}
            _check(session.request("POST", "/2/media/metadata", json=metadata))
    except Stop as stop:
        if stop.outcome.kind == UNKNOWN:
            stop.outcome.kind = RETRY
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise Stop(Outcome(RETRY, error=f"Unreadable answer to an upload: {error}")) from error
    return media_id


def _post(session: _Session, username: str, content: Content, media_ids: list[str]) -> Outcome:
    body: dict = {"text": content.text}
    if media_ids:
        body["media"] = {"media_ids": media_ids}
    response = session.request("POST", "/2/tweets", json=body)
    outcome = classify(response)
    if outcome is not None:
        # A server error after a post reached X doesn't say it wasn't created, and there is
        # no key to make a second try safe; a rate limit does say so.
        if outcome.kind == RETRY and response.status_code != 429:
            outcome.kind = UNKNOWN
        return outcome
    try:
        post_id = str(response.json()["data"]["id"])
    except (ValueError, KeyError, TypeError) as error:
        return Outcome(UNKNOWN, error=f"Unreadable answer to a created post: {error}")
    return Outcome(PUBLISHED, post_id=post_id, url=f"https://x.com/{username}/status/{post_id}")


register(X())
