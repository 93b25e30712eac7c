"""What a person does in a real browser: headless Chromium (Debian's package) driven by
Playwright, against the app served over real HTTP on loopback."""

import re
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


@pytest.fixture
def page(browser, site):
    context = browser.new_context(base_url=site, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def publish(page, body: str, *, font: str | None = None, blog: str | None = None) -> str:
    page.goto("/")
    page.fill("#body", body)
    if font:
        page.select_option("#font", font)
    if blog:
        page.select_option("#collection", blog)
    with page.expect_navigation():
        page.click("button.primary")
    return page.url


def stored_posts(page) -> dict:
    return page.evaluate("JSON.parse(localStorage.getItem('writeas.posts') || '{}')")


def log_in(page, alias: str) -> None:
    page.goto("/login")
    page.fill("#alias", alias)
    page.fill("#pass", "correct horse battery")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))


def signup(page, alias: str) -> None:
    page.goto("/signup")
    page.fill("#alias", alias)
    page.fill("#pass", "correct horse battery")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))


def test_publish_anonymously_then_edit_and_delete_with_the_stored_token(page, site):
    page.goto("/")
    shot(page, "editor")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "editor-phone")
    page.set_viewport_size({"width": 1200, "height": 900})
    url = publish(page, "# Hello from Chromium\n\nA post written in a real browser. #testing")
    post_id = url.rsplit("/", 1)[1]
    assert page.title().startswith("Hello from Chromium")
    assert page.inner_text("article .prose h1") == "Hello from Chromium"
    assert post_id in stored_posts(page)
    shot(page, "post")

    # Forget the session: only the token in localStorage proves authorship now.
    page.context.clear_cookies()
    page.goto(f"/{post_id}")
    page.click("[data-edit-link]")
    page.wait_for_url(f"{site}/{post_id}/edit")
    playwright_api.expect(page.locator("input[name=token]").first).to_have_value(
        stored_posts(page)[post_id]
    )
    page.fill("#body", "Edited in the browser.")
    page.click("button.primary")
    page.wait_for_url(f"{site}/{post_id}")
    assert page.inner_text("article .prose") == "Edited in the browser."

    page.goto(f"/{post_id}/edit")
    page.click("button.danger")
    page.wait_for_url(f"{site}/")
    assert post_id not in stored_posts(page)
    assert page.goto(f"/{post_id}").status == 404


def test_sign_up_and_claim_posts_stored_in_the_browser(page):
    first = publish(page, "First anonymous post").rsplit("/", 1)[1]
    second = publish(page, "Second anonymous post").rsplit("/", 1)[1]
    page.context.clear_cookies()  # only localStorage remembers them
    signup(page, "claimer")
    assert page.is_visible("#claim")
    assert page.inner_text("[data-claim-count]") == "2"
    with page.expect_navigation():
        page.click("#claim-form button")
    assert "Claimed 2 post(s)." in page.inner_text(".flashes")
    listed = page.inner_text("main")
    assert "First anonymous post" in listed and "Second anonymous post" in listed
    page.reload()
    assert page.is_hidden("#claim")
    assert first not in stored_posts(page) and second not in stored_posts(page)


def test_blog_with_a_pinned_post_in_the_header_nav(page, site):
    signup(page, "writer")
    page.fill("#new-title", "Travel Notes")
    with page.expect_navigation():
        page.click("section.card button.primary")
    assert "Created Travel Notes" in page.inner_text(".flashes")

    publish(page, "# About\n\nWho writes these notes.", blog="travel-notes")
    post_url = publish(page, "# Lisbon\n\nTrams, tiles and #travel.", blog="travel-notes")
    assert post_url == f"{site}/travel-notes/lisbon"

    page.goto("/me/")
    row = page.locator("li.post-row", has_text="About")
    with page.expect_navigation():
        row.locator("button", has_text="Pin").click()

    page.goto("/travel-notes/")
    assert page.inner_text("nav.pinned") == "About"
    assert page.locator("article.entry h2").all_inner_texts() == ["Lisbon"]
    shot(page, "blog")
    page.click("article.entry h2 a")
    page.wait_for_url(f"{site}/travel-notes/lisbon")
    assert page.inner_text("nav.pinned") == "About"
    page.click("nav.pinned a")
    page.wait_for_url(f"{site}/travel-notes/about")
    page.goto("/travel-notes/lisbon")
    page.click("a.hashtag")
    page.wait_for_url(f"{site}/travel-notes/tag:travel")
    assert page.locator("article.entry h2").all_inner_texts() == ["Lisbon"]


def test_code_post_is_highlighted_with_line_anchors(page, site):
    code = "import os\n\n\ndef greet(name):\n    return f'Hello, {name}'\n"
    url = publish(page, code, font="code")
    post_id = url.rsplit("/", 1)[1]
    assert page.locator(".code-body .line").count() == 5
    assert page.locator(".code-body .line#L4 .k").first.inner_text() == "def"
    page.click("a.ln[href='#L4']")
    assert page.evaluate("location.hash") == "#L4"
    highlighted = page.evaluate("getComputedStyle(document.getElementById('L4')).backgroundColor")
    assert highlighted not in ("rgba(0, 0, 0, 0)", "transparent")
    shot(page, "code-post")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.click("button.copy")
    # (wait_for_function would eval() a string, which our CSP rightly forbids)
    playwright_api.expect(page.locator("button.copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert page.goto(f"/{post_id}.txt").text() == code


XSS_BODY = """Harmless text.

<script>window.__xss = 'script'</script>
<img src=x onerror="window.__xss = 'img'">
<svg onload="window.__xss = 'svg'"></svg>
<iframe src="javascript:parent.__xss = 'iframe'"></iframe>
<a id="jslink" href="javascript:window.__xss = 'link'">click me</a>
[markdown link](javascript:window.__xss='md')
<details open ontoggle="window.__xss = 'details'">x</details>
"""


def test_xss_payloads_in_a_post_do_nothing(page):
    publish(page, XSS_BODY)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    for link in ("#jslink", "text=markdown link"):
        if page.locator(link).count():
            page.click(link)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert "Harmless text." in page.inner_text("article")


def test_blog_css_cannot_escape_its_style_element(page):
    signup(page, "styler")
    page.goto("/me/blogs/styler")
    page.fill(
        "#style_sheet", "body { color: rgb(1, 2, 3); } </style><script>window.__xss=1</script>"
    )
    with page.expect_navigation():
        page.click("form.card button.primary")
    page.goto("/styler/")
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(1, 2, 3)"


# --- Export and import ------------------------------------------------------------------


def test_export_delete_the_account_then_import_into_a_new_one_gives_the_posts_back(
    page, tmp_path
):
    signup(page, "alice")
    publish(page, "# Moving day\n\nPacked in one browser.", blog="alice")
    publish(page, "Written with no blog.")
    page.goto("/me/")
    page.click("text=Export")
    with page.expect_download() as download:
        page.click("a[href='/me/export/json']")
    export = tmp_path / download.value.suggested_filename
    download.value.save_as(export)
    assert export.name.startswith("alice-") and export.suffix == ".json"
    shot(page, "export")

    page.goto("/me/settings")
    page.click("text=Delete my account…")
    page.fill("#pass", "correct horse battery")
    page.click("button.danger")
    playwright_api.expect(page.locator(".flashes")).to_contain_text("were deleted")
    assert page.goto("/alice/moving-day").status == 404

    signup(page, "carol")
    page.click("text=Import")
    page.set_input_files("#file", str(export))
    with page.expect_navigation():
        page.click("button.primary")
    playwright_api.expect(page.locator(".import-progress")).to_contain_text("Done", timeout=20_000)
    playwright_api.expect(page.locator(".import-progress")).to_contain_text("2 imported")
    shot(page, "import-job")
    # Alice's blog alias is retired with her account: its post came into Carol's blog.
    page.goto("/carol/moving-day")
    assert page.inner_text("article .prose").split() == "Moving day Packed in one browser.".split()
    page.goto("/me/")
    assert "Written with no blog." in page.inner_text("main")


# --- mail: a forgotten password reset from the email the SMTP server received ---------


@pytest.fixture
def mail_server(monkeypatch):
    """A real SMTP server on loopback, named in the environment before the app is built
    (request it before `page`)."""
    from smtp import SmtpServer

    with SmtpServer() as server:
        for name, value in server.settings().items():
            monkeypatch.setenv(name, value)
        yield server


def test_reset_a_forgotten_password_from_the_email(mail_server, page):
    from smtp import link_in

    page.goto("/signup")
    page.fill("#alias", "forgetful")
    page.fill("#pass", "correct horse battery")
    page.fill("#email", "forgetful@example.test")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))
    page.context.clear_cookies()

    page.goto("/login")
    page.click("text=Forgot your password?")
    page.wait_for_url(re.compile(r"/reset$"))
    page.fill("#email", "forgetful@example.test")
    page.click("button.primary")
    playwright_api.expect(page.locator("[role=status]")).to_contain_text("on its way")
    shot(page, "reset-asked")

    [message] = mail_server.received
    page.goto(link_in(message, "/reset/"))  # the link exactly as the email carries it
    playwright_api.expect(page.locator("h1")).to_have_text("Choose a new password")
    page.fill("#pass", "a new and better one")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/login$"))

    page.fill("#alias", "forgetful")
    page.fill("#pass", "a new and better one")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))

    page.goto(link_in(message, "/reset/"))  # used once: it works no more
    playwright_api.expect(page.locator("h1")).to_have_text("Link not valid")


def test_an_image_pasted_into_the_editor_shows_in_the_published_post(page, site):
    from base64 import b64encode

    from media_samples import png

    signup(page, "painter")
    page.goto("/")
    page.fill("#body", "A picture of red:\n\n")
    page.fill("#image-alt", "A red rectangle")
    page.focus("#body")
    page.evaluate("document.getElementById('body').setSelectionRange(999, 999)")
    # What a browser hands the page when an image is pasted from the clipboard.
    page.evaluate(
        """(data) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], "image.png", {type: "image/png"}));
          const body = document.getElementById("body");
          body.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer,
                                                          bubbles: true, cancelable: true}));
        }""",
        b64encode(png((64, 48))).decode(),
    )
    playwright_api.expect(page.locator("#body")).to_have_value(re.compile(r"\]\(/media/"))
    body = page.input_value("#body")
    assert re.fullmatch(
        r"A picture of red:\n\n!\[A red rectangle\]\(/media/[0-9a-f]{32}\.png\)", body
    ), body
    playwright_api.expect(page.locator("#image-status")).to_have_text("Image added.")
    shot(page, "editor-image")
    with page.expect_navigation():
        page.click("button.primary")
    image = page.locator("article .prose img")
    playwright_api.expect(image).to_have_attribute("alt", "A red rectangle")
    assert (image.get_attribute("width"), image.get_attribute("height")) == ("64", "48")
    assert image.get_attribute("loading") == "lazy"
    page.wait_for_function(
        "() => { const img = document.querySelector('article .prose img');"
        " return img.complete && img.naturalWidth === 64; }"
    )
    shot(page, "post-with-image")


# --- the admin: registration closed to all but invites, and a new user invited ----------


def test_an_admin_closes_registration_and_a_new_user_joins_through_an_invite(app, page, site):
    made = app.test_cli_runner().invoke(
        args=["user", "create", "sam", "--admin", "--password", "correct horse battery"]
    )
    assert made.exit_code == 0, made.output
    log_in(page, "sam")
    page.click("nav.account >> text=Admin")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.select_option("#registration", "invite")
    page.click("text=Save settings")
    playwright_api.expect(page.locator(".flashes")).to_contain_text("Settings saved.")
    page.click(".admin-nav >> text=Invites")
    page.fill("#max_uses", "1")
    page.click("text=Make invite link")
    link = page.get_attribute("#new-invite", "href")
    assert "/invite/" in link
    shot(page, "admin-invites")

    page.context.clear_cookies()
    refused = page.goto("/signup")
    assert refused.status == 403
    assert "by invitation only" in page.inner_text("p.error")
    page.goto(link)
    page.fill("#alias", "newcomer")
    page.fill("#pass", "another good password")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/me/$"))
    assert page.goto("/newcomer/").status == 200

    page.context.clear_cookies()
    spent = page.goto(link)  # its one use is taken
    assert spent.status == 410 and "used up" in page.inner_text("main")
    log_in(page, "sam")
    page.goto("/admin/invites")
    assert "used by newcomer" in page.inner_text("main")
