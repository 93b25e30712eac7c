"""Images in posts through the editor's pages: the upload form (the one a browser without
script submits, and the JSON answer the editor's script asks for), what the stored file
keeps, and how post pages show images (sized when ours, lazy always)."""

import io
import os
import re

import pytest
from media_samples import jpeg_with_gps, png
from pages import csrf_token, login, publish_form, text
from PIL import Image
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import MediaFile, PostImage

MEDIA_PATH = re.compile(r"/media/([0-9a-f]{32})\.(jpg|png|gif|webp)")


@pytest.fixture
def writer(alice, client):
    """The client, logged in as alice through the log-in form."""
    return login(client, "alice")


def send_image(client, data: bytes, filename="photo.jpg", json=False, page="/", **fields):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        "/me/images",
        data={"csrf_token": csrf_token(client, page), "image": (io.BytesIO(data), filename),
              **fields},
        content_type="multipart/form-data", headers=headers,
    )


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, page[:2000]
    import html

    return html.unescape(found.group(1))


def test_the_upload_form_adds_the_image_to_the_text_without_script(app, writer):
    editor = text(writer.get("/"))
    assert 'formaction="/me/images"' in editor and 'type="file" name="image"' in editor
    response = send_image(
        writer, jpeg_with_gps(), body="First line\r\n", title="With a photo", font="sans",
        alt_text="A blue [field]\nat noon",
    )
    assert response.status_code == 200
    page = text(response)
    body = textarea(page)
    media_id = MEDIA_PATH.search(body).group(1)
    assert body == f"First line\n\n![A blue \\[field\\] at noon](/media/{media_id}.jpg)\n"
    assert 'value="With a photo"' in page and 'value="sans" selected' in page
    assert "Image added at the end of your text." in page
    # Stored as crosspost media is: re-encoded, without the EXIF and its GPS position.
    served = writer.get(f"/media/{media_id}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert not Image.open(io.BytesIO(served.data)).getexif()
    with app.app_context():
        item = db.session.get(MediaFile, media_id)
        assert (item.alt_text, item.width, item.height) == ("A blue [field]\nat noon", 40, 30)

    post_id = publish_form(writer, body=body, title="With a photo")
    shown = text(writer.get(f"/{post_id}"))
    assert (
        f'<img src="/media/{media_id}.jpg" alt="A blue [field] at noon" width="40" '
        f'height="30" loading="lazy">'
    ) in shown
    with app.app_context():
        assert db.session.scalars(select(PostImage.media_id)).all() == [media_id]


def test_the_script_gets_the_markdown_alone(writer):
    response = send_image(writer, png((20, 10)), "paste.png", json=True, alt_text="Red")
    assert response.status_code == 201
    answer = response.json
    media_id = MEDIA_PATH.search(answer["url"]).group(1)
    assert answer == {
        "url": f"/media/{media_id}.png", "markdown": f"![Red](/media/{media_id}.png)",
        "width": 20, "height": 10,
    }


def test_an_image_added_while_editing_stays_on_the_edit_page(app, writer):
    post_id = publish_form(writer, body="Old text")
    response = send_image(
        writer, png(), "p.png", page=f"/{post_id}/edit", body="New text", post_id=post_id,
        alt_text="Red",
    )
    assert response.status_code == 200
    page = text(response)
    assert f'action="/{post_id}/edit"' in page and f'name="post_id" value="{post_id}"' in page
    assert textarea(page).startswith("New text\n\n![Red](/media/")
    # Nothing is saved until the writer saves.
    assert "Old text" in text(writer.get(f"/{post_id}.txt"))


def test_without_an_account_the_editor_says_images_need_one(client):
    editor = text(client.get("/"))
    assert "Images need an account" in editor and 'name="image"' not in editor
    response = send_image(client, png(), body="Kept")
    assert response.status_code == 401
    assert "Images need an account" in text(response) and textarea(text(response)) == "Kept"
    assert send_image(client, png(), json=True).status_code == 401


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"not an image at all", 400, "not an image we can read"),
        (b"", 400, "Parameter `file` is required"),
    ],
    ids=["not-an-image", "no-file"],
)
def test_a_bad_file_is_refused_and_the_text_is_kept(app, writer, data, status, message):
    response = send_image(writer, data, body="My draft")
    assert response.status_code == status
    page = text(response)
    assert message in page and textarea(page) == "My draft"
    with app.app_context():
        assert db.session.scalars(select(MediaFile)).all() == []


def test_the_upload_needs_the_forms_csrf_token(writer):
    response = writer.post(
        "/me/images", data={"image": (io.BytesIO(png()), "p.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "This form has expired" in text(response)


def test_an_image_larger_than_other_forms_is_taken_up_to_its_own_limit(make_app):
    app = make_app(MEDIA_MAX_BYTES=8 * 1024 * 1024)
    client = app.test_client()
    from calls import Api

    Api(client).signup("alice")
    login(client, "alice")
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > app.config["MAX_CONTENT_LENGTH"]
    assert send_image(client, out.getvalue(), "big.png", json=True).status_code == 201
    small = make_app(MEDIA_MAX_BYTES=1000).test_client()
    Api(small).signup("bob")
    login(small, "bob")
    refused = send_image(small, out.getvalue(), "big.png", body="Draft")
    assert refused.status_code == 413 and "larger than 1000 bytes" in text(refused)


def test_remote_and_raw_images_are_lazy_and_never_run_script(writer):
    post_id = publish_form(writer, body=(
        '![far](https://example.org/a.png)\n\n<img src="/x.png" loading="eager" '
        'onerror="alert(1)">'
    ))
    shown = text(writer.get(f"/{post_id}"))
    assert '<img src="https://example.org/a.png" alt="far" loading="lazy">' in shown
    assert '<img src="/x.png" loading="lazy">' in shown and "onerror" not in shown
