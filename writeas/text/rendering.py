"""A post's body to safe HTML, done once when the post is written.

Prose: mistune parses (raw HTML allowed, as Write.as allows it), Pygments highlights
fenced code, hashtags become links to the blog's tag page, and nh3 (Ammonia) removes
everything that could run script — last, so nothing a renderer produces can bypass it.
Code posts (paste.as style): Pygments over the whole body, one anchored line at a time.

Every step is linear in the body, but the libraries' constants are large when every
character is markup: mistune spends about 7 µs on each link bracket or tag, 15 on each
emphasis mark or line (a 2 MB body of them took 15 s and 1.5 GB), Pygments up to 10 µs a
character when each is a token, and numbered lines cost a span per line. So what reaches
each is bounded (each bound costs at most about half a second):
- Markdown: a body whose markup weight (marks and lines, `markdown_weight`) is over
  MARKDOWN_WEIGHT_MAX is shown as its plain text, wrapped, instead — well beyond what any
  written post carries (a long essay weighs a few thousand);
- highlighting: HIGHLIGHT_MAX characters of code per post, one paste or all of a post's
  fenced blocks together; beyond it, numbered plain lines;
- numbered lines: up to NUMBERED_LINES_MAX; a paste with more is one plain block.
"""

import functools
import html
import re
import string
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

import mistune
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from writeas.text.code_languages import guess_language
from writeas.text.extraction import MEDIA_IMAGE_PATH, hashtag_at, without_closing_hashes

_FENCE_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)
_HASHTAG_LINK = re.compile(r'<a class="hashtag" href="[^"]*">(#[^<]*)</a>')
# Beyond this many characters of code in one post, the rest is shown without colours.
HIGHLIGHT_MAX = 64_000
_tag_base: ContextVar[str | None] = ContextVar("tag_base", default=None)
# What is left of HIGHLIGHT_MAX for the fenced blocks of the post being rendered.
_highlight_left: ContextVar[int] = ContextVar("highlight_left", default=HIGHLIGHT_MAX)
# The width and height of each uploaded image the post being rendered shows, by media id.
NO_SIZES: Mapping[str, tuple[int, int]] = MappingProxyType({})
_image_sizes: ContextVar[Mapping[str, tuple[int, int]]] = ContextVar(
    "image_sizes", default=NO_SIZES
)


class _Renderer(mistune.HTMLRenderer):
    def block_code(self, code: str, info: str | None = None) -> str:
        language = info.strip().split(None, 1)[0] if info and info.strip() else ""
        left = _highlight_left.get()
        if language and len(code) <= left:
            try:
                lexer = get_lexer_by_name(language, stripnl=False)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                _highlight_left.set(left - len(code))
                return highlight(code, lexer, _FENCE_FORMATTER)
        return f"<pre><code>{html.escape(code)}</code></pre>\n"

    def link(self, text: str, url: str, title: str | None = None) -> str:
        # A hashtag inside a link's text stays text: anchors can't nest.
        return super().link(_HASHTAG_LINK.sub(r'<span class="hashtag">\1</span>', text), url, title)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        """Our own images get their size, so the page doesn't jump as they load (every
        image, remote ones too, is made lazy by the sanitiser)."""
        tag = super().image(text, url, title)
        found = MEDIA_IMAGE_PATH.search(url)
        size = _image_sizes.get().get(found.group(1)) if found else None
        if size is None:
            return tag
        return f'{tag[:-3]} width="{size[0]}" height="{size[1]}" />'

    def hashtag(self, tag: str) -> str:
        base = _tag_base.get()
        text = html.escape("#" + tag)
        if base is None:
            return f'<span class="hashtag">{text}</span>'
        return f'<a class="hashtag" href="{html.escape(base)}tag:{html.escape(tag)}">{text}</a>'


def _hashtags(md: mistune.Markdown) -> None:
    """Inline rule for `#tag`, using the same definition of a tag as `extract`."""

    def parse(inline, match, state):
        tag = hashtag_at(state.src, match.start())
        if not tag:
            state.append_token({"type": "text", "raw": "#"})
            return match.end()
        state.append_token({"type": "hashtag", "raw": tag})
        return match.start() + 1 + len(tag)

    # Naming the rule's first character keeps mistune on its fast path, which finds each
    # next candidate by character; a rule of unknown start sends it to one regex search
    # per position, where its line-break patterns rescan every run of spaces.
    md.inline.register("hashtag", r"#(?=[^\W_]|_)", parse, before="link", start_chars="#")
    if md.renderer and md.renderer.NAME == "html":
        md.renderer.register("hashtag", lambda renderer, tag: renderer.hashtag(tag))


def _linear_headings(md: mistune.Markdown) -> None:
    r"""mistune trims a heading's closing `#`s with `(\s+|^)#+\s*$`, which rescans a run of
    spaces from each of its positions: `# a` and 100,000 spaces before a letter took 140 s.
    The same trim, by hand."""

    def parse(block, match, state):
        text = without_closing_hashes(match.group("atx_2").strip(string.whitespace))
        heading = {"type": "heading", "text": text, "style": "atx"}
        state.append_token({**heading, "attrs": {"level": len(match.group("atx_1"))}})
        return match.end() + 1

    md.block.register("atx_heading", None, parse)


_markdown = mistune.create_markdown(
    renderer=_Renderer(escape=False),
    plugins=[
        "strikethrough", "footnotes", "table", "url", "task_lists", _hashtags, _linear_headings
    ],
)

_TAGS = set(nh3.ALLOWED_TAGS) | {"section", "input"}
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in ("span", "div", "pre", "code", "section", "sup", "li", "ol", "ul", "p", "a"):
    _ATTRIBUTES.setdefault(_tag, set()).add("class")
for _tag in ("sup", "li", "a", "section", "span", "h1", "h2", "h3", "h4", "h5", "h6"):
    _ATTRIBUTES.setdefault(_tag, set()).add("id")
_ATTRIBUTES["a"] |= {"title"}
_ATTRIBUTES["img"] |= {"title"}
_ATTRIBUTES["input"] = {"checked"}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "xmpp", "irc", "ircs", "gopher", "gemini"}


# Built once: nh3.clean() rebuilds its allow-lists on every call, which costs more than
# cleaning a short post does.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    tag_attribute_values={"input": {"type": {"checkbox"}}},
    set_tag_attribute_values={"input": {"disabled": ""}, "img": {"loading": "lazy"}},
)


def sanitize(markup: str) -> str:
    return _CLEANER.clean(markup)


MARKDOWN_WEIGHT_MAX = 50_000
# What costs mistune the most: lines (three marks each: a list item costs 25 µs), emphasis
# marks (two), the other marks; `h` starts a bare URL, so it is a trigger too, at a quarter.
_EMPHASIS_MARKS = "*_"
_MARKS = "`[]<>~\\!#|&"


def markdown_weight(body: str) -> int:
    """About how much parsing the body costs mistune, in units of about 7 µs."""
    emphasis = sum(body.count(mark) for mark in _EMPHASIS_MARKS)
    marks = sum(body.count(mark) for mark in _MARKS)
    return 2 * emphasis + marks + 3 * line_breaks(body) + body.count("h") // 4


def line_breaks(body: str) -> int:
    """As both libraries count them: `\r\n`, `\r` and `\n` each end a line."""
    return body.count("\n") + body.count("\r") - body.count("\r\n")


def render_wrapped(body: str) -> str:
    """A body too heavy for Markdown, as its own text with its line breaks."""
    return f'<div class="plain-text">{html.escape(body, quote=False)}</div>'


def render_markdown(
    body: str, tag_base: str | None = None, image_sizes: Mapping[str, tuple[int, int]] = NO_SIZES
) -> str:
    """`tag_base` (`/alias/`) makes hashtags links to that blog's tag pages; `image_sizes`
    (media id to width and height) sizes the uploaded images the body shows."""
    if markdown_weight(body) > MARKDOWN_WEIGHT_MAX:
        return render_wrapped(body)
    token, budget = _tag_base.set(tag_base), _highlight_left.set(HIGHLIGHT_MAX)
    sizes = _image_sizes.set(image_sizes)
    try:
        return sanitize(_markdown(body))
    finally:
        _tag_base.reset(token)
        _highlight_left.reset(budget)
        _image_sizes.reset(sizes)


class _LineFormatter(HtmlFormatter):
    """paste.as lines: `<span class="line" id="L12"><a class="ln" href="#L12">12</a>…`."""

    def wrap(self, source):
        yield 0, '<pre class="code"><code>'
        number = 0
        for is_line, line in source:
            if is_line:
                number += 1
                yield (
                    1,
                    (
                        f'<span class="line" id="L{number}"><a class="ln" href="#L{number}" '
                        f'aria-label="Line {number}">{number}</a>{line.rstrip(chr(10))}</span>'
                    ),
                )
            else:
                yield 0, line
        yield 0, "</code></pre>"


_LINE_FORMATTER = _LineFormatter(nowrap=False)
EXTENSION_MAX = 32
NUMBERED_LINES_MAX = 20_000


def lexer_for(body: str) -> Lexer:
    """The language the paste looks like, or plain text when none is clear or the paste is
    too long to highlight."""
    name = guess_language(body) if len(body) <= HIGHLIGHT_MAX else None
    return get_lexer_by_name(name, stripnl=False) if name else TextLexer(stripnl=False)


@functools.lru_cache(maxsize=1024)
def _lexer_class_for(extension: str) -> type[Lexer] | None:
    return find_lexer_class_for_filename(f"file.{extension}")


def lexer_class_named_by(extension: str, body: str) -> type[Lexer] | None:
    """The lexer an extension names (`py` and `pyw` both name Python's), TextLexer when the
    body is too long to highlight, or None when the extension names no language. Pygments
    knows hundreds of extensions but far fewer lexers: callers key renders by the class."""
    lexer_class = None
    if len(extension) <= EXTENSION_MAX:  # as written (`.Rd`), else in lower case (`.PY`)
        lexer_class = _lexer_class_for(extension) or _lexer_class_for(extension.lower())
    if lexer_class is not None and len(body) > HIGHLIGHT_MAX:
        return TextLexer
    return lexer_class


def render_code(body: str, lexer: Lexer | None = None) -> str:
    """Numbered lines, highlighted by `lexer` (or by the language guessed), or for a paste
    of more lines than NUMBERED_LINES_MAX one plain block: an anchor per line would make
    the page a hundred times the size of a paste of blank lines.

    No sanitiser runs over this: Pygments escapes every character of the paste it writes
    (`&<>"'`), and the markup around them is ours, so nh3 would only re-parse a page it
    can't change (a fifth of the render; the XSS corpus goes through code posts to prove
    it)."""
    if line_breaks(body) >= NUMBERED_LINES_MAX:
        return f'<pre class="code"><code>{html.escape(body, quote=False)}</code></pre>'
    lexer = lexer or lexer_for(body)
    return highlight(body, lexer, _LINE_FORMATTER)


# Longer pastes are highlighted by the worker (`services.highlighting`), not the request
# that makes them: Pygments costs about a microsecond a character, so this keeps a
# paste's create under about 3 ms of lexing. Until the worker is done, the page shows the
# same numbered lines without colours.
HIGHLIGHT_INLINE_MAX = 3_000


def highlight_deferred(body: str, appearance: str) -> bool:
    """Whether a post's highlighting is left to the worker: a code post longer than
    HIGHLIGHT_INLINE_MAX that would be highlighted at all."""
    return (
        appearance == "code"
        and HIGHLIGHT_INLINE_MAX < len(body) <= HIGHLIGHT_MAX
        and line_breaks(body) < NUMBERED_LINES_MAX
    )


def render_plain(body: str) -> str:
    """`mono`: monospace, no Markdown, no highlighting, still one anchor per line."""
    return render_code(body, TextLexer(stripnl=False))


def render_post(
    body: str,
    appearance: str,
    tag_base: str | None = None,
    image_sizes: Mapping[str, tuple[int, int]] = NO_SIZES,
) -> str:
    if not body:
        return ""
    if appearance == "code":
        return render_code(body)
    if appearance == "mono":
        return render_plain(body)
    return render_markdown(body, tag_base, image_sizes)
