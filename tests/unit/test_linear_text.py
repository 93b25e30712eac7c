"""Every function that reads text anyone can send stays linear in it.

A pattern that rescans a run of one character from each of its positions turns one
anonymous post of a few kilobytes into minutes of a worker's time. Each function below is
run over runs and repetitions of every character Markdown, the code cues and the
crossposting formats treat specially, at 50,000 characters; and whatever parses Markdown
over such runs inside each Markdown construct (a heading, a list item, an image's alt
text…), at 20,000. The fixed code takes milliseconds for each; a quadratic step takes
minutes. The bound is generous on purpose (this is the one kind of test allowed a timing
assertion): it tells linear from quadratic, not fast from slow.
"""

import contextlib
import time

import pytest
from databases import POSTGRES_URL

from writeas.crossposting import formatting
from writeas.crossposting.platforms import linkedin, tumblr
from writeas.text import code_languages, rendering, slugs
from writeas.text import extraction as extract

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="no database involved: the SQLite pass covers it"
)

SIZE = 50_000
BOUND_SECONDS = 3.0
SINGLE = list(" \t\n\r\u00a0\u3000<>[]()!`*_#-~\\&|{}$@:./'\"=^+,;?%1a")
UNITS = [
    "[a](",
    "![",
    "![a](",
    "<a",
    "<a href=",
    "**a",
    "*a* ",
    "_a_ ",
    "a_b ",
    "# ",
    "# a #\n",
    "- ",
    "-\n",
    "> ",
    "1. ",
    "```\n",
    "~~~\n",
    "\n\n",
    " \n",
    "\n ",
    "\t\n",
    "http://",
    "https://a.",
    "@a",
    "@a@",
    "#a ",
    "#1",
    "[^",
    "`a` ",
    "``a`",
    "<!--",
    "&#",
    "\\\n",
    "| a ",
    "a|",
    "def f(",
    ")->",
    ":= ",
    "\r\n",
]


def _bodies():
    for char in SINGLE:
        yield f"run {char!r}", "x" + char * SIZE + "x"
        yield f"spaced {char!r}", (char + " ") * (SIZE // 2)
        yield f"lines {char!r}", (char + "\n") * (SIZE // 2)
    for unit in UNITS:
        yield f"repeated {unit!r}", unit * (SIZE // len(unit))


BODIES = list(_bodies())


def _compose(body: str, platform: str) -> None:
    title = body[:1000]
    excerpt = extract.extract_excerpt(body)
    formatting.compose_short(title, excerpt, "https://example.com/a", platform)
    # Over the platform's limit, it is refused, as the request would be.
    with contextlib.suppress(ValueError):
        formatting.compose_short(title, excerpt, "https://example.com/a", platform, override=body)


FUNCTIONS = {
    "title": extract.extract_title,
    "excerpt": extract.extract_excerpt,
    "hashtags": extract.extract_hashtags,
    "language guess": code_languages.guess_language,
    "markdown": lambda body: rendering.render_post(body, "norm", "/blog/"),
    "code": lambda body: rendering.render_post(body, "code"),
    "mono": lambda body: rendering.render_post(body, "mono"),
    "slug": slugs.slugify,
    # A writer's own text for a target is measured (and refused when too long); the
    # excerpt that is cut to fit is at most EXCERPT_LIMIT, the title at most 1,000.
    "mastodon text": lambda body: _compose(body, "mastodon"),
    "x text": lambda body: _compose(body, "x"),
    "bluesky text": lambda body: _compose(body, "bluesky"),
    "bluesky facets": formatting.link_facets,
    "tumblr blocks": tumblr.markdown_blocks,
    "linkedin text": linkedin.little_text,
}


CONSTRUCT_SIZE = 20_000
CONSTRUCTS = [
    "# a",
    "- a\n",
    "1. ",
    "> ",
    "![",
    "[",
    "[a](",
    "[a]: <",
    "[^1]: ",
    "`",
    "<",
    "<a ",
    "<!--",
    "<div>\n",
    "| a |\n|",
    "a|b\n-|-\n",
    "```\n",
    "~~~ ",
    "    ",
    "- [ ] ",
    "**",
    "~~",
    "_",
    "http://",
    "<http://",
    "\\",
    "&",
    "a\n",
]
INSIDE = [" ", "\t", "<", "[", "\n", "#", "-", "`", "*", "|"]
CLOSERS = ["b", "](x)", ">"]
MARKDOWN_READERS = ["markdown", "title", "excerpt", "hashtags", "tumblr blocks"]


def _seconds(function, body) -> float:
    started = time.perf_counter()
    function(body)
    return time.perf_counter() - started


def _run(function, bodies) -> list[str]:
    """A body over the bound is timed twice more and its fastest run counts: a quadratic
    step is slow every time, a busy machine (CI once took 3.1 s over a body that takes
    0.2 s) only now and then."""
    slow = []
    for label, body in bodies:
        elapsed = _seconds(function, body)
        if elapsed > BOUND_SECONDS:
            elapsed = min([elapsed] + [_seconds(function, body) for _ in range(2)])
        if elapsed > BOUND_SECONDS:
            slow.append(f"{label}: {elapsed:.1f} s")
    return slow


@pytest.mark.parametrize("name", FUNCTIONS)
def test_text_functions_stay_linear_on_pathological_input(name):
    slow = _run(FUNCTIONS[name], BODIES)
    assert not slow, f"{name} is not linear on: {slow}"


@pytest.mark.parametrize("name", MARKDOWN_READERS)
def test_markdown_readers_stay_linear_inside_every_construct(name):
    bodies = [
        (f"{start!r} + {char!r}… + {end!r}", start + char * CONSTRUCT_SIZE + end)
        for start in CONSTRUCTS
        for char in INSIDE
        for end in CLOSERS
    ]
    slow = _run(FUNCTIONS[name], bodies)
    assert not slow, f"{name} is not linear on: {slow}"
