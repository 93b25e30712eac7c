"""A post's body to safe HTML, done once when the post is written.

Prose: mistune parses (raw HTML allowed, as Write.as allows it), Pygments highlights
fenced code, hashtags become links to the blog's tag page, and nh3 (Ammonia) removes
everything that could run script — last, so nothing a renderer produces can bypass it.
Code posts (paste.as style): Pygments over the whole body, one anchored line at a time.
"""

import html
import re
from contextvars import ContextVar

import mistune
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from .code_languages import guess_language
from .extract import hashtag_at

_FENCE_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)
_HASHTAG_LINK = re.compile(r'<a class="hashtag" href="[^"]*">(#[^<]*)</a>')
_tag_base: ContextVar[str | None] = ContextVar("tag_base", default=None)


class _Renderer(mistune.HTMLRenderer):
    def block_code(self, code: str, info: str | None = None) -> str:
        language = info.strip().split(None, 1)[0] if info and info.strip() else ""
        if language:
            try:
                lexer = get_lexer_by_name(language, stripnl=False)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                return highlight(code, lexer, _FENCE_FORMATTER)
        return f"<pre><code>{html.escape(code)}</code></pre>\n"

    def link(self, text: str, url: str, title: str | None = None) -> str:
        # A hashtag inside a link's text stays text: anchors can't nest.
        return super().link(_HASHTAG_LINK.sub(r'<span class="hashtag">\1</span>', text), url, title)

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

    md.inline.register("hashtag", r"#(?=[^\W_]|_)", parse, before="link")
    if md.renderer and md.renderer.NAME == "html":
        md.renderer.register("hashtag", lambda renderer, tag: renderer.hashtag(tag))


_markdown = mistune.create_markdown(
    renderer=_Renderer(escape=False),
    plugins=["strikethrough", "footnotes", "table", "url", "task_lists", _hashtags],
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
    set_tag_attribute_values={"input": {"disabled": ""}},
)


def sanitize(markup: str) -> str:
    return _CLEANER.clean(markup)


def render_markdown(body: str, tag_base: str | None = None) -> str:
    """`tag_base` (`/alias/`) makes hashtags links to that blog's tag pages."""
    token = _tag_base.set(tag_base)
    try:
        return sanitize(_markdown(body))
    finally:
        _tag_base.reset(token)


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
# Beyond this size a paste is shown with numbered lines but no colours: highlighting a
# megabyte costs seconds of a worker's time on every write, for little use to a reader.
HIGHLIGHT_MAX = 200_000
GUESS_SAMPLE = 20_000


def lexer_for(body: str, extension: str | None = None) -> Lexer | None:
    """The lexer an extension names (`py`, `rs`), or a guess from the content; None when
    the extension names no language."""
    if extension:
        try:
            lexer = get_lexer_for_filename(f"file.{extension}", stripnl=False)
        except ClassNotFound:
            return None
        return lexer if len(body) <= HIGHLIGHT_MAX else TextLexer(stripnl=False)
    if len(body) > HIGHLIGHT_MAX:
        return TextLexer(stripnl=False)
    name = guess_language(body)
    if name:
        return get_lexer_by_name(name, stripnl=False)
    try:
        # Pygments' guesser runs every lexer's heuristics: a sample is enough, and bounded.
        return guess_lexer(body[:GUESS_SAMPLE], stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)


def render_code(body: str, lexer: Lexer | None = None) -> str:
    lexer = lexer or lexer_for(body)
    return sanitize(highlight(body, lexer, _LINE_FORMATTER))


def render_plain(body: str) -> str:
    """`mono`: monospace, no Markdown, no highlighting, still one anchor per line."""
    return render_code(body, TextLexer(stripnl=False))


def render_post(body: str, appearance: str, tag_base: str | None = None) -> str:
    if not body:
        return ""
    if appearance == "code":
        return render_code(body)
    if appearance == "mono":
        return render_plain(body)
    return render_markdown(body, tag_base)
