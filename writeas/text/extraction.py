"""What Write.as reads out of a post's Markdown: a browser title and its hashtags; and the
first image of its rendered body.

Everything here runs on every create and update, over text anyone can send, so every step
is linear in its input: no pattern can rescan a run of the same character from each of its
positions (openers are excluded from what follows them, quantifiers are possessive), and
what a pattern would need a back-reference for is scanned by hand.
"""

import html
import re
import unicodedata

TITLE_LIMIT = 80
TAG_MAX = 100
EXCERPT_LIMIT = 280
LINES_LOOKED_AT = 1000

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_FENCED_BLOCK = re.compile(r"^\s{0,3}(```|~~~).*?(^\s{0,3}\1[^\n]*$|\Z)", re.M | re.S)
_BACKTICKS = re.compile(r"`++")
# A bracket or angle can't occur inside the text that follows it, so a run of openers is
# one failed attempt each, not a rescan of the rest of the line from each of them.
_IMAGE = re.compile(r"!\[([^\[\]]*+)\]\([^()]*+\)")
_LINK = re.compile(r"\[([^\[\]]++)\]\([^()]*+\)")
_HTML_TAG = re.compile(r"<[^<>]++>")
_LEADING_MARKS = re.compile(r"^\s*+(?:#{1,6}\s++|>\s*+|[-*+]\s++|\d{1,9}[.)]\s++)++")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)|(?<!\w)[*_]|[*_](?!\w)")


def without_closing_hashes(text: str) -> str:
    """`Title ##` → `Title`, `###` → ``: an ATX heading's closing run of `#`, which needs a
    space before it (`C#` keeps its `#`)."""
    stripped = text.rstrip()
    bare = stripped.rstrip("#")
    if bare != stripped and (not bare or bare[-1].isspace()):
        return bare.rstrip()
    return text


def _without_code_spans(text: str) -> str:
    """Each code span (CommonMark: a run of n backticks up to the next run of exactly n)
    becomes a space. Each run's next run of the same length is found in one pass from the
    end, so a text full of backticks costs one scan, not one per opener."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    if len(runs) < 2:
        return text
    closer: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        closer[index] = last_of_length.get(length)
        last_of_length[length] = index
    pieces, kept_from, index = [], 0, 0
    while index < len(runs):
        end = closer[index]
        if end is None:
            index += 1
            continue
        pieces += [text[kept_from : runs[index][0]], " "]
        kept_from, index = runs[end][1], end + 1
    return "".join([*pieces, text[kept_from:]])


def _plain_line(line: str) -> str:
    text = _LEADING_MARKS.sub("", line, count=1)
    text = without_closing_hashes(text)
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
    for text in _plain_lines(line for line in body.splitlines() if not _FENCE.match(line)):
        return _shorten(text, limit)
    return ""


def _plain_lines(lines):
    """The lines that hold words, stripped of Markdown: only so many lines are looked at
    (blank ones cost nothing), since a title or an excerpt comes from the top."""
    looked_at = 0
    for line in lines:
        if not line or line.isspace():
            continue
        looked_at += 1
        if looked_at > LINES_LOOKED_AT:
            return
        text = _plain_line(line)
        if text:
            yield text


def _is_tag_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LMN"


def hashtag_at(text: str, index: int) -> str:
    """The tag starting at `text[index] == "#"`, or "" when none starts there."""
    if index > 0 and not (text[index - 1].isspace() or text[index - 1] in "(["):
        return ""
    end, stop = index + 1, min(len(text), index + TAG_MAX + 2)  # past TAG_MAX it's no tag
    while end < stop and _is_tag_char(text[end]):
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
    for text in _plain_lines(_FENCED_BLOCK.sub(" ", body).splitlines()):
        if skip_title:
            skip_title = False
            continue
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
    text = _without_code_spans(_FENCED_BLOCK.sub(" ", body))
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


# No `<` inside a tag, so each attempt ends at the next tag: linear, like the rest.
_IMAGE_SOURCE = re.compile(r"""<img\b[^<>]*?\ssrc=(?:"([^"]*+)"|'([^']*+)')""", re.IGNORECASE)


def first_image(body_html: str) -> str | None:
    """The address of the first image of a rendered (sanitised) body, as written, for the
    page's share card (og:image)."""
    found = _IMAGE_SOURCE.search(body_html)
    if found is None:
        return None
    return html.unescape(found.group(1) if found.group(1) is not None else found.group(2))


# The public address of an uploaded image (`media.public_path`), relative or on any host.
MEDIA_IMAGE_PATH = re.compile(r"/media/([0-9a-f]{32})\.(?:jpg|png|gif|webp)\b")


def media_ids(body: str) -> list[str]:
    """The ids of the uploaded images a body refers to, each once, in order: whatever
    shows them (Markdown, raw HTML, a link) keeps them in use."""
    return list(dict.fromkeys(MEDIA_IMAGE_PATH.findall(body)))
