"""Export (/api/me/export) and import (/api/me/import, /api/me/imports): through HTTP, with
files in the shapes Write.as and WriteFreely publish, a real SQLite file, and the worker
run inline (HUEY_IMMEDIATE)."""

import csv
import io
import json
import struct
import zipfile
from datetime import timedelta

import yaml
from calls import Api, assert_error, blog_post, update_blog

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import ImportJob, Post, User
from writeas.crossposting import queue
from writeas.services import imports

WRITEFREELY_FULL_EXPORT = {
    # WriteFreely's /me/export.json (`ExportUser`): the user, `collections` (`CollectionObj`
    # with its `posts`) and `posts` (the anonymous ones, `PublicPost`s).
    "username": "matt",
    "email": "matt@example.com",
    "created": "2015-02-03T02:41:19Z",
    "collections": [
        {
            "alias": "wf-blog",
            "title": "Matt's blog",
            "description": "Words.",
            "style_sheet": "",
            "public": True,
            "views": 46,
            "url": "https://write.as/wf-blog/",
            "total_posts": 2,
            "posts": [
                {
                    "id": "hjb0kzqjq1o7xxxx",
                    "slug": "cool-post",
                    "appearance": "norm",
                    "language": "en",
                    "rtl": False,
                    "created": "2016-07-09T01:43:46Z",
                    "updated": "2016-07-09T02:00:00Z",
                    "title": "Cool post",
                    "body": "A cool post, from 2016.",
                    "tags": [],
                    "views": 1,
                },
                {
                    "id": "7xc4n3cdb3hz1111",
                    "slug": "second",
                    "appearance": "mono",
                    "language": "fr",
                    "rtl": False,
                    "created": "2017-01-01T10:00:00Z",
                    "updated": "2017-01-01T10:00:00Z",
                    "title": "",
                    "body": "# Second\n\nDeuxième.",
                    "tags": [],
                    "views": 0,
                },
            ],
        }
    ],
    "posts": [
        {
            "id": "rf3t35fkax0aw2222",
            "slug": None,
            "appearance": "code",
            "language": "",
            "rtl": False,
            "created": "2015-03-03T03:03:03Z",
            "updated": "2015-03-03T03:03:03Z",
            "title": "",
            "body": "print('anonymous')",
            "tags": [],
            "views": 3,
        }
    ],
}

WRITEAS_POSTS_EXPORT = [
    # Write.as's /me/posts/export.json: every post, naming its blog as `collection`.
    {
        "id": "wa1111111111",
        "slug": "from-writeas",
        "appearance": "sans",
        "language": "en",
        "rtl": False,
        "created": "2018-05-05T05:05:05Z",
        "updated": "2018-05-06T05:05:05Z",
        "title": "From Write.as",
        "body": "Moved in.",
        "tags": [],
        "views": 9,
        "collection": {"alias": "alice", "title": "Alice", "description": "", "public": True},
    },
    {"id": "wa2222222222", "title": "no body"},
]


def upload(api, token, *files, collection=None):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    if collection:
        data["collection"] = collection
    return api.call("POST", "/api/me/import", token=token, data=data,
                    content_type="multipart/form-data")


def imported(api, token, *files, collection=None) -> dict:
    response = upload(api, token, *files, collection=collection)
    assert response.status_code == 202, response.json
    job = api.call("GET", f"/api/me/imports/{response.json['data']['id']}", token=token)
    assert job.status_code == 200
    return job.json["data"]


def my_posts(api, token) -> list[dict]:
    return api.call("GET", "/api/me/posts", token=token).json["data"]


def summary(posts: list[dict]) -> list[tuple]:
    """What moving must keep of each post, oldest first, and the blog it is in."""
    return sorted(
        (p["created"], p.get("slug") or "", p["title"], p["body"],
         (p.get("collection") or {}).get("alias"))
        for p in posts
    )


def test_json_export_has_blogs_with_settings_and_every_post(api, alice):
    update_blog(api, alice, description="Alice writes.", visibility="unlisted")
    blog_post(api, alice, body="In the blog.", title="First", lang="de", rtl=True, font="mono")
    api.publish(alice, body="Anonymous words.")
    response = api.call("GET", "/api/me/export?format=json", token=alice)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="alice-')
    assert response.headers["Content-Disposition"].endswith('.json"')
    assert "no-store" in response.headers["Cache-Control"]
    document = json.loads(response.data)
    assert document["username"] == "alice"
    [blog] = document["collections"]
    assert blog["alias"] == "alice" and blog["description"] == "Alice writes."
    assert blog["visibility"] == "unlisted"
    [post] = blog["posts"]
    assert post["title"] == "First" and post["body"] == "In the blog."
    assert (post["language"], post["rtl"], post["appearance"]) == ("de", True, "mono")
    assert post["slug"] == "first" and post["created"] and post["updated"]
    assert [p["body"] for p in document["posts"]] == ["Anonymous words."]


def test_export_holds_only_the_users_own_writing(api, alice, bob):
    api.publish(bob, body="Bob's secret.")
    blog_post(api, bob, alias="bob", body="Bob's blog post.")
    api.publish(alice, body="Alice's.")
    for chosen in ("json", "csv", "zip"):
        data = api.call("GET", f"/api/me/export?format={chosen}", token=alice).data
        if chosen == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                data = b"".join(archive.read(name) for name in archive.namelist())
        assert b"Alice's." in data and b"Bob" not in data


def test_csv_export_is_one_row_per_post(api, alice):
    blog_post(api, alice, body="One, with a comma\nand a line.", title="One")
    api.publish(alice, body="Two.")
    response = api.call("GET", "/api/me/export?format=csv", token=alice)
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(r["blog"], r["title"], r["body"]) for r in rows] == [
        ("alice", "One", "One, with a comma\nand a line."), ("", "", "Two."),
    ]


def test_zip_export_is_markdown_with_front_matter_one_folder_per_blog(api, alice):
    blog_post(api, alice, body="Blog body.", title="Hello there")
    api.publish(alice, body="Loose.")
    response = api.call("GET", "/api/me/export?format=zip", token=alice)
    assert response.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert "alice/hello-there.md" in names
        assert [n for n in names if n.startswith("_no_blog/")]
        text = archive.read("alice/hello-there.md").decode()
    front, body = text.split("---\n", 2)[1:]
    fields = yaml.safe_load(front)
    assert fields["title"] == "Hello there" and fields["slug"] == "hello-there"
    assert fields["blog"] == "alice" and fields["created"]
    assert body.strip() == "Blog body."


def test_export_refuses_an_unknown_format_and_strangers(api, alice):
    assert_error(api.call("GET", "/api/me/export?format=pdf", token=alice), 400)
    assert_error(api.call("GET", "/api/me/export"), 401)


def test_exported_json_imported_into_a_new_account_gives_the_same_posts(api, alice):
    blog_post(api, alice, body="Blog post one.", title="One", created="2019-04-01T08:00:00Z")
    blog_post(api, alice, body="Blog post two.", title="Two", created="2020-05-02T09:30:00Z")
    api.publish(alice, body="No blog.", created="2018-01-01T00:00:00Z")
    export = api.call("GET", "/api/me/export", token=alice).data
    before = summary(my_posts(api, alice))
    carol = api.signup("carol")
    job = imported(api, carol, ("alice.json", export))
    assert (job["status"], job["imported"], job["failed"], job["total"]) == ("done", 3, 0, 3)
    after = summary(my_posts(api, carol))
    # /alice/ is Alice's, so her blog's posts go into Carol's own blog, and the job says so.
    assert [row[:4] for row in after] == [row[:4] for row in before]
    assert {row[4] for row in after} == {"carol", None}
    assert any("couldn't be made" in r["message"] for r in job["results"])


def test_reimporting_the_same_file_creates_no_duplicates(api, alice):
    export = json.dumps(WRITEFREELY_FULL_EXPORT).encode()
    first = imported(api, alice, ("export.json", export))
    assert (first["imported"], first["skipped"], first["failed"]) == (3, 0, 0)
    again = imported(api, alice, ("export.json", export))
    assert (again["imported"], again["skipped"], again["failed"]) == (0, 3, 0)
    assert len(my_posts(api, alice)) == 3
    markdown = ("note.md", b"---\ntitle: A note\ndate: 2020-02-02\n---\nNoted.\n")
    assert imported(api, alice, markdown)["imported"] == 1
    assert imported(api, alice, markdown)["skipped"] == 1


def test_an_accounts_own_export_imported_back_into_it_adds_nothing(api, alice):
    blog_post(api, alice, body="Blog post one.", title="One", created="2019-04-01T08:00:00Z")
    api.publish(alice, body="No blog.", created="2018-01-01T00:00:00Z")
    before = summary(my_posts(api, alice))
    export = api.call("GET", "/api/me/export", token=alice).data
    job = imported(api, alice, ("alice.json", export))
    assert (job["imported"], job["skipped"], job["failed"]) == (0, 2, 0)
    assert summary(my_posts(api, alice)) == before


def test_writefreely_full_export_keeps_dates_slugs_titles_and_makes_its_blog(api, alice):
    job = imported(api, alice, ("export.json", json.dumps(WRITEFREELY_FULL_EXPORT).encode()))
    assert job["imported"] == 3
    blog = api.call("GET", "/api/collections/wf-blog", token=alice).json["data"]
    assert blog["title"] == "Matt's blog" and blog["description"] == "Words."
    posts = api.call("GET", "/api/collections/wf-blog/posts", token=alice).json["data"]["posts"]
    by_slug = {p["slug"]: p for p in posts}
    cool = by_slug["cool-post"]
    assert (cool["title"], cool["created"], cool["body"]) == (
        "Cool post", "2016-07-09T01:43:46Z", "A cool post, from 2016."
    )
    assert cool["updated"] == "2016-07-09T02:00:00Z"
    assert (by_slug["second"]["appearance"], by_slug["second"]["language"]) == ("mono", "fr")
    [loose] = [p for p in my_posts(api, alice) if not p.get("collection")]
    assert loose["appearance"] == "code" and loose["created"] == "2015-03-03T03:03:03Z"


def test_writeas_posts_export_into_a_chosen_blog_a_bad_post_fails_alone(api, alice):
    job = imported(api, alice, ("posts.json", json.dumps(WRITEAS_POSTS_EXPORT).encode()),
                   collection="alice")
    assert (job["imported"], job["failed"]) == (1, 1)
    failed = [r for r in job["results"] if r["status"] == "failed"]
    assert "no body" in failed[0]["message"]
    post = api.call("GET", "/api/collections/alice/posts/from-writeas").json["data"]
    assert post["title"] == "From Write.as" and post["created"] == "2018-05-05T05:05:05Z"


def test_zip_of_markdown_and_text_with_bad_entries_reported_each(api, alice):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hugo.md", "---\ntitle: Hugo post\nslug: hugo\ndate: 2021-03-04\n---\n"
                                    "Static words.\n")
        # WriteFreely's own ZIP export: alias/slug_id.txt, `# Title` then the body.
        archive.writestr(zipfile.ZipInfo("wf/my-trip_abcdefghij12.txt", (2019, 6, 7, 8, 9, 10)),
                         "# My trip\n\nIt was long.\n")
        archive.writestr("broken.md", "---\ntitle: [unclosed\n---\nbody\n")
        archive.writestr("picture.png", b"\x89PNG")
        archive.writestr("empty.txt", "   \n")
    job = imported(api, alice, ("posts.zip", buffer.getvalue()), ("loose.txt", b"Plain text."),
                   collection="alice")
    assert (job["imported"], job["failed"]) == (3, 3), job["results"]
    blog = api.call("GET", "/api/collections/alice/posts").json["data"]["posts"]
    found = {p["slug"]: p for p in blog}
    assert found["hugo"]["title"] == "Hugo post"
    assert found["hugo"]["created"] == "2021-03-04T00:00:00Z"
    assert found["my-trip"]["title"] == "My trip"
    assert found["my-trip"]["created"] == "2019-06-07T08:09:10Z"
    assert {r["status"] for r in job["results"] if "picture.png" in r["source"]} == {"failed"}


def test_a_taken_slug_gets_a_suffix_and_the_result_says_so(api, alice):
    blog_post(api, alice, body="Mine.", title="Hugo")
    markdown = b"---\ntitle: Other\nslug: hugo\n---\nTheirs.\n"
    job = imported(api, alice, ("a.md", markdown), collection="alice")
    [result] = job["results"]
    assert result["status"] == "imported" and "taken" in result["message"]


def test_import_refuses_bad_requests_clearly_and_stores_nothing(api, alice, bob, app):
    assert_error(upload(api, alice), 400)
    assert_error(upload(api, alice, ("virus.exe", b"MZ")), 400)
    assert_error(upload(api, alice, ("a.md", b"x"), collection="bob"), 403)
    assert_error(upload(api, alice, ("a.md", b"x"), collection="nobody"), 404)
    assert_error(upload(api, None, ("a.md", b"x")), 401)
    assert api.call("GET", "/api/me/imports", token=alice).json["data"] == []
    assert_error(api.call("GET", "/api/me/imports/nope", token=alice), 404)


def test_import_jobs_are_private_to_their_owner(api, alice, bob):
    job = imported(api, alice, ("a.md", b"Hello."))
    assert_error(api.call("GET", f"/api/me/imports/{job['id']}", token=bob), 404)
    [listed] = api.call("GET", "/api/me/imports", token=alice).json["data"]
    assert listed["id"] == job["id"] and "results" not in listed


def test_zip_bombs_and_oversized_files_are_refused_with_400(make_app):
    app = make_app(IMPORT_MAX_FILES=3, IMPORT_MAX_EXPANDED_BYTES=10_000, IMPORT_MAX_BYTES=5_000)
    api = Api(app.test_client())
    token = api.signup("alice")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(4):
            archive.writestr(f"{number}.md", "x")
    response = upload(api, token, ("many.zip", many.getvalue()))
    assert_error(response, 400)
    assert "at most 3 more" in response.json["error_msg"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.md", "a" * 1_000_000)
    assert len(bomb.getvalue()) < 5_000
    response = upload(api, token, ("bomb.zip", bomb.getvalue()))
    assert_error(response, 400)
    assert "expand to 1000000 bytes" in response.json["error_msg"]
    half = io.BytesIO()
    with zipfile.ZipFile(half, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("half.md", "a" * 6_000)
    # Two ZIPs share the one budget: each fits alone, both don't.
    response = upload(api, token, ("one.zip", half.getvalue()), ("two.zip", half.getvalue()))
    assert_error(response, 400)
    assert response.json["error_msg"].startswith("two.zip: ")
    response = upload(api, token, ("big.md", b"a" * 6_000))
    assert_error(response, 400)
    assert "larger" in response.json["error_msg"]


def _lying_zip(actual: int, declared: int) -> bytes:
    """A ZIP whose headers claim its one entry inflates to `declared` bytes; it holds more."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liar.md", "a" * actual)
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_a_zip_that_inflates_past_its_headers_is_that_entrys_own_error(api, alice):
    job = imported(api, alice, ("liar.zip", _lying_zip(actual=500_000, declared=10)),
                   ("fine.md", b"Still imported."))
    assert (job["imported"], job["failed"]) == (1, 1)
    [failed] = [r for r in job["results"] if r["status"] == "failed"]
    assert failed["source"] == "liar.zip: liar.md"
    # zipfile stops at the declared size (a bad CRC), or our bounded read does: never more.
    assert failed["message"] in (
        "can't be read (BadZipFile)", "it expands past its declared size or the import's limit"
    )
    assert [p["body"] for p in my_posts(api, alice)] == ["Still imported."]


def test_imported_posts_carry_their_import_key(api, alice, app):
    imported(api, alice, ("export.json", json.dumps(WRITEFREELY_FULL_EXPORT).encode()))
    with app.app_context():
        keys = {post.import_key for post in Post.query.all()}
    assert "id:hjb0kzqjq1o7xxxx" in keys


def test_no_blog_puts_every_post_of_a_full_export_in_no_blog(api, alice):
    export = ("export.json", json.dumps(WRITEFREELY_FULL_EXPORT).encode())
    data = {"file": (io.BytesIO(export[1]), export[0]), "no_blog": "true"}
    response = api.call("POST", "/api/me/import", token=alice, data=data,
                        content_type="multipart/form-data")
    assert response.status_code == 202 and response.json["data"]["no_blog"] is True
    assert [p for p in my_posts(api, alice) if p.get("collection")] == []
    assert len(my_posts(api, alice)) == 3
    assert_error(api.call("GET", "/api/collections/wf-blog", token=alice), 404)
    both = {"file": (io.BytesIO(b"x"), "a.md"), "no_blog": "true", "collection": "alice"}
    assert_error(api.call("POST", "/api/me/import", token=alice, data=both,
                          content_type="multipart/form-data"), 400)


def test_a_job_the_queue_never_heard_of_or_whose_worker_died_is_finished_by_the_sweep(
    app, api, alice
):
    files = [("a.md", io.BytesIO(b"First.")), ("b.md", io.BytesIO(b"Second."))]
    with app.test_request_context():
        user = db.session.scalar(db.select(User).where(User.username == "alice"))
        lost = imports.start(user, files, {}).id  # written, but its message never sent
        died = imports.start(user, [("c.md", io.BytesIO(b"Third."))], {})
        died.status, died.locked_until = imports.RUNNING, utcnow() - timedelta(seconds=1)
        db.session.commit()
        died = died.id
        queue.current().sweep()
        jobs = {job_id: db.session.get(ImportJob, job_id) for job_id in (lost, died)}
        assert [(j.status, j.imported, len(j.results)) for j in jobs.values()] == [
            ("done", 2, 2), ("done", 1, 1)
        ]
        queue.current().sweep()  # done jobs are left alone
    assert sorted(p["body"] for p in my_posts(api, alice)) == ["First.", "Second.", "Third."]
