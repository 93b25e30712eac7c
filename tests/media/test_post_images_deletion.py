"""What deleting a post does to the uploaded images it showed, on both stores: an image
goes with the last post that shows it, unless a waiting crosspost needs it; one taken out
by an edit, or shown only by someone else's or an anonymous post, is kept."""

from datetime import UTC, datetime, timedelta

from calls import iso
from media_samples import png

from writeas.core.db import db
from writeas.core.models import MediaFile, PostImage


def shown_in(item: dict) -> str:
    return f"Look:\n\n![{item['alt_text']}]({item['url'].removeprefix('http://localhost')})"


def kept(app, stored, client, item: dict) -> bool:
    """Whether the image is still there: row, bytes and public address agree."""
    with app.app_context():
        row = db.session.get(MediaFile, item["id"])
        key = row.storage_key if row else None
    served = client.get(item["url"].removeprefix("http://localhost")).status_code
    present = row is not None and stored(key) is not None
    assert served == (200 if present else 404)
    return present


def delete_post(api, token, post_id):
    assert api.call("DELETE", f"/api/posts/{post_id}", token=token).status_code == 204


def test_an_image_goes_with_the_last_post_that_shows_it(app, api, alice, upload, stored,
                                                         client):
    item = upload(png(), "p.png", alt_text="Red").json["data"]
    first = api.publish(alice, body=shown_in(item))
    second = api.publish(alice, body=shown_in(item) + "\n\nAgain.")
    delete_post(api, alice, first["id"])
    assert kept(app, stored, client, item)
    delete_post(api, alice, second["id"])
    assert not kept(app, stored, client, item)
    assert api.call("GET", "/api/media", token=alice).json["data"] == []


def test_an_image_taken_out_by_an_edit_is_kept(app, api, alice, upload, stored, client):
    item = upload(png()).json["data"]
    post = api.publish(alice, body=shown_in(item))
    edited = api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "Text"})
    assert edited.status_code == 200, edited.json
    with app.app_context():
        assert db.session.query(PostImage).count() == 0
    delete_post(api, alice, post["id"])
    assert kept(app, stored, client, item)


def test_posts_of_others_keep_the_image_and_never_delete_it(app, api, alice, bob, upload,
                                                            stored, client):
    item = upload(png()).json["data"]
    own = api.publish(alice, body=shown_in(item))
    borrowed = api.publish(bob, body=shown_in(item))
    anonymous = api.publish(body=shown_in(item))
    delete_post(api, alice, own["id"])
    assert kept(app, stored, client, item)
    delete_post(api, bob, borrowed["id"])
    assert api.call("DELETE", f"/api/posts/{anonymous['id']}",
                    json={"token": anonymous["token"]}).status_code == 204
    assert kept(app, stored, client, item)


def test_an_image_a_waiting_crosspost_needs_is_kept(app, api, alice, upload, stored, client,
                                                    channel):
    item = upload(png()).json["data"]
    post = api.publish(alice, body=shown_in(item))
    announced = api.publish(alice, body="The picture, in an hour")
    batch = api.call(
        "POST", f"/api/posts/{announced['id']}/crossposts", token=alice,
        json={"targets": [{"channel": channel["id"], "media": [item["id"]]}],
              "scheduled_at": iso(datetime.now(UTC) + timedelta(hours=1))},
    )
    assert batch.status_code == 202, batch.json
    delete_post(api, alice, post["id"])
    assert kept(app, stored, client, item)
