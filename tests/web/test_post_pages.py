"""Posts as pages, through HTTP: the editor and publishing, the post page, code posts with
their highlighted views, and editing, unpublishing and deleting with a post's token.

Forms are submitted the way a browser does: GET a page, take its CSRF token, POST it."""

import re

from calls import blog_post
from pages import (
    CSRF_INPUT,
    PASSWORD,
    csrf_token,
    location,
    login,
    publish_form,
    submit,
    text,
)

ATOM = "{http://www.w3.org/2005/Atom}"


# --- the editor and publishing ------------------------------------------------------------


def test_editor_page_has_a_form_with_csrf(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text(response)
    assert '<textarea id="body" name="body"' in page
    assert CSRF_INPUT.search(page)
    assert 'action="/"' in page
    assert "Publish to" not in page  # anonymous writers have no blogs


def test_editor_offers_the_logged_in_users_blogs(api, alice, stranger):
    api.call("POST", "/api/collections", token=alice, json={"alias": "notes", "title": "Notes"})
    page = text(login(stranger, "alice").get("/"))
    assert "Publish to" in page
    assert '<option value="alice"' in page
    assert '<option value="notes"' in page


def test_publish_anonymously_redirects_to_the_post(client, stranger):
    response = submit(client, "/", {"body": "Hello from the form.", "title": "Form Post"})
    assert response.status_code == 303
    post_id = location(response).lstrip("/")
    assert re.fullmatch(r"[0-9a-z]+", post_id)
    page = client.get(f"/{post_id}")
    assert page.status_code == 200
    assert "Hello from the form." in text(page)
    assert "<title>Form Post — " in text(page)
    # This session keeps the modify token; another browser never sees it.
    token = re.search(r'data-post-token="([^"]+)"', text(page))
    assert token and len(token.group(1)) >= 16
    other = text(stranger.get(f"/{post_id}"))
    assert "Hello from the form." in other
    assert "data-post-token" not in other
    assert token.group(1) not in other
    assert "data-edit-link" in text(page) and "data-edit-link" not in other


def test_publish_with_an_empty_body_re_renders_the_editor_with_400(client):
    response = submit(client, "/", {"body": "   ", "title": "Keep me"})
    assert response.status_code == 400
    page = text(response)
    assert 'class="error"' in page and "body" in page
    assert 'value="Keep me"' in page
    assert "<textarea" in page


def test_form_posts_without_a_csrf_token_are_400_pages(api, alice, client, stranger):
    for path, data in [
        ("/", {"body": "no token"}),
        ("/login", {"alias": "alice", "pass": PASSWORD}),
        ("/signup", {"alias": "carol", "pass": PASSWORD}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html", path
        assert "<html" in text(response)
    assert api.call("GET", "/api/me/posts", token=alice).json["data"] == []
    assert stranger.get("/carol/").status_code == 404  # no account was created
    # A token from another session doesn't count either.
    foreign = csrf_token(stranger)
    response = client.post("/", data={"csrf_token": foreign, "body": "stolen token"})
    assert response.status_code == 400


def test_logged_in_writer_publishes_into_a_blog(alice, stranger):
    login(stranger, "alice")
    response = submit(
        stranger, "/", {"body": "Into the blog.", "title": "Blog Entry", "collection": "alice"}
    )
    assert response.status_code == 303
    post_id = location(response).lstrip("/")
    redirect = stranger.get(f"/{post_id}")
    assert redirect.status_code == 302
    assert location(redirect) == "/alice/blog-entry"
    page = stranger.get("/alice/blog-entry")
    assert page.status_code == 200 and "Into the blog." in text(page)


def test_anonymous_writer_cannot_publish_into_a_blog(alice, client, api):
    post_id = publish_form(client, body="Sneaky.", collection="alice")
    assert client.get(f"/{post_id}").status_code == 200  # a plain post, not alice's
    blog = api.call("GET", "/api/collections/alice").json["data"]
    assert blog["total_posts"] == 0


# --- the post page -------------------------------------------------------------------------


def test_post_page_title_language_and_direction(api, client):
    post = api.publish(body="# مرحبا بالعالم\n\nنص.", lang="ar", rtl=True)
    response = client.get(f"/{post['id']}")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="ar" dir="rtl">' in page
    assert "<title>مرحبا بالعالم — " in page
    titled = api.publish(body="Just text.", title="A Given Title")
    assert "<title>A Given Title — " in text(client.get(f"/{titled['id']}"))
    plain = text(client.get(f"/{api.publish(body='ltr')['id']}"))
    assert '<html lang="en">' in plain and 'dir="rtl"' not in plain


def test_post_page_html_is_sanitised(api, client):
    body = (
        "Hi **there**\n\n<script>alert('x')</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n'
        "[click](javascript:alert(1))\n\n"
        '<a href="javascript:alert(2)">link</a> <p onclick="alert(3)">p</p>'
    )
    post = api.publish(body=body)
    page = text(client.get(f"/{post['id']}"))
    assert "<strong>there</strong>" in page
    assert "<script>" not in page and "alert('x')" not in page
    assert "onerror" not in page and "onclick" not in page
    # The description meta quotes the excerpt, plain text that may spell it out, escaped in
    # an attribute; no link, image or meta value starts with it.
    assert "javascript:" not in page.split("</head>", 1)[1].lower()
    assert not re.search(r'(?:href|src|content)="\s*javascript:', page, re.IGNORECASE)
    # The only script is the site's own.
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) == 1
    assert re.fullmatch(r'<script src="/static/app\.[0-9a-f]{12}\.js" defer>', scripts[0])


def test_hashtags_in_blog_posts_link_to_the_tag_page(api, alice, client):
    blog_post(api, alice, title="Tagged", body="About #writing and #Python.")
    page = text(client.get("/alice/tagged"))
    assert 'href="/alice/tag:writing"' in page
    assert 'href="/alice/tag:Python"' in page
    loose = api.publish(body="Loose #writing")
    assert 'href="/alice/tag:' not in text(client.get(f"/{loose['id']}"))


def test_unknown_post_is_a_404_page(client):
    response = client.get("/nosuchpost123")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404</h1>" in text(response)


def test_unpublished_post_is_410(api, client):
    post = api.publish(body="Soon gone.")
    api.call("POST", f"/api/posts/{post['id']}", json={"token": post["token"], "body": ""})
    response = client.get(f"/{post['id']}")
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert "Soon gone." not in text(response)


def test_blog_alias_as_a_post_id_redirects_to_the_blog(alice, client):
    response = client.get("/alice")
    assert response.status_code == 308
    assert location(response) == "/alice/"
    assert client.get("/alice.txt").status_code == 404


# --- code posts ------------------------------------------------------------------------------

CODE = 'def greet(name):\n    return f"hi {name}"  # <b>&\n\nprint(greet("ünïcode"))\n'


def test_code_post_has_line_anchors_highlighting_and_copy(api, client):
    post = api.publish(body=CODE, font="code")
    response = client.get(f"/{post['id']}")
    assert response.status_code == 200
    page = text(response)
    for line in (1, 2, 3, 4):
        assert f'id="L{line}"' in page and f'href="#L{line}"' in page
    assert 'id="L5"' not in page
    assert '<span class="k">def</span>' in page
    assert 'class="copy"' in page and ">Copy</button>" in page
    assert "&lt;b&gt;&amp;" in page and "<b>&" not in page


def test_mono_post_has_line_anchors_without_highlighting(api, client):
    post = api.publish(body=CODE, font="mono")
    page = text(client.get(f"/{post['id']}"))
    assert 'id="L1"' in page and 'href="#L1"' in page
    code = page[page.index('class="code-body') :]
    assert '<span class="k">' not in code
    assert not re.search(r'<span class="(?!line")[a-z0-9]+">', code)


def test_raw_text_and_markdown(api, client):
    body = "# Title\n\n  indented *markdown*\r\n\ttab & <tag>\nünïcode 🎉\n\n"
    post = api.publish(body=body)
    raw = client.get(f"/{post['id']}.txt")
    assert raw.status_code == 200
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.get_data() == body.encode()
    md = client.get(f"/{post['id']}.md")
    assert md.status_code == 200
    assert md.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert md.get_data() == body.encode()


def test_code_in_a_named_language(api, client):
    post = api.publish(body="import os\nx = 1\n")
    response = client.get(f"/{post['id']}.py")
    assert response.status_code == 200
    page = text(response)
    assert '<span class="kn">import</span>' in page
    assert 'id="L2"' in page
    assert client.get(f"/{post['id']}.nosuchext").status_code == 404
    assert client.get("/nosuchpost123.py").status_code == 404


# --- editing, unpublishing, deleting ----------------------------------------------------------


def test_edit_page_is_readable_by_anyone(client, stranger):
    post_id = publish_form(client, body="Original <body>")
    for reader in (client, stranger):
        response = reader.get(f"/{post_id}/edit")
        assert response.status_code == 200
        assert "Original &lt;body&gt;</textarea>" in text(response)
    assert "data-needs-token" in text(stranger.get(f"/{post_id}/edit"))
    assert "data-needs-token" not in text(client.get(f"/{post_id}/edit"))
    assert client.get("/nosuchpost123/edit").status_code == 404


def test_the_publishing_session_saves_without_a_token(client):
    post_id = publish_form(client, body="First draft")
    response = submit(client, f"/{post_id}/edit", {"body": "Second draft", "title": "Now"})
    assert response.status_code == 303
    assert location(response) == f"/{post_id}"
    page = text(client.get(f"/{post_id}"))
    assert "Second draft" in page and "<title>Now — " in page


def test_other_browsers_need_the_right_token(api, client, stranger):
    post = api.publish(body="Guarded")
    path = f"/{post['id']}/edit"
    assert submit(stranger, path, {"body": "No token"}).status_code == 401
    assert submit(stranger, path, {"body": "Bad", "token": "x" * 32}).status_code == 403
    assert "Guarded" in text(client.get(f"/{post['id']}.txt"))
    saved = submit(stranger, path, {"body": "With token", "token": post["token"]})
    assert saved.status_code == 303
    assert text(client.get(f"/{post['id']}.txt")) == "With token"


def test_another_user_cannot_edit_a_users_post(api, alice, bob, stranger):
    post = api.publish(alice, body="Alice's")
    login(stranger, "bob")
    assert submit(stranger, f"/{post['id']}/edit", {"body": "Bob's"}).status_code == 403
    assert submit(stranger, f"/{post['id']}/delete").status_code == 403
    assert text(stranger.get(f"/{post['id']}.txt")) == "Alice's"


def test_unpublish_and_restore(client, stranger):
    post_id = publish_form(client, body="Now you see me")
    response = submit(client, f"/{post_id}/edit", {"action": "unpublish"})
    assert response.status_code == 303
    assert location(response) == f"/{post_id}/edit"
    assert client.get(f"/{post_id}").status_code == 410
    assert stranger.get(f"/{post_id}").status_code == 410
    assert stranger.get(f"/{post_id}.txt").status_code == 410
    edit = client.get(f"/{post_id}/edit")
    assert edit.status_code == 200 and "unpublished" in text(edit)
    restored = submit(client, f"/{post_id}/edit", {"body": "Back again"})
    assert restored.status_code == 303
    assert stranger.get(f"/{post_id}").status_code == 200
    assert "Back again" in text(stranger.get(f"/{post_id}"))


def test_delete_post(client, stranger):
    post_id = publish_form(client, body="Delete me")
    assert submit(stranger, f"/{post_id}/delete").status_code == 401
    assert client.get(f"/{post_id}").status_code == 200
    response = submit(client, f"/{post_id}/delete")
    assert response.status_code == 303
    assert location(response) == "/"
    assert client.get(f"/{post_id}").status_code == 404
    assert stranger.get(f"/{post_id}").status_code == 404


def test_delete_with_the_token_from_another_browser(api, stranger):
    post = api.publish(body="Bye")
    assert submit(stranger, f"/{post['id']}/delete", {"token": "y" * 32}).status_code == 403
    assert submit(stranger, f"/{post['id']}/delete", {"token": post["token"]}).status_code == 303
    assert stranger.get(f"/{post['id']}").status_code == 404
