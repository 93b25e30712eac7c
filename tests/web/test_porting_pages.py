"""/me/export and /me/import as pages, through HTTP: the buttons download the files, the
form (with its CSRF token) queues an import, and the job page shows what became of it."""

import io
import json
import re

from calls import blog_post
from pages import csrf_token, location, login, text


def test_export_page_offers_the_three_files_and_they_download(api, alice, client):
    blog_post(api, alice, body="Exported words.", title="Out")
    login(client, "alice")
    page = text(client.get("/me/export"))
    assert {"/me/export/json", "/me/export/csv", "/me/export/zip"} <= set(
        re.findall(r'href="(/me/export/[a-z]+)"', page)
    )
    response = client.get("/me/export/json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="alice-')
    assert json.loads(response.data)["collections"][0]["posts"][0]["title"] == "Out"
    assert client.get("/me/export/csv").headers["Content-Type"].startswith("text/csv")
    assert client.get("/me/export/pdf").status_code == 400


def test_export_and_import_pages_need_a_signed_in_writer(client):
    for path in ("/me/export", "/me/export/json", "/me/import"):
        assert client.get(path).status_code in (302, 401)


def test_import_form_queues_the_job_and_its_page_shows_each_result(api, alice, client):
    login(client, "alice")
    token = csrf_token(client, "/me/import")
    response = client.post(
        "/me/import",
        data={
            "csrf_token": token,
            "collection": "alice",
            "file": [
                (io.BytesIO(b"---\ntitle: Imported\nslug: imported\n---\nBody.\n"), "a.md"),
                (io.BytesIO(b"\xff\xfe not text"), "b.txt"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    job_page = text(client.get(location(response)))
    assert "Done" in job_page and "1 imported" in job_page and "1 failed" in job_page
    assert "not UTF-8 text" in job_page
    assert api.call("GET", "/api/collections/alice/posts/imported").json["data"]["title"] == (
        "Imported"
    )
    assert "a.md, b.txt" in text(client.get("/me/import"))


def test_import_form_errors_re_render_it_and_need_csrf(api, alice, client):
    login(client, "alice")
    refused = client.post("/me/import", data={"file": (io.BytesIO(b"x"), "a.md")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400
    token = csrf_token(client, "/me/import")
    response = client.post("/me/import", data={"csrf_token": token,
                                               "file": (io.BytesIO(b"x"), "a.exe")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "import .json, .zip" in text(response)


def test_someone_elses_import_job_is_404(api, alice, bob, client):
    job = api.call("POST", "/api/me/import", token=alice, content_type="multipart/form-data",
                   data={"file": (io.BytesIO(b"Hi."), "a.md")}).json["data"]
    login(client, "bob")
    assert client.get(f"/me/imports/{job['id']}").status_code == 404
