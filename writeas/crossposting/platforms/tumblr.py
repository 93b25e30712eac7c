"""Tumblr, through API v2 with OAuth 2 bearer tokens and the Neue Post Format (NPF).

A crossposted article becomes an NPF post: a heading for the title, text blocks for the
body (block-level Markdown mapped to NPF subtypes, links/bold/italic to inline formatting
ranges), image blocks uploaded in the same multipart request, and a closing link to the
original. Tumblr access tokens live about 40 minutes, so an expired one is refreshed once
and the request repeated; the rotated tokens go back to the caller to store.

Tumblr has no idempotency mechanism for post creation: a repeated request makes a second
post, so an UNKNOWN outcome here must not be retried blindly.
"""

import json
import re
from dataclasses import dataclass, field

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    AUTH,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    MediaLimits,
    Outcome,
    Platform,
    PlatformError,
    classify,
    error_message,
    retry_after,
    transport_outcome,
)
from writeas.text.extraction import without_closing_hashes

# NPF image blocks: alt_text is documented as 4096 characters at most. Tumblr's help
# centre allows 10 photos of up to 10 MB each in a photo post; we apply the same here.
TUMBLR_MEDIA_LIMITS = MediaLimits(max_images=10, max_bytes=10 * 1024 * 1024, max_alt_text=4096)


def tumblr_message(response: httpx.Response) -> str:
    """Tumblr's envelope: `errors[0].detail` is the useful sentence, `meta.msg` the short
    status text; anything else falls back to the generic reading."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            detail = errors[0].get("detail") or errors[0].get("title")
            if isinstance(detail, str) and detail:
                return detail
        meta = data.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("msg"), str) and meta["msg"]:
            return meta["msg"]
    return error_message(response)


def tumblr_retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` when sent; otherwise Tumblr's own per-hour/per-day reset (seconds from
    now), preferring whichever budget is the one that ran out."""
    seconds = retry_after(response)
    if seconds is not None:
        return seconds
    headers = response.headers
    windows = ("perday", "perhour")
    exhausted = [w for w in windows if headers.get(f"x-ratelimit-{w}-remaining") == "0"]
    for window in exhausted or windows:
        value = (headers.get(f"x-ratelimit-{window}-reset") or "").strip()
        if value.isascii() and value.isdigit():
            return float(value)
    return None


def failure(response: httpx.Response) -> Outcome:
    outcome = classify(response) or Outcome(RETRY)
    outcome.error = tumblr_message(response)
    if outcome.kind == RETRY:
        outcome.retry_after = tumblr_retry_after(response)
    return outcome


@dataclass
class Session:
    """Bearer requests that refresh an expired access token once, keeping the rotated
    credentials so they can be stored even when the repeated request then fails."""

    http: httpx.Client
    base_url: str
    credentials: dict
    refreshed: bool = field(default=False)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response | Outcome:
        response = self._send(method, path, **kwargs)
        if isinstance(response, Outcome) or response.status_code != 401:
            return response
        if self.refreshed or not self._can_refresh():
            return failure(response)
        problem = self._refresh()
        if problem is not None:
            return problem
        return self._send(method, path, **kwargs)

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response | Outcome:
        headers = {"Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
        try:
            return self.http.request(method, self.base_url + path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            return transport_outcome(error)

    def _can_refresh(self) -> bool:
        return bool(self.credentials.get("refresh_token") and self.credentials.get("client_id"))

    def _refresh(self) -> Outcome | None:
        """OAuth 2 refresh grant at Tumblr's token endpoint. Nothing was published before
        this, so a transport failure here is always safe to retry."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.credentials["refresh_token"],
            "client_id": self.credentials["client_id"],
            "client_secret": self.credentials.get("client_secret", ""),
        }
        try:
            response = self.http.post(self.base_url + "/v2/oauth2/token", data=form)
        except httpx.HTTPError as error:
            return Outcome(RETRY, error=transport_outcome(error).error)
        if response.status_code >= 400:
            # A busy or failing token endpoint is worth another go; a refused grant is not.
            outcome = failure(response)
            if outcome.kind in (RETRY, UNKNOWN):
                return Outcome(RETRY, error=outcome.error, retry_after=outcome.retry_after)
            return Outcome(AUTH, error=outcome.error)
        try:
            tokens = response.json()
            access_token = tokens["access_token"]
        except (ValueError, KeyError, TypeError):
            return Outcome(AUTH, error="Tumblr's token endpoint answered without a token")
        self.credentials = {**self.credentials, "access_token": access_token}
        if tokens.get("refresh_token"):
            self.credentials["refresh_token"] = tokens["refresh_token"]
        self.refreshed = True
        return None


def blog_name(handle: str) -> str:
    """Accepts `name`, `@name`, `name.tumblr.com`, or a blog URL in either Tumblr form."""
    name = re.sub(r"^https?://", "", handle.strip().lower().removeprefix("@")).strip("/")
    if name.startswith(("www.tumblr.com/", "tumblr.com/")):
        name = name.split("/", 1)[1]
    return name.split("/", 1)[0].removesuffix(".tumblr.com")


# -- Markdown to NPF ---------------------------------------------------------------------

# Linear on any text: what follows an opener can't hold that opener, so a run of `[` or
# `"` is one short failed attempt each, never a rescan of the rest from each of them.
_INLINE = re.compile(
    r"!?\[(?P<label>[^\[\]\n]+)\]\((?P<href>[^()\s]+)(?:\s+\"[^\"]*\")?\)"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*"
    r"|(?<![\w*])\*(?P<star>[^*\s](?:[^*\n]*?[^*\s])?)\*(?![\w*])"
    r"|(?<![\w])_(?P<under>[^_\s](?:[^_\n]*?[^_\s])?)_(?![\w])"
    r"|(?P<url>https?://[^\s<>()]+[^\s<>().,;:!?'\"])"
)
_STYLES = {"bold": "bold", "star": "italic", "under": "italic"}
_HEADING = re.compile(r"#{1,6}\s++")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)\d+[.)]\s+(.*)$")
_QUOTE = re.compile(r"^>\s?(.*)$")


def inline(markdown: str) -> tuple[str, list[dict]]:
    """Plain text and NPF formatting ranges (code-point indices, as NPF counts) for the
    inline Markdown Tumblr can show: links, bold and italic, which may contain links."""
    text, ranges, position = "", [], 0
    for match in _INLINE.finditer(markdown):
        text += markdown[position : match.start()]
        position = match.end()
        kind, start = match.lastgroup, len(text)
        if kind in ("label", "href"):
            text += match.group("label")
            url = match.group("href")
        elif kind in ("auto", "url"):
            text += match.group(kind)
            url = match.group(kind)
        else:
            inner, nested = inline(match.group(kind))
            text += inner
            ranges += [{**r, "start": r["start"] + start, "end": r["end"] + start} for r in nested]
            ranges.append({"start": start, "end": len(text), "type": _STYLES[kind]})
            continue
        ranges.append({"start": start, "end": len(text), "type": "link", "url": url})
    return text + markdown[position:], sorted(ranges, key=lambda r: r["start"])


def text_block(markdown: str, subtype: str = "", indent: int = 0) -> dict:
    text, ranges = inline(markdown)
    block: dict = {"type": "text", "text": text}
    if subtype:
        block["subtype"] = subtype
    if indent:
        block["indent_level"] = min(indent, 7)
    if ranges:
        block["formatting"] = ranges
    return block


def line_block(line: str) -> dict | None:
    """A block for one line that Markdown marks as a heading, list item or quote."""
    for pattern, subtype in ((_BULLET, "unordered-list-item"), (_NUMBERED, "ordered-list-item")):
        match = pattern.match(line)
        if match:
            return text_block(match.group(2), subtype, len(match.group(1).expandtabs(4)) // 2)
    if match := _HEADING.match(line):
        return text_block(without_closing_hashes(line[match.end() :]).strip(), "heading2")
    if match := _QUOTE.match(line):
        return text_block(match.group(1), "indented")
    return None


def paragraph_blocks(paragraph: str) -> list[dict]:
    """Structured lines become their own blocks; runs of ordinary lines are joined into
    one paragraph (Markdown's soft line breaks)."""
    blocks, run = [], []
    for line in paragraph.splitlines():
        block = line_block(line)
        if block is None:
            run.append(line.strip())
            continue
        if run:
            blocks.append(text_block(" ".join(run)))
            run = []
        blocks.append(block)
    if run:
        blocks.append(text_block(" ".join(run)))
    return blocks


def code_block(lines: list[str]) -> dict:
    """NPF has no code subtype; the lines are kept verbatim as an indented block."""
    return {"type": "text", "subtype": "indented", "text": "\n".join(lines)}


def markdown_blocks(markdown: str) -> list[dict]:
    blocks, paragraph, code = [], [], None
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("```"):
            if code is None:
                blocks += paragraph_blocks("\n".join(paragraph))
                paragraph, code = [], []
            else:
                blocks.append(code_block(code))
                code = None
        elif code is not None:
            code.append(line)
        elif line.strip():
            paragraph.append(line)
        else:
            blocks += paragraph_blocks("\n".join(paragraph))
            paragraph = []
    if code:
        blocks.append(code_block(code))
    return blocks + paragraph_blocks("\n".join(paragraph))


def canonical_block(url: str) -> dict:
    lead = "Originally published at "
    text = lead + url
    return {
        "type": "text",
        "text": text,
        "formatting": [{"start": len(lead), "end": len(text), "type": "link", "url": url}],
    }


def post_payload(content: Content) -> tuple[dict, list]:
    """The NPF post and its file parts; each image part is named by the `identifier` its
    media object carries, which is how Tumblr pairs them."""
    blocks: list[dict] = []
    if content.title:
        blocks.append({"type": "text", "subtype": "heading1", "text": content.title})
    files = []
    for index, media in enumerate(content.media):
        identifier = f"image{index}"
        image = {"type": "image", "media": [{"type": media.mime_type, "identifier": identifier}]}
        if media.alt_text:
            image["alt_text"] = media.alt_text
        blocks.append(image)
        files.append((identifier, (media.filename, media.data, media.mime_type)))
    blocks += markdown_blocks(content.markdown or content.text)
    # The composed article usually ends with its own "originally published" line already.
    if content.canonical_url and content.canonical_url not in content.markdown:
        blocks.append(canonical_block(content.canonical_url))
    payload: dict = {"content": blocks, "state": "published"}
    tags = [tag.replace(",", " ").strip() for tag in content.tags]
    if any(tags):
        payload["tags"] = ",".join(tag for tag in tags if tag)
    return payload, files


class Tumblr(Platform):
    name = "tumblr"
    credential_fields = ("access_token", "refresh_token", "client_id", "client_secret")
    default_base_url = "https://api.tumblr.com"
    media_limits = TUMBLR_MEDIA_LIMITS

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        """The handle names one of the token owner's blogs; its uuid is the stable id."""
        if not credentials.get("access_token"):
            raise PlatformError("A Tumblr access token is required.")
        name = blog_name(handle)
        session = Session(http, base_url.rstrip("/"), dict(credentials))
        response = session.request("GET", "/v2/user/info")
        if isinstance(response, httpx.Response) and response.status_code >= 400:
            response = failure(response)
        if isinstance(response, Outcome):
            status = 502 if response.kind in (RETRY, UNKNOWN) else 400
            raise PlatformError(response.error or "Tumblr refused the credentials.", status)
        try:
            user = response.json()["response"]["user"]
            blogs = user.get("blogs") or []
        except (ValueError, KeyError, TypeError, AttributeError):
            raise PlatformError("Tumblr answered /v2/user/info unexpectedly.", 502) from None
        for blog in blogs:
            if isinstance(blog, dict) and str(blog.get("name", "")).lower() == name:
                return Account(
                    blog["name"], str(blog.get("uuid") or blog["name"]), session.credentials
                )
        raise PlatformError(f"The blog {name!r} is not one of {user.get('name', 'this')}'s blogs.")

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        session = Session(http, base_url.rstrip("/"), dict(account.credentials))
        payload, files = post_payload(content)
        if files:
            body = json.dumps(payload).encode()
            request = {"files": [("json", (None, body, "application/json")), *files]}
        else:
            request = {"json": payload}
        response = session.request("POST", f"/v2/blog/{account.handle}/posts", **request)
        outcome = self._result(response, account.handle)
        if session.refreshed:
            outcome.credentials = session.credentials
        return outcome

    def _result(self, response: httpx.Response | Outcome, blog: str) -> Outcome:
        if isinstance(response, Outcome):
            return response
        if response.status_code >= 400:
            return failure(response)
        try:
            created = response.json()["response"]
            post_id = str(created.get("id_string") or created["id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            # Tumblr said it was created but not as what: published, with no link.
            return Outcome(PUBLISHED, error="Tumblr's answer did not name the new post")
        return Outcome(PUBLISHED, post_id=post_id, url=f"https://{blog}.tumblr.com/post/{post_id}")


register(Tumblr())
