"""Static files under fingerprinted names: linked from every page, served immutable for a
year, and renamed by a change to their bytes."""

import re

from pages import text

from writeas.web import assets


def linked_assets(client) -> list[str]:
    page = text(client.get("/"))
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_pages_link_fingerprinted_files_served_immutable_for_a_year(client):
    linked = linked_assets(client)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", path) for path in linked} >= {
        "/static/style.css",
        "/static/highlight.css",
        "/static/app.js",
    }
    for path in linked:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", path), path
        response = client.get(path)
        plain = client.get(re.sub(r"\.[0-9a-f]{12}\.", ".", path))
        assert response.status_code == 200 and response.data == plain.data
        assert set(response.headers["Cache-Control"].replace(" ", "").split(",")) == {
            "public",
            "max-age=31536000",
            "immutable",
        }
        assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_name_and_an_old_name_is_not_immutable(app, client):
    style = app.static_folder + "/style.css"
    before = linked_assets(client)
    with open(style, "rb") as handle:
        original = handle.read()
    try:
        with open(style, "ab") as handle:
            handle.write(b"\n/* changed */\n")
        after = linked_assets(client)
        changed = [path for path in after if path not in before]
        assert len(changed) == 1 and "style." in changed[0]
        old = [path for path in before if "style." in path][0]
        response = client.get(old)
        assert response.status_code == 200 and b"/* changed */" in response.data
        assert "immutable" not in response.headers.get("Cache-Control", "")
    finally:
        with open(style, "wb") as handle:
            handle.write(original)


def test_unknown_and_hostile_static_names_are_404(client):
    for path in (
        "/static/nothing.0123456789ab.css",
        "/static/../writeas/settings.py",
        "/static/%2e%2e/writeas/settings.py",
        "/static/style.0123456789ab.css/..",
    ):
        assert client.get(path).status_code == 404, path
    assert assets.YEAR == 31536000
