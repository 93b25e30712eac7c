"""Crosspost text fitting. Every expected number here was counted by hand from each
network's published rule, so a regression in the counting shows up as a wrong number
rather than agreeing with itself."""

import itertools

import pytest
import regex

from writeas.crossposting.formatting import (
    PLATFORMS,
    compose_long,
    compose_short,
    link_facets,
    measure,
    truncate,
)

SHORT = ("mastodon", "bluesky", "x", "linkedin")
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
FLAG_JP = "\U0001f1ef\U0001f1f5"
THUMB = "\U0001f44d"
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"
E_ACUTE_DECOMPOSED = "e\u0301"
KITAAB = "\u0915\u093f\u0924\u093e\u092c"  # किताब: कि ता ब
LONG_URL = "https://example.com/" + "a" * 100  # 20 + 100 = 120 characters
# 25 + 80 = 105 characters
POST_URL = "https://blog.example.com/" + "p" * 80


def test_platform_table():
    assert {name: (p.limit, p.counting, p.long_form) for name, p in PLATFORMS.items()} == {
        "mastodon": (500, "codepoints_url23", False),
        "bluesky": (300, "graphemes", False),
        "x": (280, "x_weighted", False),
        "linkedin": (3000, "codepoints", False),
        "tumblr": (None, "codepoints", True),
        "medium": (None, "codepoints", True),
        "writeas": (None, "codepoints", True),
        "instagram": (2200, "codepoints", False),
        "facebook": (63206, "codepoints", False),
        "threads": (500, "codepoints", False),
        "pinterest": (500, "codepoints", False),
        "tiktok": (2200, "utf16", False),
        "youtube": (5000, "youtube_bytes", False),
    }
    assert all(p.name == name for name, p in PLATFORMS.items())



def test_tiktok_counts_utf16_units():
    # An emoji outside the BMP is two UTF-16 units: codepoints would count half.
    assert measure("😀" * 1100, "tiktok") == 2200
    fitted = truncate("😀 " * 1101, 2200, "tiktok")
    assert fitted.endswith("…") and measure(fitted, "tiktok") <= 2200
    assert measure(fitted, "tiktok") > 2100


# (text, mastodon, bluesky, x, linkedin)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello world", (11, 11, 11, 11)),
        ("", (0, 0, 0, 0)),
        (THUMB, (1, 1, 2, 1)),
        # four people and three zero-width joiners: 7 code points, one emoji
        (FAMILY, (7, 1, 2, 7)),
        (FLAG_JP, (2, 1, 2, 2)),
        (THUMB_MEDIUM, (2, 1, 2, 2)),
        # keycap one: "1", U+FE0F, U+20E3
        ("1\ufe0f\u20e3", (3, 1, 2, 3)),
        ("日本語", (3, 3, 6, 3)),
        # X normalises to NFC first: e + U+0301 becomes é, one light character
        (E_ACUTE_DECOMPOSED, (2, 1, 1, 2)),
        # Devanagari letters and vowel signs all sit below U+10FF, so X weighs them 1
        (KITAAB, (5, 3, 5, 5)),
        # X's light ranges: U+10FF is the last light code point, U+1100 the first heavy one
        ("\u10ff\u1100", (2, 2, 3, 2)),
        # em dash U+2014 is in 8208–8223 (light); ellipsis U+2026 is not
        ("\u2014\u2026", (2, 2, 3, 2)),
        # bare © is Latin-1 text; with U+FE0F it is an emoji
        ("\u00a9", (1, 1, 1, 1)),
        ("\u00a9\ufe0f", (2, 1, 2, 2)),
        ("한국어", (3, 3, 6, 3)),
        (LONG_URL, (23, 120, 23, 120)),
        # the full stop ends the sentence, not the link: 5 + 23 + 1
        ("Read https://example.com/x.", (29, 27, 29, 27)),
        # X: 日本 2 * 2 + 1 + 23 + 1 + 👍 2 + 1 + 23
        ("日本 " + LONG_URL + " " + THUMB + " " + LONG_URL, (52, 246, 55, 246)),
        # Mastodon counts a remote mention as its @user part only
        ("@alice@mastodon.social hi", (9, 25, 25, 25)),
        ("mail bob@example.com", (20, 20, 20, 20)),
    ],
)
def test_measure(text, expected):
    assert tuple(measure(text, platform) for platform in SHORT) == expected


def test_long_form_platforms_count_code_points():
    assert measure(FAMILY, "medium") == 7


def test_unknown_platform_is_a_value_error():
    with pytest.raises(ValueError, match="myspace"):
        measure("hi", "myspace")


@pytest.mark.parametrize(
    ("platform", "limit", "cut"),
    [
        ("mastodon", 500, "a" * 499 + "…"),
        ("bluesky", 300, "a" * 299 + "…"),
        # the ellipsis weighs 2 on X
        ("x", 280, "a" * 278 + "…"),
        ("linkedin", 3000, "a" * 2999 + "…"),
    ],
)
def test_truncate_at_exact_limit(platform, limit, cut):
    assert truncate("a" * limit, limit, platform) == "a" * limit
    assert truncate("a" * (limit + 1), limit, platform) == cut


def test_truncate_on_word_boundary_at_limit():
    words = " ".join(["abcd"] * 56)  # 56 * 4 + 55 = 279
    assert truncate(words + "e", 280, "x") == words + "e"
    # 55 words: 274 + ellipsis 2 = 276; the 56th word would reach 281
    assert truncate(words + "ef", 280, "x") == " ".join(["abcd"] * 55) + "…"


@pytest.mark.parametrize(
    ("text", "limit", "platform", "expected"),
    [
        ("The quick brown fox jumps", 12, "bluesky", "The quick…"),
        # no ellipsis hanging off a comma
        ("Hello, wonderful world", 10, "bluesky", "Hello…"),
        # 46 graphemes with the link: the link goes whole
        ("Read this https://example.com/a-very-long-path today", 30, "bluesky", "Read this…"),
        # on Mastodon the link counts 23: whole is 10 + 23 + 6 = 39, cut 10 + 23 + 1 = 34
        (
            "Read this https://example.com/a-very-long-path today",
            38,
            "mastodon",
            "Read this https://example.com/a-very-long-path…",
        ),
        ("Great news #supercalifragilistic", 20, "bluesky", "Great news…"),
        ("ping @alice@mastodon.social please", 20, "bluesky", "ping…"),
        # CJK has no spaces: cut between characters, but drop the link rather than cut it
        ("日本語の記事https://example.com/abc", 10, "bluesky", "日本語の記事…"),
        # 6 * 2 + ellipsis 2 = 14
        ("日本語の記事https://example.com/abc", 14, "x", "日本語の記事…"),
        ("日本語の記事https://example.com/abc", 13, "x", "日本語の記…"),
        ("日" * 200, 280, "x", "日" * 139 + "…"),
        # a tag or link with nothing before it is dropped, not cut
        ("#" + "a" * 30, 10, "bluesky", ""),
        (LONG_URL, 50, "bluesky", ""),
        (FAMILY * 5, 3, "bluesky", FAMILY * 2 + "…"),
        # 2 + 2 + 2 = 6; a third family would make 8
        (FAMILY * 5, 7, "x", FAMILY * 2 + "…"),
        ("🇯🇵🇫🇷🇩🇪", 2, "bluesky", FLAG_JP + "…"),
        # each flag is two code points; never keep half of one
        ("🇯🇵🇫🇷🇩🇪", 4, "mastodon", FLAG_JP + "…"),
        (THUMB_MEDIUM * 4, 4, "mastodon", THUMB_MEDIUM + "…"),
        (E_ACUTE_DECOMPOSED * 10, 4, "bluesky", E_ACUTE_DECOMPOSED * 3 + "…"),
        (E_ACUTE_DECOMPOSED * 10, 4, "mastodon", E_ACUTE_DECOMPOSED + "…"),
        (KITAAB * 2, 4, "bluesky", KITAAB + "…"),
        # कि is two code points, ता two more: 2 + 1 fits, 4 + 1 does not
        (KITAAB * 2, 4, "mastodon", "\u0915\u093f…"),
    ],
)
def test_truncate(text, limit, platform, expected):
    assert truncate(text, limit, platform) == expected


def test_truncate_custom_ellipsis():
    assert truncate("The quick brown fox", 15, "bluesky", ellipsis=" [...]") == "The quick [...]"


TRICKY = [
    "Read https://example.com/a/b?c=d#e and #tags with " + FAMILY + " and 🇯🇵 here",
    "日本語" * 20 + "https://example.com/long/path" + "の記事" * 20,
    (E_ACUTE_DECOMPOSED + KITAAB + THUMB_MEDIUM) * 30,
    "@alice@mastodon.social " * 30,
    "#" + "tag" * 50 + " " + FLAG_JP * 40,
]


def _entities(text):
    return [facet["features"][0] for facet in link_facets(text)]


@pytest.mark.parametrize("platform", SHORT)
@pytest.mark.parametrize("text", TRICKY)
def test_truncate_never_breaks_anything(text, platform):
    cluster_ends = set(itertools.accumulate(len(c) for c in regex.findall(r"\X", text)))
    whole = _entities(text)
    for limit in range(0, 120, 7):
        cut = truncate(text, limit, platform)
        assert measure(cut, platform) <= limit
        kept = cut.removesuffix("…")
        assert text.startswith(kept)
        assert kept == "" or len(kept) in cluster_ends
        # every link and tag left is one of the original ones, whole
        assert all(entity in whole for entity in _entities(kept))


@pytest.mark.parametrize(
    ("platform", "words"),
    [
        # room = 500 - ("Title" 5 + 2 + link 23) - 2 = 468; n words + ellipsis = 5n
        ("mastodon", 93),
        # room = 300 - (5 + 2 + 105) - 2 = 186; 5n <= 186
        ("bluesky", 37),
        # room = 280 - (5 + 2 + 23) - 2 = 248; 5n - 1 + 2 <= 248
        ("x", 49),
        # room = 3000 - (5 + 2 + 105) - 2 = 2886; 5n <= 2886
        ("linkedin", 577),
    ],
)
def test_compose_short_shortens_excerpt_and_keeps_link(platform, words):
    post = compose_short("Title", "word " * 1000, POST_URL, platform)
    assert post == "Title\n\n" + " ".join(["word"] * words) + "…\n\n" + POST_URL
    assert measure(post, platform) <= PLATFORMS[platform].limit


def test_compose_short_that_fits_is_untouched():
    assert compose_short("Title", "Short excerpt.", POST_URL, "x") == (
        "Title\n\nShort excerpt.\n\n" + POST_URL
    )
    assert compose_short("", "Short excerpt.", POST_URL, "x") == "Short excerpt.\n\n" + POST_URL
    assert compose_short("Title", "  ", POST_URL, "x") == "Title\n\n" + POST_URL


def test_compose_short_shortens_title_once_excerpt_is_gone():
    title = " ".join(["word"] * 60)  # 299 characters
    # title room = 300 - 105 - 2 = 193; 5n <= 193
    expected = " ".join(["word"] * 38) + "…\n\n" + POST_URL
    assert compose_short(title, "Some excerpt", POST_URL, "bluesky") == expected


def test_compose_short_long_form_is_never_cut():
    excerpt = "word " * 1000
    assert compose_short("T", excerpt, POST_URL, "tumblr") == "T\n\n" + excerpt.strip() + (
        "\n\n" + POST_URL
    )


def test_compose_short_permalink_too_long():
    url = "https://example.com/" + "a" * 281  # 301 characters
    with pytest.raises(ValueError, match=r"^Permalink for bluesky is 301 characters; "):
        compose_short("T", "E", url, "bluesky")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("a" * 281, "Text for x is 281 characters; x allows 280."),
        ("日" * 141, "Text for x is 282 characters; x allows 280."),
    ],
)
def test_compose_short_override_over_limit(override, message):
    with pytest.raises(ValueError) as raised:
        compose_short("T", "E", POST_URL, "x", override=override)
    assert str(raised.value) == message


def test_compose_short_override_used_as_is():
    text = "日" * 140  # exactly 280 on X
    assert compose_short("T", "E", POST_URL, "x", override=text) == text
    assert compose_short("T", "E", POST_URL, "x", override=" ") == "T\n\nE\n\n" + POST_URL


def _link(start, end, uri):
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }


def _tag(start, end, tag):
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
    }


@pytest.mark.parametrize(
    ("text", "facets"),
    [
        # 日本 6 bytes + space 1 + 👍 4 + space 1 = 12; link 21 bytes; space; #tag 4 bytes
        (
            "日本 👍 https://example.com/a #tag",
            [_link(12, 33, "https://example.com/a"), _tag(34, 38, "tag")],
        ),
        # é 2 bytes + space = 3; #日本 = 1 + 6
        ("é #日本", [_tag(3, 10, "日本")]),
        # family: 4 * 4 bytes + 3 ZWJ * 3 bytes = 25, space = 26; 14-byte link
        (FAMILY + " http://e.com/x", [_link(26, 40, "http://e.com/x")]),
        # a link straight after CJK: 6 bytes, then 14
        ("記事https://e.com/", [_link(6, 20, "https://e.com/")]),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar))",
            [
                _link(5, 44, "https://en.wikipedia.org/wiki/Foo_(bar)"),
            ],
        ),
        ("(https://e.com/a), then", [_link(1, 16, "https://e.com/a")]),
        ("go to https://e.com/?q=1!", [_link(6, 24, "https://e.com/?q=1")]),
        # fragments, mid-word #, digit-only tags and bare schemes are not facets
        ("https://e.com/#frag", [_link(0, 19, "https://e.com/#frag")]),
        ("a#b #123 https:// xhttps://e.com", []),
        ("#" + "a" * 64, [_tag(0, 65, "a" * 64)]),
        ("#" + "a" * 65, []),
    ],
)
def test_link_facets(text, facets):
    assert link_facets(text) == facets


def test_compose_long():
    assert compose_long("Hello", "Body text.\n\n", "https://e.com/hello", "medium") == {
        "title": "Hello",
        "markdown": "Body text.\n\n*Originally published at <https://e.com/hello>*",
        "canonical_url": "https://e.com/hello",
    }


def test_compose_long_rejects_short_form_platform():
    with pytest.raises(ValueError, match="x"):
        compose_long("Hello", "Body", "https://e.com/hello", "x")
