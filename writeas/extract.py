"""What Write.as reads out of a post's Markdown: a browser title and its hashtags."""

import re
import unicodedata

TITLE_LIMIT = 80
TAG_MAX = 100
EXCERPT_LIMIT = 280

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_FENCED_BLOCK = re.compile(r"^\s{0,3}(```|~~~).*?(^\s{0,3}\1[^\n]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>\n]+>")
_LEADING_MARKS = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)+")
_TRAILING_HASHES = re.compile(r"\s+#+\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)|(?<!\w)[*_]|[*_](?!\w)")


def _plain_line(line: str) -> str:
    text = _LEADING_MARKS.sub("", line)
    text = _TRAILING_HASHES.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"


def extract_title(body: str, limit: int = TITLE_LIMIT) -> str:
    """The first line with words in it, stripped of Markdown, cut on a word boundary.

    Used only for the browser title bar and listings: the post body is never changed.
    """
    for line in body.splitlines():
        if _FENCE.match(line):
            continue
        text = _plain_line(line)
        if text:
            return _shorten(text, limit)
    return ""


def _is_tag_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LMN"


def hashtag_at(text: str, index: int) -> str:
    """The tag starting at `text[index] == "#"`, or "" when none starts there."""
    if index > 0 and not (text[index - 1].isspace() or text[index - 1] in "(["):
        return ""
    end = index + 1
    while end < len(text) and _is_tag_char(text[end]):
        end += 1
    tag = text[index + 1 : end]
    if len(tag) > TAG_MAX or not any(unicodedata.category(c)[0] == "L" for c in tag):
        return ""
    return tag


def extract_excerpt(body: str, limit: int = EXCERPT_LIMIT, *, skip_title: bool = False) -> str:
    """Plain text from the start of the body, for blog listings and feeds; `skip_title`
    leaves out the first line when it already serves as the post's title."""
    words = []
    size = 0
    for line in _FENCED_BLOCK.sub(" ", body).splitlines():
        text = _plain_line(line)
        if text and skip_title:
            skip_title = False
            continue
        if text:
            words.append(text)
            size += len(text) + 1
            if size > limit:
                break
    return _shorten(" ".join(words), limit)


def extract_hashtags(body: str) -> list[str]:
    """Hashtags as written (`#Writing`), outside code, deduplicated without regard to case.

    A tag starts a word (`#` at the start or after a space or bracket, so URL fragments and
    `# headings` are not tags), runs over letters, combining marks, digits and `_`, and must
    hold at least one letter (`#1` is a number, not a tag).
    """
    text = _INLINE_CODE.sub(" ", _FENCED_BLOCK.sub(" ", body))
    tags: list[str] = []
    seen: set[str] = set()
    index = text.find("#")
    while index != -1:
        tag = hashtag_at(text, index)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
        index = text.find("#", index + 1 + len(tag))
    return tags
