"""Write.as and compatible servers (WriteFreely, other instances of this project), through
the Write.as API: long-form posts published into the user's own blog.

We keep an access token, never a password: signing in with alias and password happens once,
in `verify`, and only the token it returns is stored. Write.as has no refresh, so a rejected
token means the channel must be reconnected. This project honours `Idempotency-Key` on the
create endpoint (a replay gets the first post back); servers that don't simply ignore it.
"""

from urllib.parse import quote

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    PUBLISHED,
    UNKNOWN,
    Account,
    Content,
    MediaLimits,
    Outcome,
    Platform,
    PlatformError,
    classify,
    transport_outcome,
    verify_failure,
)


def _token_header(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


def _data(response: httpx.Response) -> dict:
    """The `data` of the `{code, data}` envelope every successful answer comes in."""
    data = response.json()["data"]
    if not isinstance(data, dict):
        raise TypeError("`data` is not an object")
    return data


def _call(http: httpx.Client, base_url: str, method: str, path: str, **kwargs) -> dict:
    """A request made while verifying: any failure becomes the `PlatformError` to show."""
    try:
        response = http.request(method, f"{base_url}{path}", **kwargs)
    except httpx.HTTPError as error:
        raise PlatformError(f"Could not reach {base_url}: {error}", 502) from error
    if not 200 <= response.status_code < 300:
        raise verify_failure(response, server="Write.as", base_url=base_url)
    try:
        return _data(response)
    except (ValueError, KeyError, TypeError) as error:
        raise PlatformError(f"{base_url} did not answer like a Write.as server.", 502) from error


def _log_in(http: httpx.Client, base_url: str, credentials: dict) -> str:
    alias, password = credentials.get("alias"), credentials.get("pass")
    if not alias or not password:
        raise PlatformError("An access token, or an alias and password, is required.")
    data = _call(http, base_url, "POST", "/api/auth/login", json={"alias": alias, "pass": password})
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise PlatformError(f"{base_url} signed in without giving an access token.", 502)
    return token


def _same_user(handle: str, username: str) -> bool:
    return handle.strip().lstrip("@").casefold() == username.casefold()


def _post_url(base_url: str, handle: str, post: dict) -> str:
    slug = post.get("slug")
    if slug:
        return f"{base_url}/{quote(handle, safe='')}/{quote(str(slug), safe='')}"
    return f"{base_url}/{quote(str(post['id']), safe='')}"


class WriteAs(Platform):
    name = "writeas"
    credential_fields = ("access_token", "alias", "pass")
    default_base_url = "https://write.as"
    # The Write.as API has no image upload; posts are text (Markdown) only.
    media_limits = MediaLimits(max_images=0, max_bytes=0, max_alt_text=0)

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        base = base_url.rstrip("/")
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            token = _log_in(http, base, credentials)
        user = _call(http, base, "GET", "/api/me", headers=_token_header(token))
        username = user.get("username")
        if not isinstance(username, str) or not username:
            raise PlatformError(f"{base} did not say whose token this is.", 502)
        if handle.strip() and not _same_user(handle, username):
            raise PlatformError(f"These credentials belong to {username}, not {handle.strip()}.")
        # The blog we publish to is the user's own, whose alias is the username.
        return Account(handle=username, account_id=username, credentials={"access_token": token})

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        base = base_url.rstrip("/")
        headers = _token_header(account.credentials.get("access_token", ""))
        if content.idempotency_key:
            headers["Idempotency-Key"] = content.idempotency_key
        body = {"title": content.title, "body": content.markdown or content.text, "font": "norm"}
        path = f"/api/collections/{quote(account.handle, safe='')}/posts"
        try:
            response = http.post(f"{base}{path}", json=body, headers=headers)
        except httpx.HTTPError as error:
            return transport_outcome(error)
        refused = classify(response)
        if refused is not None:
            return refused
        try:
            post = _data(response)
            post_id = str(post["id"])
        except (ValueError, KeyError, TypeError) as error:
            return Outcome(UNKNOWN, error=f"Unreadable answer to a published post: {error}")
        return Outcome(PUBLISHED, post_id=post_id, url=_post_url(base, account.handle, post))


register(WriteAs())
