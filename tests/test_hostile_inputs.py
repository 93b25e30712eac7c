"""A corpus of hostile input, sent through HTTP, proving that nothing a writer or a visitor
types can run script in someone else's browser, and that no input makes the server 500.

1. XSS: every vector in `hostile/xss.txt` goes through every field a page shows (post body,
   post title, hashtags, blog title, description and style sheet, and the URL of a tag
   page), and every page that shows it is parsed and checked for anything executable.
2. The same vectors in headless Chromium, with the Content-Security-Policy bypassed so the
   sanitizer alone has to hold (the CSP is a second line, not the only one).
3. Overlong and malformed input: body-size limits, invalid UTF-8, lone surrogates, NUL,
   huge numbers and nesting bombs, non-object bodies.
4. Path tricks: traversal, NUL, look-alike letters, SQL metacharacters in ids and aliases.
5. SQL metacharacters and XSS in account and blog names.
6. Pathological bodies: long runs of whitespace, `<`, `[` and line breaks, and their
   cousins, in prose, code and monospace posts, published, updated and shown, each within
   a generous time bound (the fixed code takes well under a second for 100,000
   characters; the quadratic patterns the security review found took minutes).

`hostile/xss.txt` holds one vector per line; the two characters `\\n` inside a line stand
for a line break (so fenced code and reference links fit on one line).
"""

import json
import re
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest

from writeas.core.db import db
from writeas.core.models import Post, User

PASSWORD = "correct horse"
VECTORS = [
    line.replace("\\n", "\n")
    for line in (Path(__file__).parent / "hostile" / "xss.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
BLOG_TITLE_MAX = 255
BLOG_DESCRIPTION_MAX = 5000
POST_TITLE_MAX = 1000
MAX_BODY = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH's default


def pack(items: list[str], limit: int, separator: str = " ", most: int = 10) -> list[list[str]]:
    """Greedy groups of vectors whose joined length stays within a field's limit, so that
    every vector goes through every field while the test sends few requests."""
    groups: list[list[str]] = [[]]
    for item in items:
        group = groups[-1]
        if group and (
            len(separator.join([*group, item])) > limit or len(group) >= most
        ):
            groups.append([item])
        else:
            group.append(item)
    return groups


def test_the_corpus_is_a_real_corpus():
    """The file is the contract of this module: enough vectors, each short enough to fit
    a blog title on its own, none of them duplicated."""
    assert len(VECTORS) >= 100
    assert len(set(VECTORS)) == len(VECTORS)
    assert all(len(v) <= BLOG_TITLE_MAX for v in VECTORS)
    assert all("__xss" in v or "alert" in v or "msgbox" in v for v in VECTORS)


# --- the page checker ------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "lowsrc", "dynsrc", "codebase", "ping", "cite", "longdesc", "manifest", "srcdoc",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
FORBIDDEN_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
    "plaintext", "xmp", "noembed", "noframes", "isindex", "template", "svg", "math",
}
OWN_SCRIPT = "/static/app.js"
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
            if not (self.own_script and found.get("src") == OWN_SCRIPT):
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


def test_the_checker_catches_what_it_must():
    """A checker that passes everything proves nothing: each of these must be flagged."""
    caught = [
        '<script>x</script>',
        '<script src="/static/other.js"></script>',
        '<img src=x onerror=y>',
        '<a href=" JaVa&#x09;Script:x">',
        '<a href="&#x6A;avascript:x">',
        '<form><button formaction="vbscript:x">',
        '<object data="data:text/html,x">',
        '<svg><a xlink:href="javascript:x"></a></svg>',
        '<iframe></iframe>',
        '<base href="/">',
        '<meta http-equiv="refresh" content="0">',
        '<form action="https://evil.example/"></form>',
        '<style>a{}</style></style><p>',
        '<div style="width:expression(x)">',
    ]
    for markup in caught:
        checker = PageChecker()
        checker.feed(markup)
        checker.close()
        assert checker.problems or markup.count("</style") != checker.style_elements, markup
    clean = PageChecker()
    clean.feed(f'<script src="{OWN_SCRIPT}" defer></script><form action="/me/claim"></form>')
    assert clean.problems == []


# --- helpers -----------------------------------------------------------------------------


def csrf_token(client, page="/"):
    response = client.get(page)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def submit(client, path, data=None, page="/"):
    """POST a form the way a browser would, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def login(client, alias, password=PASSWORD):
    response = submit(client, "/login", {"alias": alias, "pass": password}, page="/login")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def assert_error(response, status):
    """The API's error envelope, exactly."""
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert response.mimetype == "application/json"
    assert set(response.json) == {"code", "error_msg"}
    assert response.json["code"] == status
    assert response.json["error_msg"] and "Traceback" not in response.json["error_msg"]


def assert_html_error(response, status):
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert_inert_html(response)


def raw_json(client, method, path, raw: bytes, token=None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.open(
        path, method=method, data=raw, content_type="application/json", headers=headers
    )


def tagged_body(vectors: list[str], label: str) -> str:
    """Each vector as a paragraph, a hashtag glued to its front and another standing alone
    before it, so the hashtag rule and the sanitizer meet every vector."""
    return "\n\n".join(f"#{label}x{i} #{label}y{i}{v}" for i, v in enumerate(vectors))


# --- 1. XSS through every field and every page -----------------------------------------


@pytest.fixture
def app(make_app):
    """Blog pages long enough to list every test post, and log-in failures unlimited (the
    name tests fail many on purpose); the write limits are already lifted by conftest."""
    return make_app(POSTS_PER_PAGE=100, LOGIN_RATE_LIMIT="100000 per minute")


def test_xss_vectors_in_every_field_are_inert_on_every_page(api, client):
    """Each round puts a handful of vectors in a post body, title and hashtags (once through
    the editor form, once through the API into a blog), in the blog's title, description
    and CSS (through the settings form), and in a tag page's URL; then reads every page and
    API answer that shows them."""
    token = api.signup("hostile")
    login(client, "hostile")
    rounds = pack(VECTORS, BLOG_TITLE_MAX)
    seen: set[str] = set()
    bodies: set[str] = set()
    for number, group in enumerate(rounds):
        seen.update(group)
        label = f"r{number}"
        title = " ".join(group)
        body = tagged_body(group, label)

        # The blog's fields, through the settings form.
        response = submit(
            client,
            "/me/blogs/hostile",
            {"title": title, "description": "\n".join(group), "style_sheet": "\n".join(group)},
            page="/me/blogs/hostile",
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]

        # A post in no blog, through the editor form (logged in, so it's owned).
        response = submit(client, "/", {"title": title, "body": body, "font": "norm"})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        loose_id = urlsplit(response.headers["Location"]).path.strip("/")

        # A post in the blog, through the API.
        blog_post = api.call(
            "POST", "/api/collections/hostile/posts", token=token,
            json={"title": title, "body": body},
        )
        assert blog_post.status_code == 201, blog_post.json
        slug = blog_post.json["data"]["slug"]
        assert blog_post.json["data"]["body"] == body
        assert blog_post.json["data"]["tags"][0] == f"{label}x0"

        html_pages = [
            f"/{loose_id}",
            f"/{loose_id}/edit",
            "/hostile/",
            f"/hostile/{slug}",
            f"/hostile/tag:{label}x0",
            "/me/",
            "/me/blogs/hostile",
        ]
        for path in html_pages:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert_inert_html(response)
        assert client.get(f"/hostile/tag:{label}x0").get_data(as_text=True).count(
            'class="entry"'
        ) == 1

        # The vector itself as a tag in the URL is reflected into the heading and title;
        # as a post id it reaches the 404 page.
        for vector in group:
            response = client.get(f"/hostile/tag:{quote(vector, safe='')}")
            assert response.status_code == (404 if "/" in vector else 200), vector
            assert_inert_html(response)
            response = client.get(f"/{quote(vector, safe='')}")
            assert response.status_code == 404, vector
            assert_inert_html(response)

        # Raw text is served as text, byte for byte.
        raw = client.get(f"/{loose_id}.txt")
        assert raw.status_code == 200
        assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert raw.headers["X-Content-Type-Options"] == "nosniff"
        assert raw.get_data(as_text=True) == body

        # The feed is well-formed XML whose HTML content is inert too.
        feed = client.get("/hostile/feed/")
        assert feed.status_code == 200
        assert feed.mimetype == "application/atom+xml"
        root = ET.fromstring(feed.data)  # noqa: S314 (our own feed)
        atom = "{http://www.w3.org/2005/Atom}"
        assert root.findtext(f"{atom}title") == title.strip()
        assert root.findtext(f"{atom}subtitle") == "\n".join(group)
        entries = root.findall(f"{atom}entry")
        assert title.strip() in [entry.findtext(f"{atom}title") for entry in entries]
        for entry in entries:
            assert_inert_fragment(entry.findtext(f"{atom}content") or "")

        # The API hands every field back exactly as written, as JSON.
        checks = [
            (f"/api/posts/{loose_id}", {"title": title, "body": body}),
            (f"/api/collections/hostile/posts/{slug}", {"title": title, "body": body}),
            (
                "/api/collections/hostile",
                {
                    "title": title.strip(),
                    "description": "\n".join(group),
                    "style_sheet": "\n".join(group),
                },
            ),
        ]
        for path, expected in checks:
            response = api.call("GET", path, token=token)
            assert response.status_code == 200, (path, response.json)
            assert response.mimetype == "application/json"
            for key, value in expected.items():
                wanted = value.strip() if key == "title" else value
                assert response.json["data"][key] == wanted, (path, key)
        bodies.add(body)
        listing = api.call("GET", "/api/collections/hostile/posts", token=token)
        assert listing.status_code == 200
        assert {p["body"] for p in listing.json["data"]["posts"]} <= bodies
        mine = api.call("GET", "/api/me/posts", token=token)
        assert mine.status_code == 200
        assert [p["body"] for p in mine.json["data"]].count(body) == 2
    assert seen == set(VECTORS)


# --- 2. The same vectors in a real browser ---------------------------------------------

# Fires every inline handler a surviving element could carry, and follows any link whose
# scheme could run script; our own app.js listens to none of these events.
PROVOKE = """() => {
  const events = ['mouseover', 'mouseenter', 'pointerenter', 'focus', 'toggle', 'load',
                  'error', 'animationstart', 'begin', 'start', 'pageshow'];
  for (const el of document.querySelectorAll('*')) {
    for (const type of events) { el.dispatchEvent(new Event(type)); }
  }
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    if (/^(javascript|vbscript|data):/i.test(a.protocol)) { a.click(); }
  }
  return window.__xss;
}"""


@pytest.fixture
def tab(browser, site):
    """A page with the CSP bypassed, recording dialogs (dismissed) and script errors."""
    context = browser.new_context(base_url=site, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    seen = SimpleNamespace(page=page, dialogs=[], errors=[])
    page.on("pageerror", lambda error: seen.errors.append(str(error)))

    def on_dialog(dialog):
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen
    context.close()


def assert_nothing_ran(tab, path: str) -> None:
    response = tab.page.goto(path)
    assert response.status < 500, (path, response.status)
    tab.page.wait_for_timeout(150)
    assert tab.page.evaluate(PROVOKE) is None, path
    tab.page.wait_for_timeout(50)
    assert tab.page.evaluate("typeof window.__xss") == "undefined", path
    assert tab.dialogs == [], (path, tab.dialogs)
    assert tab.errors == [], (path, tab.errors)


def test_no_vector_runs_in_chromium(api, tab):
    """Pages holding every vector at once: a post (its page, raw-free editor and blog
    copy), the blog's listing of titles and excerpts, a tag page, the dashboard, and the
    blog's title and description round by round (they are too short to hold all)."""
    token = api.signup("hostile")
    everything = tagged_body(VECTORS, "all")
    loose = api.publish(token, title=" ".join(VECTORS[:8]), body=everything)
    slugs = []
    for group in pack(VECTORS, POST_TITLE_MAX, most=len(VECTORS)):
        post = api.call(
            "POST", "/api/collections/hostile/posts", token=token,
            json={"title": " ".join(group), "body": everything},
        )
        assert post.status_code == 201, post.json
        slugs.append(post.json["data"]["slug"])
    css = api.call(
        "POST", "/api/collections/hostile", token=token,
        json={"style_sheet": "\n".join(VECTORS), "description": "\n".join(VECTORS)[:5000]},
    )
    assert css.status_code == 200, css.json

    # A positive control: the harness does see a handler run and a dialog open.
    page = tab.page
    page.set_content('<img src=x onerror="window.__xss=1"><a href="javascript:alert(7)">x</a>')
    page.wait_for_timeout(150)
    assert page.evaluate(PROVOKE) == 1
    page.wait_for_timeout(150)
    assert tab.dialogs == ["7"]
    tab.dialogs.clear()

    # Log the browser in through the form, for the editor and the dashboard.
    page.goto("/login")
    page.fill("#alias", "hostile")
    page.fill("#pass", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))

    for path in [
        f"/{loose['id']}",
        f"/{loose['id']}/edit",
        "/hostile/",
        f"/hostile/{slugs[0]}",
        "/hostile/tag:allx0",
        "/me/",
        "/me/blogs/hostile",
    ]:
        assert_nothing_ran(tab, path)

    titles = pack(VECTORS, BLOG_TITLE_MAX)
    descriptions = pack(VECTORS, BLOG_DESCRIPTION_MAX, "\n", most=len(VECTORS))
    for number, group in enumerate(titles):
        fields = {"title": " ".join(group)}
        if number < len(descriptions):
            fields["description"] = "\n".join(descriptions[number])
        response = api.call("POST", "/api/collections/hostile", token=token, json=fields)
        assert response.status_code == 200, response.json
        assert_nothing_ran(tab, "/hostile/")


# --- 3. Overlong and malformed input ---------------------------------------------------


def test_a_one_megabyte_body_reads_back_exactly(api, alice, client):
    """Big but within MAX_CONTENT_LENGTH: stored and served byte for byte (multi-byte
    characters included), through the API and as raw text."""
    unit = "ä漢😀 a line of *text* with #tags and <b>markup</b>\r\n"
    body = unit * (1_000_000 // len(unit.encode()))
    raw = json.dumps({"body": body}, ensure_ascii=False).encode()
    assert 900_000 < len(raw) < MAX_BODY
    response = raw_json(client, "POST", "/api/posts", raw, alice)
    assert response.status_code == 201, response.json
    post_id = response.json["data"]["id"]
    assert api.call("GET", f"/api/posts/{post_id}").json["data"]["body"] == body
    assert client.get(f"/{post_id}.txt").data == body.encode()


def test_bodies_over_the_limit_are_413(api, client, app):
    """One byte over the limit is refused before any parsing: the API's envelope under
    /api, the error page for the editor form."""
    raw = b'{"body": "' + b"x" * (MAX_BODY - 11) + b'"}'
    assert len(raw) == MAX_BODY + 1
    assert_error(raw_json(client, "POST", "/api/posts", raw), 413)
    assert_error(raw_json(client, "POST", "/api/auth/signup", raw), 413)
    response = client.post("/", data={"body": "x" * (MAX_BODY + 1)})
    assert_html_error(response, 413)
    with app.app_context():
        assert db.session.query(Post).count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"body": "\xff\xfe"}',
        b'{"body": "ok", "title": "\xc3\x28"}',
        b'{"body": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
        b'{"body": "\xf8\x88\x80\x80\x80"}',  # a five-byte sequence
        b'{"body": "\xc0\xaf"}',  # an overlong "/"
        b'\xef\xbb\xbf{"body": "x"}\xff',
        b"\x00{}",
    ],
)
def test_invalid_utf8_in_json_is_400(client, raw):
    assert_error(raw_json(client, "POST", "/api/posts", raw), 400)


@pytest.mark.parametrize("raw", [b"body=\xff\xfe", b"body=ok&title=\xc3\x28", b"body=\xed\xa0\x80"])
def test_invalid_utf8_in_api_forms_never_stores_broken_text(api, client, raw):
    """Undecodable form bytes are either refused or stored as valid text that reads back:
    never a 500, never a string the database or JSON can't hold."""
    response = client.post(
        "/api/posts", data=raw, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (201, 400), response.data[:300]
    if response.status_code == 400:
        assert_error(response, 400)
        return
    data = api.call("GET", f"/api/posts/{response.json['data']['id']}").json["data"]
    for key in ("body", "title"):
        data[key].encode("utf-8")  # no lone surrogates smuggled in


def test_percent_encoded_invalid_utf8_in_forms(api, client):
    """`%FF%FE` can't be decoded; it is kept as the literal escape rather than broken."""
    response = client.post(
        "/api/posts", data=b"body=%FF%FE", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 201, response.json
    assert response.json["data"]["body"].encode("utf-8")


@pytest.mark.parametrize("raw", [b"body=\xff\xfe", b"body=a%00b", b"body=a\x00b"])
def test_broken_bytes_in_the_editor_form_are_400_pages(client, raw):
    token = csrf_token(client).encode()
    response = client.post(
        "/", data=b"csrf_token=" + token + b"&" + raw,
        content_type="application/x-www-form-urlencoded",
    )
    assert_html_error(response, 400)


# Every text field of every JSON endpoint that takes an object, with a body that would
# otherwise be accepted. {post}, {blog} and {other} are filled in by the fixture.
TEXT_FIELDS = [
    ("/api/posts", {"body": "x"}, ["body", "title", "font", "lang", "created"]),
    ("/api/posts/{post}", {"body": "x"}, ["body", "title", "font", "lang", "token"]),
    ("/api/collections/hostile/posts", {"body": "x"}, ["body", "title", "font", "lang"]),
    ("/api/collections", {"title": "x"}, ["title", "alias"]),
    (
        "/api/collections/hostile",
        {},
        ["title", "description", "style_sheet", "password", "visibility"],
    ),
    ("/api/auth/signup", {"alias": "newcomer", "pass": PASSWORD}, ["alias", "pass", "email"]),
    ("/api/auth/login", {"alias": "hostile", "pass": PASSWORD}, ["alias", "pass"]),
    ("/auth/login", {"alias": "hostile", "pass": PASSWORD}, ["alias", "pass"]),
]


@pytest.fixture
def owner(api):
    """A user `hostile` with a post in their blog; the token and the post's id."""
    token = api.signup("hostile")
    post = api.call(
        "POST", "/api/collections/hostile/posts", token=token, json={"body": "A post."}
    ).json["data"]
    return token, post["id"]


def test_control_characters_never_break_the_feed(api, client, owner):
    """C0 controls other than tab and line breaks are not allowed in XML 1.0: whatever a
    writer puts in a title, description or body (stored, or refused with a 400), the blog's
    Atom feed must still parse."""
    token, _ = owner
    controls = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\x7f"
    writes = [
        ("/api/collections/hostile", {"title": f"Blog {controls}"}),
        ("/api/collections/hostile", {"description": f"About {controls}"}),
        ("/api/collections/hostile/posts", {"title": f"Post {controls}", "body": "text"}),
        ("/api/collections/hostile/posts", {"body": f"Body {controls} #tag"}),
    ]
    for path, fields in writes:
        response = api.call("POST", path, token=token, json=fields)
        assert response.status_code in (200, 201, 400), response.json
    feed = client.get("/hostile/feed/")
    assert feed.status_code == 200
    ET.fromstring(feed.data)  # noqa: S314 (our own feed)


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "\x00", "a\x00b"], ids=repr)
def test_lone_surrogates_and_nul_in_every_text_field_are_400(client, owner, bad):
    """JSON can carry `\\ud800` and `\\u0000`, which no database stores: each field names
    itself in a 400, nothing is half-written, and the alias survives for a clean retry."""
    token, post_id = owner
    for path, base, fields in TEXT_FIELDS:
        path = path.format(post=post_id)
        for field in fields:
            raw = json.dumps({**base, field: bad}).encode()
            response = raw_json(client, "POST", path, raw, token)
            assert_error(response, 400)
            assert f"`{field}`" in response.json["error_msg"], (path, field)
    for path in ("/api/posts/claim", "/api/collections/hostile/pin"):
        raw = json.dumps([{"id": bad}]).encode()
        response = raw_json(client, "POST", path, raw, token)
        assert response.status_code == 200, response.json
        assert response.json["data"][0]["code"] == 400


def test_extremely_long_fields_are_400_naming_them(api, client, owner):
    """Every length limit holds at the limit, one over it, and far over it."""
    token, post_id = owner
    cases = [
        ("/api/posts", {"body": "x"}, "title", POST_TITLE_MAX),
        ("/api/posts/" + post_id, {}, "title", POST_TITLE_MAX),
        ("/api/collections/hostile", {}, "title", BLOG_TITLE_MAX),
        ("/api/collections/hostile", {}, "description", BLOG_DESCRIPTION_MAX),
        ("/api/collections/hostile", {}, "style_sheet", 100_000),
        ("/api/posts", {"body": "x"}, "lang", 16),
    ]
    for path, base, field, limit in cases:
        for length in (limit + 1, 1_000_000):
            value = "a" * length
            response = api.call("POST", path, token=token, json={**base, field: value})
            assert_error(response, 400)
            assert f"`{field}`" in response.json["error_msg"]
    at_limit = api.call("POST", "/api/posts", json={"body": "x", "title": "t" * POST_TITLE_MAX})
    assert at_limit.status_code == 201
    for alias in ("a" * 41, "a" * 161, "a" * 100_000):
        assert_error(api.call("POST", "/api/auth/signup", json={"alias": alias, "pass": PASSWORD}),
                     400)
        assert_error(api.call("POST", "/api/collections", token=token,
                              json={"title": "t", "alias": alias}), 400)
        assert_error(api.call("POST", "/api/auth/login", json={"alias": alias, "pass": "x" * 8}),
                     400 if len(alias) > 1000 else 404)
    for password in ("p" * 1025, "p" * 100_000):
        assert_error(api.call("POST", "/api/auth/signup",
                              json={"alias": "longpass", "pass": password}), 400)


def test_extremely_long_tags(api, client, owner):
    """A hashtag of up to 100 letters is a tag; a longer one is just text. A tag page for
    a megabyte-long tag is an empty page, not an error."""
    token, _ = owner
    post = api.call(
        "POST", "/api/collections/hostile/posts", token=token,
        json={"body": f"#{'a' * 100} and #{'b' * 101} and #{'ж' * 100}"},
    ).json["data"]
    assert post["tags"] == ["a" * 100, "ж" * 100]
    response = client.get(f"/hostile/tag:{'a' * 100}")
    assert response.status_code == 200
    assert assert_inert_html(response).count('class="entry"') == 1
    response = client.get(f"/hostile/tag:{'c' * 1_000_000}")
    assert response.status_code == 200
    assert "Nothing here yet." in assert_inert_html(response)


HUGE_JSON_NUMBERS = [b"1e999999", b"-1e999999", b"1" + b"0" * 10_000, b"-" + b"9" * 10_000]
# Strings that look numeric to someone: ten thousand digits (`int()` refuses more than
# 4300), a superscript digit (`"²".isdigit()` is true, `int("²")` raises), and the rest.
HUGE_TEXT_NUMBERS = ["9" * 10_000, "99999999999999999999", "1e999999", "²", "-1", "1.5",
                     "NaN", "0x10", " 9 "]


def short(value) -> str:
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text if len(text) <= 24 else f"{text[:8]}…({len(text)} chars)"


def mismatch(response, status: int, *, html: bool = False, names: str | None = None):
    """Why a response isn't the expected refusal (None when it is): these tests try many
    values per route and report every wrong one at once rather than the first."""
    if response.status_code != status:
        return f"{response.status_code} instead of {status}"
    if html:
        return None if response.mimetype == "text/html" else response.content_type
    body = response.json if response.mimetype == "application/json" else None
    if not body or set(body) != {"code", "error_msg"} or body["code"] != status:
        return f"not the error envelope: {response.data[:80]!r}"
    if names and names not in body["error_msg"]:
        return f"message doesn't name {names}: {body['error_msg']!r}"
    return None


def test_numbers_json_cant_hold_are_400(client, owner):
    """`1e999999` parses to infinity and is no boolean or visibility; a ten-thousand-digit
    integer exceeds Python's int-parsing limit and makes the body invalid JSON."""
    token, post_id = owner
    targets = [
        ("/api/posts", b'"body": "x", ', "rtl"),
        (f"/api/posts/{post_id}", b"", "rtl"),
        ("/api/collections/hostile", b"", "visibility"),
    ]
    for path, prefix, field in targets:
        for number in HUGE_JSON_NUMBERS:
            raw = b"{" + prefix + b'"' + field.encode() + b'": ' + number + b"}"
            assert_error(raw_json(client, "POST", path, raw, token), 400)


def test_numeric_looking_strings_in_choice_fields_are_400(client, owner):
    """`rtl` is a boolean and `visibility` a name or one of WriteFreely's small numbers:
    anything else, however numeric it looks, is a 400 naming the field, in JSON and in a
    form body alike."""
    token, post_id = owner
    targets = [
        ("/api/posts", {"body": "x"}, "rtl"),
        (f"/api/posts/{post_id}", {}, "rtl"),
        ("/api/collections/hostile", {}, "visibility"),
    ]
    problems = []
    for path, base, field in targets:
        for text in HUGE_TEXT_NUMBERS:
            fields = {**base, field: text}
            as_json = raw_json(client, "POST", path, json.dumps(fields).encode(), token)
            as_form = client.post(path, data=fields, headers={"Authorization": f"Token {token}"})
            for kind, response in (("json", as_json), ("form", as_form)):
                problem = mismatch(response, 400, names=f"`{field}`")
                if problem:
                    problems.append(f"POST {path} {kind} {field}={short(text)}: {problem}")
    assert not problems, "\n".join(problems)


def test_huge_numbers_in_pin_positions(client, owner):
    """`position` is per item: a bad one is that item's 400, the batch still answers 200;
    a number JSON can't represent fails the whole body as invalid JSON; a huge but valid
    integer just means "at the end"."""
    token, post_id = owner
    pin = "/api/collections/hostile/pin"
    for number in (b"1e999999", b"-1e999999", b"0", b"-1", b"1.5", b"true", b'"9"',
                   b'"' + b"9" * 10_000 + b'"'):
        raw = b'[{"id": "' + post_id.encode() + b'", "position": ' + number + b"}]"
        response = raw_json(client, "POST", pin, raw, token)
        assert response.status_code == 200, response.json
        assert response.json["data"][0]["code"] == 400, number[:20]
        assert "`position`" in response.json["data"][0]["error_msg"]
    raw = b'[{"id": "' + post_id.encode() + b'", "position": 1' + b"0" * 10_000 + b"}]"
    assert_error(raw_json(client, "POST", pin, raw, token), 400)
    raw = b'[{"id": "' + post_id.encode() + b'", "position": ' + str(2**70).encode() + b"}]"
    response = raw_json(client, "POST", pin, raw, token)
    assert response.status_code == 200 and response.json["data"][0]["code"] == 200
    post = client.get(f"/api/posts/{post_id}").json["data"]
    assert post["pinned_position"] == 1


def test_numeric_looking_query_parameters(api, client, owner):
    """`page` and `limit` in the query string: 400 naming them under /api, 404 for a tag
    page (whose pages are plain links)."""
    token, _ = owner
    problems = []
    # (" 9 " is left out: reading it as 9 is lenient, not wrong.)
    for value in [*(v for v in HUGE_TEXT_NUMBERS if v.strip() != "9"), "0"]:
        checks = [
            (f"/api/collections/hostile/posts?page={quote(value)}", 400, "`page`", None),
            (f"/api/me/crossposts?limit={quote(value)}", 400, "`limit`", token),
            (f"/hostile/tag:x?page={quote(value)}", 404, None, None),
        ]
        for path, status, names, auth in checks:
            response = api.call("GET", path, token=auth)
            problem = mismatch(response, status, html=names is None, names=names)
            if problem:
                problems.append(f"GET {path.split('?')[0]} ({short(value)}): {problem}")
            elif names is None:
                assert_inert_html(response)
    assert not problems, "\n".join(problems)


def test_numeric_looking_blog_page_paths_are_404(client, owner):
    """`/{alias}/page/N` past the last page is a 404, however large N is."""
    problems = []
    for value in ["9" * 10_000, "99999999999999999999", "9223372036854775807", "1000000",
                  "-1", "²", "1e9"]:
        response = client.get(f"/hostile/page/{quote(value)}")
        problem = mismatch(response, 404, html=True)
        if problem:
            problems.append(f"GET /hostile/page/{short(value)}: {problem}")
    assert not problems, "\n".join(problems)


def test_numeric_looking_dashboard_fields(client, owner):
    """The dashboard's number fields (a pin position, a channel id, the visibility) with
    values `int()` can't take: refused like any other bad value (an error flashed on the
    way back to the dashboard, or the settings page with its error), never a 500."""
    _token, post_id = owner
    login(client, "hostile")
    problems = []
    for value in ["9" * 10_000, "²"]:
        forms = [
            ("/me/blogs/hostile/pin", {"id": post_id, "position": value}, "/me/", 303),
            ("/me/crossposts", {"post": post_id, "channel": value}, "/me/", 303),
            ("/me/blogs/hostile", {"title": "t", "visibility": value}, "/me/blogs/hostile",
             400),
        ]
        for path, fields, page, status in forms:
            response = submit(client, path, fields, page=page)
            if response.status_code != status:
                problems.append(f"POST {path} ({short(value)}): {response.status_code}")
            elif status == 400:
                assert "`visibility`" in assert_inert_html(response)
    assert not problems, "\n".join(problems)


# The endpoints that read a JSON body, with what they want: an object or an array.
def json_endpoints(post_id: str) -> list[tuple[str, str, str]]:
    return [
        ("POST", "/api/auth/signup", "object"),
        ("POST", "/api/auth/login", "object"),
        ("POST", "/auth/login", "object"),
        ("POST", "/api/posts", "object"),
        ("POST", f"/api/posts/{post_id}", "object"),
        ("PUT", f"/api/posts/{post_id}", "object"),
        ("POST", "/api/posts/claim", "array"),
        ("POST", "/api/collections", "object"),
        ("POST", "/api/collections/hostile", "object"),
        ("POST", "/api/collections/hostile/posts", "object"),
        ("POST", "/api/collections/hostile/collect", "array"),
        ("POST", "/api/collections/hostile/pin", "array"),
        ("POST", "/api/collections/hostile/unpin", "array"),
        ("POST", "/api/me/channels", "object"),
        ("POST", f"/api/posts/{post_id}/crossposts", "object"),
    ]


NESTING_BOMBS = {
    "arrays": b"[" * 100_000 + b"]" * 100_000,
    "objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "in a field": b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "unclosed": b'{"body": ' + b"[" * 100_000,
    "mixed": b'[{"a":' * 50_000 + b"0" + b"}]" * 50_000,
}


@pytest.mark.parametrize("bomb", NESTING_BOMBS, ids=str)
def test_nesting_bombs_are_400_on_every_json_endpoint(client, app, owner, bomb):
    token, post_id = owner
    for method, path, _shape in [*json_endpoints(post_id), ("DELETE", f"/api/posts/{post_id}", "")]:
        response = raw_json(client, method, path, NESTING_BOMBS[bomb], token)
        assert_error(response, 400)
        assert response.json["error_msg"] == "Request body is not valid JSON.", (method, path)
    with app.app_context():
        assert db.session.get(Post, post_id) is not None


def test_deep_but_parseable_nesting_in_fields_is_400(client, owner):
    """Nesting Python can parse (900 levels) where a string or a list of objects belongs."""
    token, post_id = owner
    deep = "[" * 900 + "]" * 900
    for path, field in [
        ("/api/posts", "title"),
        ("/api/posts", "crosspost"),
        (f"/api/posts/{post_id}", "body"),
        ("/api/collections/hostile", "style_sheet"),
        (f"/api/posts/{post_id}/crossposts", "targets"),
    ]:
        raw = ('{"body": "x", "' + field + '": ' + deep + "}").encode()
        response = raw_json(client, "POST", path, raw, token)
        assert_error(response, 400)
        assert field in response.json["error_msg"], (path, field)


def test_json_bodies_of_the_wrong_shape_are_400(client, owner):
    """An endpoint that takes an object answers anything else with 400, and one that takes
    an array likewise; `{}` and `[]` are the right shape and may be answered on their own
    terms (a missing parameter, an empty batch). DELETE reads a token from an object body,
    so it too must refuse an array or a string rather than ignore it."""
    token, post_id = owner
    problems = []
    for body in [[], [1, 2], "a string", "", None, 0, 1e308, True, False, {}]:
        raw = json.dumps(body).encode()
        for method, path, shape in json_endpoints(post_id):
            if isinstance(body, dict if shape == "object" else list):
                continue
            problem = mismatch(raw_json(client, method, path, raw, token), 400, names="must be an")
            if problem:
                problems.append(f"{method} {path} {short(raw)}: {problem}")
        if not isinstance(body, dict):
            # DELETE gets a post of its own each time, since ignoring the body deletes it.
            victim = raw_json(client, "POST", "/api/posts", b'{"body": "x"}', token).json
            path = f"/api/posts/{victim['data']['id']}"
            problem = mismatch(raw_json(client, "DELETE", path, raw, token), 400,
                               names="must be an")
            if problem:
                problems.append(f"DELETE /api/posts/<id> {short(raw)}: {problem}")
    assert not problems, "\n".join(problems)


# --- 4. Path tricks --------------------------------------------------------------------

PATH_TRICKS = [
    "..", "../", "..%2f", "..%2F", "%2e%2e", "%2e%2e%2f", ".", "%2e", "..;", "..\\",
    "%5c..%5c", "%c0%ae%c0%ae", "bob/../alice", "%00", "bob%00", "%00bob", "bob\x00",
    "bоb",  # Cyrillic о
    "аlice",  # Cyrillic а
    "ａｌｉｃｅ", "ＡＰＩ", "ｂｏｂ", "Bob", "BOB", "bob ", " bob", "bob%20",
    "b_b", "bo_", "bob%", "%25", "*", "bob*", "x" * 10_000,
    "' OR 1=1 --", "' OR '1'='1", '"; DROP TABLE posts; --', "%27", "%27%20OR%201%3D1--",
    "bob'--", "1; SELECT * FROM users", "%e2%80%ae", "\u202ebob", "%ff", "bob\n",
]


@pytest.fixture
def two_users(api, client):
    """alice with a public post; bob with a private blog whose post holds a secret."""
    alice = api.signup("alice")
    bob = api.signup("bob")
    shown = api.call(
        "POST", "/api/collections/alice/posts", token=alice, json={"body": "Alice's post."}
    ).json["data"]
    hidden = api.call(
        "POST", "/api/collections/bob/posts", token=bob,
        json={"body": "BOB-SECRET in a private blog.", "title": "Secret"},
    ).json["data"]
    assert api.call(
        "POST", "/api/collections/bob", token=bob, json={"visibility": "private"}
    ).status_code == 200
    return alice, bob, shown, hidden


def test_path_tricks_are_404_and_leak_nothing(api, client, app, two_users):
    """Every trick in every id and alias position answers a not-found (or bad-request) in
    the right format, never a 500, and never shows bob's private post to alice or to
    anyone; afterwards the tables are intact and publishing still works."""
    alice, bob, shown, hidden = two_users
    seen_statuses = set()
    for trick in PATH_TRICKS:
        # (Python's URL parsing drops a raw line break, so that one goes percent-encoded.)
        for part in {quote(trick, safe="")} | ({trick} if "\n" not in trick else set()):
            api_paths = [
                f"/api/posts/{part}",
                f"/api/collections/{part}",
                f"/api/collections/{part}/posts",
                f"/api/collections/{part}/posts/{part}",
                f"/api/collections/bob/posts/{part}",
                f"/api/collections/alice/posts/{part}",
            ]
            page_paths = [f"/{part}", f"/{part}/", f"/{part}/{part}", f"/bob/{part}",
                          f"/alice/{part}"]
            for token in (None, alice):
                for path in api_paths:
                    response = api.call("GET", path, token=token)
                    seen_statuses.add(response.status_code)
                    assert response.status_code in (400, 404), (path, response.status_code)
                    assert_error(response, response.status_code)
                    assert b"BOB-SECRET" not in response.data
            for path in page_paths:
                response = client.get(path)
                assert response.status_code in (400, 404), (path, response.status_code)
                assert_inert_html(response)
                assert b"BOB-SECRET" not in response.data
    assert seen_statuses <= {400, 404}

    # The tables are intact: bob still reads his post, alice's is public, a new one works.
    assert api.call("GET", f"/api/posts/{hidden['id']}", token=bob).status_code == 200
    assert api.call("GET", f"/api/posts/{hidden['id']}", token=alice).status_code == 404
    assert api.call("GET", f"/api/posts/{shown['id']}").status_code == 200
    assert api.call("POST", "/api/posts", json={"body": "Still works."}).status_code == 201
    with app.app_context():
        assert db.session.query(Post).count() == 3


# --- 5. Names -----------------------------------------------------------------------------

HOSTILE_NAMES = [
    "' OR 1=1 --", "' OR '1'='1", "admin'--", '"; DROP TABLE users; --', "alice' --",
    "x'); DELETE FROM posts; --", "%27", "1 UNION SELECT password_hash FROM users",
    "<script>alert(1)</script>", '"><img src=x onerror=window.__xss=1>', "javascript:alert(1)",
    "alice\x00", "аlice", "ALICE", "al ice", "-alice", "alice-", "a/b", "..", "*", "%",
    "\u202ealice", "al\nice",
]


def test_hostile_signup_aliases_are_400(api, client, app):
    """Through the API and the sign-up form: refused as invalid aliases, and the form's
    page (which shows the alias back) stays inert."""
    for name in HOSTILE_NAMES:
        response = api.call("POST", "/api/auth/signup", json={"alias": name, "pass": PASSWORD})
        assert_error(response, 400)
        response = submit(client, "/signup", {"alias": name, "pass": PASSWORD}, page="/signup")
        assert response.status_code == 400, (name, response.status_code)
        assert_inert_html(response)
    with app.app_context():
        assert db.session.query(User).count() == 0


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("' OR 1=1 --", 400),
        ("x@y.z'; DROP TABLE users; --", 400),
        ("admin'--@example.com", 201),  # `'` and `-` are allowed in an address
        ("o'brien@example.com", 201),
        ("<script>alert(1)</script>@example.com", 400),
        ('"><img src=x onerror=window.__xss=1>@example.com', 400),
        ("<svg/onload=alert(1)>@example.com", 400),
        ("javascript:alert(1)//@example.com", 400),
        ("a@b.c\x00", 400),
        ("a" * 300 + "@example.com", 400),
    ],
)
def test_hostile_signup_emails(api, client, email, status):
    """Addresses with SQL in them that are still addresses are stored verbatim; markup is
    not an address (`<`, `>`, `(`, `)` and `"` are not allowed unquoted, RFC 5322 §3.2.3)."""
    response = api.call(
        "POST", "/api/auth/signup", json={"alias": "mailer", "pass": PASSWORD, "email": email}
    )
    if status == 201:
        assert response.status_code == 201, response.json
        assert response.json["data"]["user"]["email"] == email
        token = response.json["data"]["access_token"]
        assert api.call("GET", "/api/me", token=token).json["data"]["email"] == email
        return
    assert_error(response, status)
    response = submit(
        client, "/signup", {"alias": "webmailer", "pass": PASSWORD, "email": email},
        page="/signup",
    )
    assert response.status_code == 400, response.status_code
    assert_inert_html(response)


def test_hostile_login_aliases_are_404(api, client):
    """No user has such a name: 404 from the API and from both log-in forms (400 for a NUL
    the API refuses to read), and the form page shows the name back inertly. Log-in names
    are case-insensitive and trimmed, so " ALICE " is alice and nothing else matches."""
    api.signup("alice", PASSWORD)
    for name in HOSTILE_NAMES:
        if name.strip().lower() == "alice":
            continue
        expected = 400 if "\x00" in name else 404
        for path in ("/api/auth/login", "/auth/login"):
            response = client.post(path, json={"alias": name, "pass": PASSWORD})
            assert_error(response, expected)
        for path in ("/login", "/auth/login"):
            response = submit(client, path, {"alias": name, "pass": PASSWORD}, page="/login")
            assert response.status_code in (400, 404), (name, response.status_code)
            assert_inert_html(response)
    response = client.post("/api/auth/login", json={"alias": " ALICE ", "pass": PASSWORD})
    assert response.status_code == 200


def test_hostile_collection_aliases(api, client, owner):
    """Creating a blog with such an alias: 400 (or 409 for one that's taken), through the
    API and the dashboard form; the dashboard stays inert afterwards."""
    token, _ = owner
    login(client, "hostile")
    for name in HOSTILE_NAMES:
        response = api.call(
            "POST", "/api/collections", token=token, json={"title": "T", "alias": name}
        )
        assert_error(response, 400)
        response = submit(client, "/me/blogs", {"title": "T", "alias": name}, page="/me/")
        assert response.status_code == 303
    assert_error(
        api.call("POST", "/api/collections", token=token, json={"title": "T", "alias": "hostile"}),
        409,
    )
    dashboard = assert_inert_html(client.get("/me/"))
    assert dashboard.count('class="blog-section"') == 1
    # Titles are free text: the alias made from a hostile one is a plain slug.
    for name in HOSTILE_NAMES[:6]:
        response = api.call("POST", "/api/collections", token=token, json={"title": name})
        assert response.status_code == 201, response.json
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", response.json["data"]["alias"])
        assert response.json["data"]["title"] == name.strip()
    assert_inert_html(client.get("/me/"))


# --- 6. Pathological bodies ----------------------------------------------------------------

SIZE = 100_000
PATHOLOGICAL = {
    "spaces": "x" + " " * SIZE + "x",
    "tabs": "x" + "\t" * SIZE + "x",
    "no-break spaces": "x" + "\u00a0" * SIZE + "x",
    "line breaks": "x" + "\n" * SIZE + "x",
    "carriage returns": "x" + "\r" * SIZE + "x",
    "blank lines of spaces": "x" + " \n" * (SIZE // 2) + "x",
    "angle brackets": "x" + "<" * SIZE,
    "square brackets": "x" + "[" * SIZE,
    "image openers": "x" + "![" * (SIZE // 2),
    "unclosed links": "[a](" * (SIZE // 4),
    "backticks": "`" * SIZE,
    "emphasis": "*a* " * (SIZE // 4),
    "list items": "-\n" * (SIZE // 2),
    "headings with trailing spaces": "# a" + " " * SIZE + "b",
    "code cues over blank lines": "def f(x):\n" + "\n" * SIZE + "    return x\n",
}
GENEROUS_SECONDS = 10


@pytest.mark.parametrize("font", ["norm", "code", "mono"])
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_bodies_publish_update_and_show_in_linear_time(client, name, font):
    body = PATHOLOGICAL[name]
    started = time.perf_counter()
    created = client.post("/api/posts", json={"body": body, "font": font})
    assert created.status_code == 201, created.json
    post = created.json["data"]
    updated = client.post(
        f"/api/posts/{post['id']}", json={"body": body + "!", "token": post["token"]}
    )
    shown = client.get(f"/{post['id']}")
    elapsed = time.perf_counter() - started
    assert updated.status_code == 200 and shown.status_code == 200
    assert client.get(f"/{post['id']}.txt").data == (body + "!").encode()
    assert elapsed < GENEROUS_SECONDS, f"{name} in {font} took {elapsed:.1f} s"
