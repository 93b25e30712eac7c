"""What the site tells crawlers and strangers, through HTTP: robots.txt, the favicon, the
sitemaps, RSS beside Atom, and the public reader with its feed; and that none of them
ever names a private, protected or unlisted blog, nor a post in no blog, an unpublished
or a scheduled one."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import pytest
from calls import Api, blog_post, five_yearly_posts, iso, update_blog
from pages import login, text
from PIL import Image

from writeas.core.clock import utcnow

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def xml(response):
    return ET.fromstring(response.get_data())  # noqa: S314 (our own documents)


def new_blog(api, token, alias, visibility=None, **fields):
    response = api.call(
        "POST", "/api/collections", token=token, json={"alias": alias, "title": alias.title()}
    )
    assert response.status_code == 201, response.json
    if visibility:
        update_blog(api, token, alias, visibility=visibility, **fields)


@pytest.fixture
def instance(api, alice, bob):
    """Alice's public blog with a live post, a pinned page, a scheduled and an unpublished
    post; Bob's private, protected and unlisted blogs, one post each; an anonymous post."""
    blog_post(api, alice, title="Old News", body="Old words.", created="2020-01-01T00:00:00Z")
    blog_post(api, alice, title="Fresh News", body="New words.", created="2021-06-01T00:00:00Z")
    about = blog_post(api, alice, title="About Me", body="Who I am.")
    api.call("POST", "/api/collections/alice/pin", token=alice, json=[{"id": about["id"]}])
    soon = iso(utcnow() + timedelta(days=3))
    blog_post(api, alice, title="Future Post", body="Not yet.", created=soon)
    draft = blog_post(api, alice, title="Taken Back", body="Gone soon.")
    api.call("POST", f"/api/posts/{draft['id']}", token=alice, json={"body": ""})
    for visibility in ("private", "password", "unlisted"):
        alias = f"bob-{visibility}"
        new_blog(api, bob, alias, visibility, password="open sesame")
        blog_post(api, bob, alias, title=f"Hidden {visibility}", body="Secret words.")
    api.publish(title="Loose Anonymous", body="No blog at all.")


HIDDEN = ("bob-private", "bob-password", "bob-unlisted", "Hidden", "Secret words",
          "Future Post", "Taken Back", "Loose Anonymous")


def assert_names_nothing_hidden(response):
    page = text(response)
    for word in HIDDEN:
        assert word not in page, (response.request.path, word)


# --- robots.txt ---------------------------------------------------------------------------------


def test_robots_txt_keeps_crawlers_out_of_accounts_and_points_at_the_sitemap(client, instance):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = text(response).splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /api/" in lines and "Disallow: /me/" in lines
    assert lines[-1] == "Sitemap: http://localhost/sitemap.xml"
    assert_names_nothing_hidden(response)
    assert "bob" not in text(response)


def test_robots_txt_from_the_operators_file(make_app, tmp_path):
    rules = tmp_path / "robots.txt"
    rules.write_text("User-agent: GPTBot\nDisallow: /\n")
    app = make_app(ROBOTS_TXT=str(rules), SITE_URL="https://blogs.example")
    body = text(app.test_client().get("/robots.txt"))
    assert body == "User-agent: GPTBot\nDisallow: /\n\nSitemap: https://blogs.example/sitemap.xml\n"


def test_a_robots_txt_file_that_is_not_there_stops_the_start(make_app, tmp_path):
    with pytest.raises(RuntimeError, match="ROBOTS_TXT"):
        make_app(ROBOTS_TXT=str(tmp_path / "missing.txt"))


# --- favicon ------------------------------------------------------------------------------------


def test_favicon_is_a_real_icon_linked_from_every_page(client, alice, tmp_path):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    icon = tmp_path / "favicon.ico"
    icon.write_bytes(response.get_data())
    with Image.open(icon) as image:
        assert image.format == "ICO"
        assert (16, 16) in image.info["sizes"] and (32, 32) in image.info["sizes"]
    for page in ("/", "/alice/", "/login"):
        assert '<link rel="icon" href="/favicon.ico"' in text(client.get(page))


# --- sitemaps -----------------------------------------------------------------------------------


def test_instance_sitemap_indexes_only_public_blogs(api, client, instance):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = xml(response)
    assert root.tag == f"{SITEMAP}sitemapindex"
    entries = root.findall(f"{SITEMAP}sitemap")
    # Bob's own blog, empty but public, is listed; his other three are not.
    assert {e.findtext(f"{SITEMAP}loc") for e in entries} == {
        "http://localhost/alice/sitemap.xml", "http://localhost/bob/sitemap.xml"
    }
    assert all(e.findtext(f"{SITEMAP}lastmod").endswith("Z") for e in entries)
    assert_names_nothing_hidden(response)


def test_blog_sitemap_lists_its_live_posts_with_lastmod(api, alice, client, instance):
    root = xml(client.get("/alice/sitemap.xml"))
    assert root.tag == f"{SITEMAP}urlset"
    urls = {
        u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
        for u in root.findall(f"{SITEMAP}url")
    }
    assert set(urls) == {
        "http://localhost/alice/",
        "http://localhost/alice/fresh-news",
        "http://localhost/alice/old-news",
        "http://localhost/alice/about-me",
    }
    assert all(lastmod and lastmod.endswith("Z") for lastmod in urls.values())
    assert urls["http://localhost/alice/"] == max(urls.values())
    assert_names_nothing_hidden(client.get("/alice/sitemap.xml"))


def test_blog_sitemap_of_a_hidden_blog_is_not_found_even_for_its_owner(api, bob, client, instance):
    login(client, "bob")
    for alias in ("bob-private", "bob-password", "bob-unlisted", "nosuchblog"):
        response = client.get(f"/{alias}/sitemap.xml")
        assert response.status_code == 404, alias
        assert "Secret words" not in text(response)


def test_sitemaps_follow_site_url(make_app):
    app = make_app(SITE_URL="https://blogs.example")
    client = app.test_client()
    api = Api(client)
    blog_post(api, api.signup("alice"), title="Hello")
    index = xml(client.get("/sitemap.xml"))
    loc = index.findtext(f"{SITEMAP}sitemap/{SITEMAP}loc")
    assert loc == "https://blogs.example/alice/sitemap.xml"
    blog = xml(client.get("/alice/sitemap.xml"))
    locs = [u.findtext(f"{SITEMAP}loc") for u in blog.findall(f"{SITEMAP}url")]
    assert locs == ["https://blogs.example/alice/", "https://blogs.example/alice/hello"]


def test_a_blog_turned_private_leaves_the_sitemaps(api, alice, client):
    blog_post(api, alice, title="Was Public")
    assert "alice" in text(client.get("/sitemap.xml"))
    update_blog(api, alice, visibility="private")
    assert "alice" not in text(client.get("/sitemap.xml"))
    assert client.get("/alice/sitemap.xml").status_code == 404


# --- RSS beside Atom ----------------------------------------------------------------------------


def test_rss_feed_beside_atom(api, alice, client):
    update_blog(api, alice, title="Alice's Feed", description="About things")
    blog_post(api, alice, title="First <Entry>", body="Hello & **welcome** #intro",
              created="2020-01-01T00:00:00Z")
    blog_post(api, alice, title="Second", body="More.", created="2021-01-01T00:00:00Z")
    page = text(client.get("/alice/"))
    assert ('<link rel="alternate" type="application/rss+xml" title="Alice&#39;s Feed" '
            'href="/alice/feed/rss">') in page
    response = client.get("/alice/feed/rss")
    assert response.status_code == 200
    assert response.mimetype == "application/rss+xml"
    root = xml(response)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "Alice's Feed"
    assert channel.findtext("link") == "http://localhost/alice/"
    assert channel.findtext("description") == "About things"
    assert channel.find(f"{ATOM}link").get("href") == "http://localhost/alice/feed/rss"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Second", "First <Entry>"]
    first = items[1]
    assert first.findtext("link") == "http://localhost/alice/first-entry"
    assert first.findtext("guid") == "http://localhost/alice/first-entry"
    published = parsedate_to_datetime(first.findtext("pubDate"))
    assert published.isoformat() == "2020-01-01T00:00:00+00:00"
    assert "<strong>welcome</strong>" in first.findtext("description")
    assert [c.text for c in first.findall("category")] == ["intro"]
    assert client.get("/nosuchblog/feed/rss").status_code == 404


def test_empty_blog_feeds_are_valid(alice, client):
    atom = xml(client.get("/alice/feed/"))
    assert atom.findtext(f"{ATOM}updated").endswith("Z")
    assert atom.findall(f"{ATOM}entry") == []
    rss = xml(client.get("/alice/feed/rss"))
    assert parsedate_to_datetime(rss.findtext("channel/lastBuildDate")) is not None


def test_rss_keeps_the_feeds_privacy_rules(api, bob, client, instance):
    assert client.get("/bob-private/feed/rss").status_code == 404
    assert client.get("/bob-password/feed/rss").status_code == 403
    for path in ("/bob-private/feed/rss", "/bob-password/feed/rss"):
        assert "Secret words" not in text(client.get(path))
    rss = text(client.get("/alice/feed/rss"))
    assert "Future Post" not in rss and "Taken Back" not in rss and "Fresh News" in rss


# --- the reader ---------------------------------------------------------------------------------


def test_reader_shows_the_newest_public_posts_of_public_blogs(api, alice, bob, client, instance):
    new_blog(api, bob, "bobs-public")
    blog_post(api, bob, "bobs-public", title="Bob Speaks", body="Public words.",
              created="2021-01-01T00:00:00Z")
    response = client.get("/read")
    assert response.status_code == 200
    page = text(response)
    titles = [t for t in ("Fresh News", "Bob Speaks", "Old News") if t in page]
    assert titles == ["Fresh News", "Bob Speaks", "Old News"]
    assert page.index("Fresh News") < page.index("Bob Speaks") < page.index("Old News")
    assert 'href="/bobs-public/bob-speaks"' in page and 'href="/bobs-public/"' in page
    assert "About Me" not in page  # a pinned post is its blog's page, not news
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert_names_nothing_hidden(response)


def test_reader_is_paginated(make_app):
    client = five_yearly_posts(make_app)
    first = text(client.get("/read"))
    assert "Post 5" in first and "Post 4" in first and "Post 3" not in first
    assert 'rel="next" href="/read/page/2"' in first and 'rel="prev"' not in first
    second = text(client.get("/read/page/2"))
    assert "Post 3" in second and "Post 2" in second
    assert 'rel="prev" href="/read"' in second and 'rel="next" href="/read/page/3"' in second
    last = text(client.get("/read/page/3"))
    assert "Post 1" in last and 'rel="next"' not in last
    assert client.get("/read/page/4").status_code == 404
    assert client.get("/read/page/1").headers["Location"].endswith("/read")


def test_reader_feed(api, client, instance):
    response = client.get("/read/feed/")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = xml(response)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Fresh News", "Old News"]
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == "alice"  # the blog's title
    assert entries[0].find(f"{ATOM}link").get("href") == "http://localhost/alice/fresh-news"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/read/feed/"
    assert_names_nothing_hidden(response)


def test_reader_drops_a_blog_once_it_is_private(api, alice, client):
    blog_post(api, alice, title="Soon Hidden", body="Words.")
    assert "Soon Hidden" in text(client.get("/read"))
    update_blog(api, alice, visibility="unlisted")
    assert "Soon Hidden" not in text(client.get("/read"))
    assert "Soon Hidden" not in text(client.get("/read/feed/"))


# --- canonical, OpenGraph and Twitter meta -----------------------------------------------------


def meta(page: str) -> dict[str, str]:
    """The page's <meta property|name=… content=…> and canonical link, by name."""
    found = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page))
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page)
    if canonical:
        found["canonical"] = canonical.group(1)
    return found


@pytest.fixture
def sited(make_app):
    """An app that knows its address (SITE_URL), with Alice signed up: (api, her token)."""
    client = make_app(SITE_URL="https://blogs.example").test_client()
    api = Api(client)
    return api, api.signup("alice")


def test_blog_post_meta_names_the_post_and_its_first_image(sited):
    api, alice = sited
    update_blog(api, alice, title="Alice's Blog")
    body = "Some words first.\n\n![a cat](/media/cat.png?size=1&v=2)\n\n![b](/media/b.png)"
    blog_post(api, alice, title="Pictures & Words", body=body, created="2020-01-02T03:04:05Z")
    found = meta(text(api.client.get("/alice/pictures-words")))
    assert found["canonical"] == "https://blogs.example/alice/pictures-words"
    assert found["og:url"] == found["canonical"]
    assert found["og:type"] == "article"
    assert found["og:title"] == "Pictures &amp; Words"
    assert found["og:description"] == found["twitter:description"] == "Some words first. a cat b"
    assert found["og:site_name"] == "Alice&#39;s Blog"
    assert found["og:image"] == "https://blogs.example/media/cat.png?size=1&amp;v=2"
    assert found["twitter:card"] == "summary_large_image"
    assert found["twitter:image"] == found["og:image"]
    assert found["article:published_time"] == "2020-01-02T03:04:05Z"
    assert "robots" not in found


def test_post_without_images_gets_a_summary_card(sited):
    api, alice = sited
    blog_post(api, alice, title="Plain", body="Just text.")
    found = meta(text(api.client.get("/alice/plain")))
    assert found["twitter:card"] == "summary" and "og:image" not in found


def test_without_site_url_pages_never_carry_the_requests_host(api, alice, client, stranger):
    """A page is cached and sent to everyone (by us, and by proxies that may key their
    cache without the Host header): its meta is made of paths, not of the host a request
    names; only an image already elsewhere on the web makes a card."""
    blog_post(api, alice, title="Hello", body="![y](https://cdn.example/y.jpg)")
    blog_post(api, alice, title="Ours", body="![x](/media/x.png)")
    for path in ("/alice/", "/alice/hello"):
        for visitor in (stranger, client):
            page = text(visitor.get(path, headers={"Host": "evil.example"}))
            assert "evil.example" not in page
            found = meta(page)
            assert found["canonical"] == path and "og:url" not in found
    assert meta(text(client.get("/alice/hello")))["og:image"] == "https://cdn.example/y.jpg"
    assert "og:image" not in meta(text(client.get("/alice/ours")))


def test_blog_page_meta(sited):
    api, alice = sited
    client = api.client
    update_blog(api, alice, title="Alice's Blog", description="Thoughts, mostly.")
    blog_post(api, alice, title="Tagged", body="About #travel")
    found = meta(text(client.get("/alice/")))
    assert found["canonical"] == found["og:url"] == "https://blogs.example/alice/"
    assert found["og:type"] == "website"
    assert found["og:title"] == found["og:site_name"] == "Alice&#39;s Blog"
    assert found["og:description"] == "Thoughts, mostly."
    assert found["twitter:card"] == "summary"
    tag = meta(text(client.get("/alice/tag:travel")))
    assert tag["canonical"] == "https://blogs.example/alice/tag:travel"
    assert tag["og:title"] == "#travel — Alice&#39;s Blog"


def test_unlisted_and_anonymous_pages_ask_not_to_be_indexed(api, alice, client):
    blog_post(api, alice, title="Quiet")
    loose = api.publish(title="Loose", body="Anonymous words.")
    found = meta(text(client.get(f"/{loose['id']}")))
    assert found["robots"] == "noindex" and found["canonical"].endswith(f"/{loose['id']}")
    update_blog(api, alice, visibility="unlisted")
    assert meta(text(client.get("/alice/")))["robots"] == "noindex"
    assert meta(text(client.get("/alice/quiet")))["robots"] == "noindex"


def test_private_and_protected_posts_show_strangers_no_meta(api, alice, bob, client, instance):
    for path in ("/bob-private/hidden-private", "/bob-password/hidden-password",
                 "/bob-private/", "/bob-password/"):
        page = text(client.get(path))
        assert "og:" not in page and "canonical" not in page and "Secret words" not in page


# --- microformats -------------------------------------------------------------------------------


class Microformats(HTMLParser):
    """Each microformat root (`h-*`) of a page, with the properties (`p-`, `u-`, `dt-`,
    `e-`) of its own (not nested roots') descendants: a property's value is its text, or
    for `u-` its href and for `dt-` its datetime; a property that is itself a root (an
    `h-card` author) is given as that root."""

    VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.roots, self._stack = [], []  # the stack: (tag, root or None, property names)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        kinds = [c for c in classes if c.startswith("h-")]
        names = [c for c in classes if c.split("-", 1)[0] in ("p", "u", "dt", "e")]
        owner = next((r for _, r, _ in reversed(self._stack) if r is not None), None)
        root = {"type": kinds, "properties": {}, "text": ""} if kinds else None
        for name in names:
            if owner is None:
                continue
            value = root or found.get("href" if name.startswith("u-") else "datetime")
            value = found.get("value", value) if tag == "data" else value
            owner["properties"].setdefault(name, []).append(value if value is not None else "")
        if root is not None:
            (owner["properties"].setdefault("children", []) if owner else self.roots).append(root)
        if tag not in self.VOID:
            self._stack.append((tag, root, [n for n in names if n.startswith(("p-", "e-"))]))

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()[0] == tag:
                return

    def handle_data(self, data):
        """Text goes to the innermost root's text, or property of the innermost root."""
        for _, root, names in reversed(self._stack):
            if root is not None:
                root["text"] += data
                return
            if names:
                owner = next(r for _, r, _ in reversed(self._stack) if r is not None)
                for name in names:
                    owner["properties"][name][-1] += data
                return


def microformats(page: str) -> list[dict]:
    parser = Microformats()
    parser.feed(page)
    return parser.roots


def test_a_post_is_an_h_entry_with_its_author(api, alice, client):
    update_blog(api, alice, title="Alice's Blog")
    blog_post(api, alice, title="Hello World", body="Some **bold** words.",
              created="2020-01-02T03:04:05Z")
    (entry,) = [r for r in microformats(text(client.get("/alice/hello-world")))
                if "h-entry" in r["type"]]
    found = entry["properties"]
    assert found["p-name"] == ["Hello World"]
    assert found["e-content"][0].strip() == "Some bold words."
    assert found["dt-published"] == ["2020-01-02T03:04:05Z"]
    assert found["u-url"] == ["/alice/hello-world"]
    (author,) = found["p-author"]
    assert author["type"] == ["h-card"] and author["text"] == "Alice's Blog"


def test_an_untitled_post_still_names_itself(api, client):
    post = api.publish(body="Just a thought, no title.")
    page = text(client.get(f"/{post['id']}"))
    (entry,) = [r for r in microformats(page) if "h-entry" in r["type"]]
    assert entry["properties"]["p-name"] == ["Just a thought, no title."]
    assert "p-author" not in entry["properties"]  # an anonymous post has no author to name


def test_a_blog_stream_is_an_h_feed_of_h_entries(api, alice, client):
    update_blog(api, alice, title="Alice's Blog")
    blog_post(api, alice, title="One", created="2020-01-01T00:00:00Z")
    blog_post(api, alice, title="Two", created="2021-01-01T00:00:00Z")
    (feed,) = [r for r in microformats(text(client.get("/alice/"))) if "h-feed" in r["type"]]
    found = feed["properties"]
    assert found["p-name"] == ["Alice's Blog"]
    assert found["p-author"][0]["type"] == ["h-card"]
    entries = [child for child in found["children"] if child["type"] == ["h-entry"]]
    assert [e["properties"]["p-name"] for e in entries] == [["Two"], ["One"]]
    assert entries[1]["properties"]["u-url"] == ["/alice/one"]
    assert entries[1]["properties"]["dt-published"] == ["2020-01-01T00:00:00Z"]


def test_the_reader_is_an_h_feed_whose_entries_name_their_blogs(api, alice, client):
    blog_post(api, alice, title="Read Me")
    (feed,) = [r for r in microformats(text(client.get("/read"))) if "h-feed" in r["type"]]
    (entry,) = [c for c in feed["properties"]["children"] if c["type"] == ["h-entry"]]
    assert entry["properties"]["p-name"] == ["Read Me"]
    assert entry["properties"]["p-author"][0]["text"] == "alice"


def test_the_reader_can_be_turned_off(make_app):
    app = make_app(PUBLIC_READER=False)
    client = app.test_client()
    token = Api(client).signup("alice")
    blog_post(Api(client), token, title="Hidden from the reader")
    for path in ("/read", "/read/page/2", "/read/feed/"):
        assert client.get(path).status_code == 404
    assert client.get("/alice/hidden-from-the-reader").status_code == 200
