"""Fitting a post into each crosspost target's text box.

Every network counts length its own way (code points, grapheme clusters, or X's weighted
count where a URL is always 23), so a post cut by `len()` is either rejected or cut short
for no reason. Counting here follows each network's published rules, and cuts never land
inside a link, tag, mention or user-perceived character, so what gets posted still works.
"""

import bisect
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import regex


@dataclass(frozen=True)
class PlatformText:
    name: str
    limit: int | None
    counting: str
    long_form: bool
    # What a link counts for, where links count as a fixed length (Mastodon's
    # `characters_reserved_per_url`, X's t.co length).
    url_weight: int = 23


PLATFORMS: dict[str, PlatformText] = {
    "mastodon": PlatformText("mastodon", 500, "codepoints_url23", long_form=False),
    "bluesky": PlatformText("bluesky", 300, "graphemes", long_form=False),
    "x": PlatformText("x", 280, "x_weighted", long_form=False),
    "linkedin": PlatformText("linkedin", 3000, "codepoints", long_form=False),
    "tumblr": PlatformText("tumblr", None, "codepoints", long_form=True),
    "medium": PlatformText("medium", None, "codepoints", long_form=True),
    "writeas": PlatformText("writeas", None, "codepoints", long_form=True),
    # Captions and descriptions: Instagram's and Threads' documented limits; a Facebook
    # post's 63,206; a pin's description; TikTok's caption (2,200 UTF-16 units, counted
    # as code points here, which is never more); a YouTube description's 5,000 bytes.
    "instagram": PlatformText("instagram", 2200, "codepoints", long_form=False),
    "threads": PlatformText("threads", 500, "codepoints", long_form=False),
    "facebook": PlatformText("facebook", 63206, "codepoints", long_form=False),
    "pinterest": PlatformText("pinterest", 500, "codepoints", long_form=False),
    "tiktok": PlatformText("tiktok", 2200, "utf16", long_form=False),
    "youtube": PlatformText("youtube", 5000, "youtube_bytes", long_form=False),
}

# Mastodon and X both swap every link for a fixed-length short form before counting.
URL_WEIGHT = 23
_SEPARATOR = "\n\n"
# Bluesky rejects a tag facet longer than this, which would sink the whole post.
_BLUESKY_TAG_GRAPHEMES = 64

# Like twitter-text, a link may follow CJK text directly, but not a Latin letter or digit.
_URL = regex.compile(r"(?<![A-Za-z0-9_/@#$])https?://\S+")
# Punctuation that usually ends the sentence around a link rather than the link itself.
_URL_TRAILING = ".,;:!?'\"…"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Same rule as the blog's own hashtags: starts a word, letters/marks/digits/_, one letter.
_HASHTAG = regex.compile(r"(?<![^\s(\[])#(?=[\p{M}\p{N}_]*\p{L})([\p{L}\p{M}\p{N}_]+)")
# Mastodon's mention shape; group 1 is the `@domain` part it leaves out of the count.
_MENTION = regex.compile(
    r"(?<![=/\w])@[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*(@[\w.-]*\w)?", regex.IGNORECASE
)
_GRAPHEME = regex.compile(r"\X")
# twitter-text weighs a whole emoji sequence as one 2-unit character. © and ® only become
# emoji with the U+FE0F selector; bare, they are ordinary Latin-1 text weighing 1.
_EMOJI = regex.compile(
    r"\p{Extended_Pictographic}\uFE0F|[^\u00A9\u00AE\P{Extended_Pictographic}]"
    r"|\u20E3|\p{Regional_Indicator}"
)
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
# Cutting after these would leave a clause hanging before the ellipsis.
_DANGLING = ",;:"

Span = tuple[int, int]


def _spec(platform: "str | PlatformText") -> PlatformText:
    if isinstance(platform, PlatformText):
        return platform
    try:
        return PLATFORMS[platform]
    except KeyError:
        raise ValueError(f"Unknown crosspost platform: {platform}") from None


def for_account(platform: str, details: Mapping) -> PlatformText:
    """The platform's text rules as one account's server states them: a Mastodon-API
    server tells its own character limit and what a link counts for (read at connect into
    the channel's details); anything it doesn't say keeps the platform's default."""
    spec = _spec(platform)
    limit, url_weight = details.get("max_characters"), details.get("characters_reserved_per_url")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        spec = replace(spec, limit=limit)
    if isinstance(url_weight, int) and not isinstance(url_weight, bool) and url_weight >= 0:
        spec = replace(spec, url_weight=url_weight)
    return spec


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a link, keeping a closing bracket only when the link
    opened one itself (Wikipedia-style `/Foo_(bar)` links)."""
    while url:
        last = url[-1]
        opener = _CLOSERS.get(last)
        if last in _URL_TRAILING or (opener and url.count(opener) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def _url_spans(text: str) -> list[Span]:
    spans = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if not url.endswith("://"):
            spans.append((match.start(), match.start() + len(url)))
    return spans


def _overlaps(span: Span, others: list[Span]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in others)


def _mention_matches(text: str, urls: list[Span]) -> list[regex.Match]:
    return [m for m in _MENTION.finditer(text) if not _overlaps(m.span(), urls)]


def _hashtag_matches(text: str, urls: list[Span]) -> list[regex.Match]:
    return [m for m in _HASHTAG.finditer(text) if not _overlaps(m.span(), urls)]


def _protected_spans(text: str) -> list[Span]:
    """Links, tags and mentions: the runs a cut must keep whole or drop whole."""
    urls = _url_spans(text)
    others = _mention_matches(text, urls) + _hashtag_matches(text, urls)
    return sorted(urls + [m.span() for m in others])


def _count_graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def _count_mastodon(text: str, url_weight: int = URL_WEIGHT) -> int:
    """Mastodon counts a link as 23 (or the server's own figure) and a remote mention only
    by its `@user` part.

    Its server counts grapheme clusters, its composer code points; code points are never
    fewer, so a post that fits here fits both.
    """
    urls = _url_spans(text)
    length = len(text) + sum(url_weight - (end - start) for start, end in urls)
    domains = (m.group(1) for m in _mention_matches(text, urls))
    return length - sum(len(domain) for domain in domains if domain)


def _x_char_weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _X_LIGHT_RANGES) else 2


def _x_cluster_weight(cluster: str) -> int:
    if _EMOJI.search(cluster):
        return 2
    return sum(_x_char_weight(char) for char in cluster)


def _x_plain_weight(text: str) -> int:
    if text.isascii():  # every ASCII character weighs 1, and no emoji is ASCII
        return len(text)
    return sum(_x_cluster_weight(cluster) for cluster in _GRAPHEME.findall(text))


def _count_x(text: str) -> int:
    """twitter-text v3 weighted length, in whole characters."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    position = 0
    for start, end in _url_spans(text):
        weight += _x_plain_weight(text[position:start]) + URL_WEIGHT
        position = end
    return weight + _x_plain_weight(text[position:])


_COUNTERS: dict[str, Callable[[str], int]] = {
    "codepoints_url23": _count_mastodon,
    "graphemes": _count_graphemes,
    "x_weighted": _count_x,
    "codepoints": len,
    # TikTok's caption: UTF-16 code units, so an emoji outside the BMP counts two.
    "utf16": lambda text: len(text.encode("utf-16-le")) // 2,
    # YouTube's description: UTF-8 bytes, with < and > sent as ‹ › (3 bytes each).
    "youtube_bytes": lambda text: len(text.encode()) + 2 * (text.count("<") + text.count(">")),
}


def measure(text: str, platform: "str | PlatformText") -> int:
    spec = _spec(platform)
    if spec.counting == "codepoints_url23":
        return _count_mastodon(text, spec.url_weight)
    return _COUNTERS[spec.counting](text)


def _word_cuts(text: str) -> list[int]:
    """Ends of words. Links, tags and mentions hold no whitespace, so these never split one."""
    return [i for i in range(1, len(text)) if text[i].isspace() and not text[i - 1].isspace()]


def _grapheme_ends(text: str, start: int, end: int) -> list[int]:
    return [start + m.end() for m in _GRAPHEME.finditer(text[start:end])]


def _atom_cuts(text: str) -> list[int]:
    """Ends of grapheme clusters, treating each link, tag and mention as one indivisible
    cluster, for text with no word break early enough (CJK, one very long word)."""
    cuts = []
    position = 0
    for start, end in _protected_spans(text):
        cuts += _grapheme_ends(text, position, start)
        cuts.append(end)
        position = end
    return cuts + _grapheme_ends(text, position, len(text))


def _longest_fitting(cuts: list[int], fits: Callable[[int], bool]) -> int | None:
    """Binary search: a longer prefix never measures less than a shorter one."""
    first_too_long = bisect.bisect_left(cuts, True, key=lambda cut: not fits(cut))
    return cuts[first_too_long - 1] if first_too_long else None


def truncate(text: str, limit: int, platform: "str | PlatformText", ellipsis: str = "…") -> str:
    """Shorten `text` so it plus `ellipsis` measures at most `limit` on `platform`.

    Returns "" when not even the first word or character fits, because a lone ellipsis
    would say nothing.
    """
    if measure(text, platform) <= limit:
        return text

    def kept(cut: int) -> str:
        return text[:cut].rstrip().rstrip(_DANGLING).rstrip()

    def fits(cut: int) -> bool:
        return measure(kept(cut) + ellipsis, platform) <= limit

    for cuts in (_word_cuts(text), _atom_cuts(text)):
        cut = _longest_fitting(cuts, fits)
        if cut is not None and kept(cut):
            return kept(cut) + ellipsis
    return ""


def _join(*parts: str) -> str:
    return _SEPARATOR.join(part for part in parts if part)


def _check_fits(what: str, text: str, spec: PlatformText) -> None:
    length = measure(text, spec)
    if spec.limit is not None and length > spec.limit:
        raise ValueError(
            f"{what} for {spec.name} is {length} characters; {spec.name} allows {spec.limit}."
        )


def _room_beside(around: str, spec: PlatformText) -> int:
    """What is left of the limit once `around` and a separator are placed."""
    used = measure(around, spec) + measure(_SEPARATOR, spec)
    return spec.limit - used


def compose_short(
    title: str, excerpt: str, url: str, platform: "str | PlatformText", override: str | None = None
) -> str:
    """The text of a short-form crosspost: title, excerpt, then the permalink.

    The link is the point of the post, so it is never shortened; the excerpt gives way
    first, then the title. A blank override counts as none, since forms send "" for an
    untouched field. Raises ValueError (meant for a 400) when an override or the bare
    permalink is over the limit.
    """
    spec = _spec(platform)
    if override is not None and override.strip():
        _check_fits("Text", override, spec)
        return override
    title, excerpt = title.strip(), excerpt.strip()
    whole = _join(title, excerpt, url)
    if spec.limit is None or measure(whole, platform) <= spec.limit:
        return whole
    _check_fits("Permalink", url, spec)
    if excerpt:
        short = truncate(excerpt, _room_beside(_join(title, url), spec), platform)
        if short:
            return _join(title, short, url)
    if title:
        title = truncate(title, _room_beside(url, spec), platform)
    return _join(title, url)


def compose_long(title: str, body_markdown: str, url: str, platform: str) -> dict:
    """A full copy for a long-form target, pointing search engines and readers back at the
    original so the copy doesn't compete with it."""
    if not _spec(platform).long_form:
        raise ValueError(f"{platform} takes short posts; use compose_short")
    footer = f"*Originally published at <{url}>*"
    return {
        "title": title,
        "markdown": _join(body_markdown.rstrip(), footer),
        "canonical_url": url,
    }


def _byte_span(text: str, start: int, end: int) -> dict:
    byte_start = len(text[:start].encode())
    return {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode())}


def link_facets(text: str) -> list[dict]:
    """Bluesky shows links and tags as plain text unless told where they are, in UTF-8
    byte offsets (app.bsky.richtext.facet)."""
    urls = _url_spans(text)
    facets = [
        (start, end, {"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]})
        for start, end in urls
    ]
    facets += [
        (*m.span(), {"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)})
        for m in _hashtag_matches(text, urls)
        if _count_graphemes(m.group(1)) <= _BLUESKY_TAG_GRAPHEMES
    ]
    return [
        {"index": _byte_span(text, start, end), "features": [feature]}
        for start, end, feature in sorted(facets, key=lambda facet: facet[0])
    ]
