"""The account's own settings in a real browser (Chromium): a named API token made and
shown once, the session listed, and the account deleted with its password."""

import re

import pytest
from test_browser import page, publish, shot, signup  # noqa: F401 (`page` is a fixture)

playwright_api = pytest.importorskip("playwright.sync_api")


def test_make_a_token_then_delete_the_account(page, site):  # noqa: F811
    signup(page, "dora")
    post_url = publish(page, "# Soon gone\n\nWritten, then deleted with the account.",
                       blog="dora")
    page.goto("/me/")
    page.click("nav.account >> text=Settings")
    page.wait_for_url(re.compile(r"/me/settings$"))
    assert "(this one)" in page.inner_text("body")
    page.fill("#token-name", "my script")
    page.click("text=Create token")
    token = page.inner_text("#new-token")
    assert len(token) > 20
    shot(page, "account-settings")
    response = page.request.get(f"{site}/api/me", headers={"Authorization": f"Token {token}"})
    assert response.json()["data"]["username"] == "dora"

    page.goto("/me/settings")
    assert token not in page.content() and "my script" in page.content()
    page.click("text=Delete my account…")
    page.fill("#pass", "not my password")
    page.click("button.danger")
    playwright_api.expect(page.locator("p.error")).to_contain_text("Incorrect password")
    page.fill("#pass", "correct horse battery")
    page.click("button.danger")
    playwright_api.expect(page.locator(".flashes")).to_contain_text("were deleted")
    assert page.goto(post_url).status == 404
    assert page.goto("/dora/").status == 404
    gone = page.request.get(f"{site}/api/me", headers={"Authorization": f"Token {token}"})
    assert gone.status == 401
