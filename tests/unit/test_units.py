"""The tricky pure functions: ids and tokens, title and hashtag extraction, fonts, input
readers, and the Markdown sanitiser."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from writeas.core import tokens
from writeas.core.clock import rfc3339
from writeas.core.errors import ServiceError
from writeas.services import payload
from writeas.text import appearance
from writeas.text.extraction import extract_hashtags, extract_title, first_image
from writeas.text.rendering import render_markdown
from writeas.text.slugs import slug_source, slugify, unique


def test_post_ids_are_lowercase_alphanumeric_and_unique():
    ids = {tokens.new_post_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(re.fullmatch(r"[a-z0-9]{13}", i) for i in ids)
    # every symbol of the alphabet shows up: the ids are not drawn from a narrow range
    assert set("".join(ids)) == set("abcdefghijklmnopqrstuvwxyz0123456789")


def test_modify_tokens_are_long_mixed_case_and_unique():
    made = {tokens.new_modify_token() for _ in range(2000)}
    assert len(made) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9]{32}", t) for t in made)


def test_random_bytes_map_to_symbols_without_bias():
    digits = "0123456789"  # 256 = 25 * 10 + 6: bytes 250-255 would favour 0-5
    assert tokens.symbols_from(digits, bytes([0, 9, 10, 249])) == "0909"
    assert tokens.symbols_from(digits, bytes([250, 251, 255, 7])) == "7"
    alphabet = "abcd"  # a divisor of 256: no byte is dropped
    assert tokens.symbols_from(alphabet, bytes(range(256))) == alphabet * 64


def test_timestamps_are_rfc3339_in_whole_utc_seconds():
    assert rfc3339(datetime(2024, 2, 29, 23, 59, 58, 999999)) == "2024-02-29T23:59:58Z"
    assert rfc3339(datetime(999, 1, 2, 3, 4, 5)) == "0999-01-02T03:04:05Z"
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2024, 1, 1, 1, 0, tzinfo=plus_two)) == "2023-12-31T23:00:00Z"
    assert rfc3339(None) is None


def test_access_tokens_are_uuids():
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        tokens.new_access_token(),
    )


def test_token_digest_and_match():
    raw = tokens.new_modify_token()
    stored = tokens.digest(raw)
    assert stored != raw and len(stored) == 64
    assert tokens.matches(raw, stored)
    assert not tokens.matches(raw[:-1] + ("a" if raw[-1] != "a" else "b"), stored)
    assert not tokens.matches("", stored)
    assert not tokens.matches(None, stored)


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("My First Post\n\nThe body.", "My First Post"),
        ("\n\n   \n# A *heading* here #\n\ntext", "A heading here"),
        ("## **Bold** and _em_ and `code`", "Bold and em and code"),
        ("[Linked text](https://example.com) after", "Linked text after"),
        ("![alt words](x.png)", "alt words"),
        ("> quoted line\nnext", "quoted line"),
        ("- list item first", "list item first"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("```python\nprint('hi')\n```", "print('hi')"),
        ("<b>html</b> words", "html words"),
        ("", ""),
        ("   \n\n", ""),
        ("Привет, мир", "Привет, мир"),
    ],
)
def test_extract_title(body, title):
    assert extract_title(body) == title


def test_extract_title_cuts_long_lines_on_a_word_boundary():
    line = "word " * 40
    title = extract_title(line)
    assert title.endswith("…")
    assert len(title) <= 81
    assert title[:-1].split(" ")[-1] == "word"


def test_extract_title_leaves_the_body_alone():
    body = "# Heading\n\nText"
    extract_title(body)
    assert body == "# Heading\n\nText"


@pytest.mark.parametrize(
    ("body", "tags"),
    [
        ("Hello #world", ["world"]),
        ("#first at the start", ["first"]),
        ("#Writing and #writing again", ["Writing"]),
        ("# Heading is not a tag", []),
        ("##double is not a tag", []),
        ("a#b is not a tag", []),
        ("https://example.com/page#anchor", []),
        ("#1 and #2020 are numbers, #2cool is a tag", ["2cool"]),
        ("(#inparens) [#inbrackets]", ["inparens", "inbrackets"]),
        ("#snake_case.", ["snake_case"]),
        ("#नमस्ते unicode with marks", ["नमस्ते"]),
        ("#日本語 tag", ["日本語"]),
        ("`#inline` code", []),
        ("```\n#fenced\n```\n#after", ["after"]),
        ("tag-with #hy-phen", ["hy"]),
    ],
)
def test_extract_hashtags(body, tags):
    assert extract_hashtags(body) == tags


@pytest.mark.parametrize(
    ("font", "stored"),
    [
        ("sans", "sans"),
        ("serif", "norm"),
        ("norm", "norm"),
        ("wrap", "wrap"),
        ("mono", "mono"),
        ("code", "code"),
        (" Code ", "code"),
        ("comic", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_font_mapping(font, stored):
    assert appearance.appearance_for(font) == stored


def test_payload_readers():
    data = {"s": "x", "n": 3, "b": True, "fs": "false", "nul": "a\x00b", "sur": "\ud800"}
    assert payload.text(data, "s") == "x"
    assert payload.text(data, "absent") is None
    assert payload.flag(data, "b") is True
    assert payload.flag(data, "fs") is False
    for name, reader in [
        ("n", payload.text),
        ("s", payload.flag),
        ("nul", payload.text),
        ("sur", payload.text),
    ]:
        with pytest.raises(ServiceError) as raised:
            reader(data, name)
        assert raised.value.status == 400
        assert f"`{name}`" in raised.value.message


@pytest.mark.parametrize("code", ["en", "de", "pt-BR", "zh-Hant", "ast", ""])
def test_language_accepts_iso_codes(code):
    assert payload.language({"lang": code}) == code


@pytest.mark.parametrize("code", ["english", "e", "en_", "12", "en-!!"])
def test_language_refuses_other_text(code):
    with pytest.raises(ServiceError):
        payload.language({"lang": code})


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<a href="https://ok.example" onclick="alert(1)">ok</a>',
        '<form action="https://evil.example"><input name=q></form>',
        '<object data="x.swf"></object>',
    ],
)
def test_rendering_removes_script(attack):
    html = render_markdown(f"Before\n\n{attack}\n\nAfter").lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert not re.search(r"\son\w+\s*=", html)
    assert "<iframe" not in html and "<form" not in html and "<object" not in html
    assert "style=" not in html


def test_rendering_supports_the_writeas_markdown_features():
    html = render_markdown(
        "~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nnote[^1]\n\n[^1]: the note\n\n"
        "```python\ndef f(): pass\n```"
    )
    assert "<del>gone</del>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'class="footnotes"' in html and "the note" in html
    assert 'class="highlight"' in html and '<span class="k">def</span>' in html


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("My First Post!", "my-first-post"),
        ("  --Hello,   World--  ", "hello-world"),
        ("Café naïve façade", "cafe-naive-facade"),
        ("Привет, мир", "privet-mir"),
        ("Ελληνικά", "ellinika"),
        ("東京", "dongjing"),
        ("🎉 party", "tada-party"),
        ("!!!", ""),
    ],
)
def test_slugify_transliterates(text, slug):
    assert slugify(text) == slug


def test_slugify_cuts_long_text_on_a_hyphen():
    slug = slugify("word " * 40)
    assert len(slug) <= 80 and slug.endswith("word") and not slug.endswith("-")


def test_slug_source_prefers_title_then_first_words():
    assert slug_source("A title", "ignored body") == "A title"
    assert slug_source("", "one two three four five six seven") == "one two three four five six"


def test_unique_slug_skips_taken_and_reserved():
    taken = {"post", "post-2"}
    assert unique("post", taken.__contains__) == "post-3"
    assert unique("fresh", taken.__contains__) == "fresh"
    assert unique("feed", taken.__contains__) == "feed-2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-07-09T01:43:46Z", datetime(2016, 7, 9, 1, 43, 46)),
        ("2016-07-09T03:43:46+02:00", datetime(2016, 7, 9, 1, 43, 46)),
        ("2016-07-09T01:43:46.789Z", datetime(2016, 7, 9, 1, 43, 46)),
        ("2016-07-09", datetime(2016, 7, 9)),
        ("", None),
        (None, None),
    ],
)
def test_timestamps(value, expected):
    assert payload.timestamp({"created": value}, "created") == expected


@pytest.mark.parametrize("value", ["yesterday", "2016-13-01T00:00:00Z", "0001-01-01T00:00:00Z", 5])
def test_bad_timestamps(value):
    with pytest.raises(ServiceError):
        payload.timestamp({"created": value}, "created")


def test_huge_pastes_get_numbered_lines_without_colours():
    from writeas.text.rendering import HIGHLIGHT_MAX, lexer_class_named_by, lexer_for, render_post

    huge = "def f(x):\n    return x\n" * (HIGHLIGHT_MAX // 20)
    assert lexer_for(huge).name == "Text only"
    assert lexer_class_named_by("py", huge).name == "Text only"
    assert lexer_class_named_by("py", "def f(x):\n    return x\n").name == "Python"
    assert lexer_class_named_by("PYW", "x").name == "Python"
    assert lexer_class_named_by("nosuchlanguage", "x") is None
    html = render_post(huge, "code")
    assert 'id="L1"' in html and '<span class="k">' not in html


def test_first_image_of_a_rendered_body():
    html = render_markdown("Words.\n\n![a](/media/a.png?x=1&y=2)\n\n![b](https://cdn.example/b.jpg)")
    assert first_image(html) == "/media/a.png?x=1&y=2"
    assert first_image("<p>No image, just <code>&lt;img src=x&gt;</code>.</p>") is None
    assert first_image("<img alt='x' src='single.png'>") == "single.png"
    # Openers without an end are one scan each, not a rescan of the rest from each.
    assert first_image("<img " * 100_000) is None
