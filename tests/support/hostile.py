"""The hostile-input corpus, and the checker that proves a page can run nothing.

`xss.txt` holds one vector per line; the two characters `\\n` inside a line stand for a
line break (so fenced code and reference links fit on one line)."""

import re
from html.parser import HTMLParser
from pathlib import Path

VECTORS = [
    line.replace("\\n", "\n")
    for line in (Path(__file__).parent / "xss.txt").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
BLOG_TITLE_MAX = 255


def pack(items: list[str], limit: int, separator: str = " ", most: int = 10) -> list[list[str]]:
    """Greedy groups of vectors whose joined length stays within a field's limit, so that
    every vector goes through every field while the test sends few requests."""
    groups: list[list[str]] = [[]]
    for item in items:
        group = groups[-1]
        if group and (len(separator.join([*group, item])) > limit or len(group) >= most):
            groups.append([item])
        else:
            group.append(item)
    return groups


def tagged_body(vectors: list[str], label: str) -> str:
    """Each vector as a paragraph, a hashtag glued to its front and another standing alone
    before it, so the hashtag rule and the sanitizer meet every vector."""
    return "\n\n".join(f"#{label}x{i} #{label}y{i}{v}" for i, v in enumerate(vectors))


URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "lowsrc",
    "dynsrc",
    "codebase",
    "ping",
    "cite",
    "longdesc",
    "manifest",
    "srcdoc",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "portal",
    "plaintext",
    "xmp",
    "noembed",
    "noframes",
    "isindex",
    "template",
    "svg",
    "math",
}
# The site's own script, under its fingerprinted name (web/assets.py).
OWN_SCRIPT = re.compile(r"/static/app\.[0-9a-f]{12}\.js")
OWN_FORM_ACTION = re.compile(
    r"^/(?:|login|logout|signup|me/claim|me/blogs(?:/[a-z0-9-]+(?:/(?:delete|pin|unpin))?)?"
    r"|me/posts/[A-Za-z0-9]+/move|me/channels(?:/\d+/delete)?"
    r"|me/crossposts(?:/[\w-]+/(?:retry|cancel))?|[A-Za-z0-9]+/(?:edit|delete)"
    r"|[a-z0-9-]+/unlock)$"
)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\s]+")


def normalised_url(value: str) -> str:
    """What a browser makes of a URL attribute when choosing its scheme: entities are
    already decoded by the parser; browsers drop tabs and newlines anywhere and C0
    controls and spaces around it, and schemes are case-insensitive."""
    return _INVISIBLE.sub("", value).lower()


class PageChecker(HTMLParser):
    """Collects everything in an HTML document that could run script or take the page
    somewhere else; `problems` must be empty."""

    def __init__(self, own_script: bool = True):
        super().__init__(convert_charrefs=True)
        self.own_script = own_script
        self.problems: list[str] = []
        self.style_elements = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        found = dict(attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and normalised_url(value).startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(
                r"expression|javascript:|url\(|behavior|binding", normalised_url(value)
            ):
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "script":
            self._in_script = True
            if not (self.own_script and OWN_SCRIPT.fullmatch(found.get("src") or "")):
                self.problems.append(f"<script {found}>")
        elif tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag} {found}>")
        elif tag == "meta" and "http-equiv" in found:
            self.problems.append(f"<meta {found}>")
        elif tag == "form" and not OWN_FORM_ACTION.match(found.get("action") or ""):
            self.problems.append(f"<form {found}>")
        elif tag == "link":
            href = found.get("href") or ""
            if not (href.startswith("/") and not href.startswith("//")):
                self.problems.append(f"<link {found}>")
        elif tag == "style":
            self.style_elements += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:80]!r}")


def assert_inert_html(response, own_script: bool = True) -> str:
    """The page is HTML and nothing in it can execute (see PageChecker); a blog's CSS never
    closes its own `<style>` element (every `</style` in the source closes one we opened)."""
    assert response.status_code < 500, response.status_code
    assert response.mimetype == "text/html", response.content_type
    page = response.get_data(as_text=True)
    checker = PageChecker(own_script)
    checker.feed(page)
    checker.close()
    assert checker.problems == [], f"{response.request.path}: {checker.problems[:5]}"
    assert page.lower().count("</style") == checker.style_elements
    return page


def assert_inert_fragment(markup: str) -> None:
    """HTML a feed reader will render: no script of any kind, ours included."""
    checker = PageChecker(own_script=False)
    checker.feed(markup)
    checker.close()
    assert checker.problems == [], checker.problems[:5]
    assert markup.lower().count("</style") == checker.style_elements


def assert_html_error(response, status):
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert_inert_html(response)
