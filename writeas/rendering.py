"""Markdown to safe HTML, done once when a post is written.

mistune parses (raw HTML allowed, as Write.as allows it), Pygments highlights fenced
code, and nh3 (Ammonia) removes everything that could run script: the sanitiser is the
last step so nothing a renderer produces can bypass it.
"""

import html

import mistune
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_CODE_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


class _Renderer(mistune.HTMLRenderer):
    def block_code(self, code: str, info: str | None = None) -> str:
        language = (info or "").strip().split(None, 1)[0] if info and info.strip() else ""
        if language:
            try:
                lexer = get_lexer_by_name(language, stripnl=False)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                return highlight(code, lexer, _CODE_FORMATTER)
        return f"<pre><code>{html.escape(code)}</code></pre>\n"


_markdown = mistune.create_markdown(
    renderer=_Renderer(escape=False),
    plugins=["strikethrough", "footnotes", "table", "url", "task_lists"],
)

_TAGS = set(nh3.ALLOWED_TAGS) | {"section", "input"}
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in ("span", "div", "pre", "code", "section", "sup", "li", "ol", "ul", "p", "a"):
    _ATTRIBUTES.setdefault(_tag, set()).add("class")
for _tag in ("sup", "li", "a", "section", "h1", "h2", "h3", "h4", "h5", "h6"):
    _ATTRIBUTES.setdefault(_tag, set()).add("id")
_ATTRIBUTES["a"] |= {"title"}
_ATTRIBUTES["img"] |= {"title"}
_ATTRIBUTES["input"] = {"checked"}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "xmpp", "irc", "ircs", "gopher", "gemini"}


def sanitize(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        tag_attribute_values={"input": {"type": {"checkbox"}}},
        set_tag_attribute_values={"input": {"disabled": ""}},
    )


def render_markdown(body: str) -> str:
    return sanitize(_markdown(body))
