"""`DELETE /api/media/{id}`: refused (409) while a delivery that hasn't finished uses the
file; otherwise the row and the stored bytes go, and the public address with them."""

from datetime import UTC, datetime, timedelta

import pytest
from calls import assert_error, iso
from media_samples import MP4, png

from writeas.core.db import db
from writeas.core.models import Delivery, MediaFile


def storage_key(app, media_id: str) -> str:
    with app.app_context():
        return db.session.get(MediaFile, media_id).storage_key


def test_deleting_removes_the_row_the_bytes_and_the_address(app, api, alice, bob, upload,
                                                            stored, client):
    item = upload(MP4).json["data"]
    key = storage_key(app, item["id"])
    path = item["url"].removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert_error(api.call("DELETE", f"/api/media/{item['id']}", token=bob), 404)
    assert_error(api.call("DELETE", f"/api/media/{item['id']}"), 401)
    assert api.call("DELETE", f"/api/media/{item['id']}", token=alice).status_code == 204
    assert stored(key) is None
    assert client.get(path).status_code == 404
    assert api.call("GET", "/api/media", token=alice).json["data"] == []
    assert_error(api.call("DELETE", f"/api/media/{item['id']}", token=alice), 404)


@pytest.mark.parametrize("status", ["scheduled", "queued", "sending"])
def test_a_file_a_waiting_delivery_uses_is_kept(app, api, alice, upload, stored, channel,
                                                status):
    item, other = upload(png()).json["data"], upload(png()).json["data"]
    post = api.publish(alice, body="With a picture, in an hour")
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    batch = api.call(
        "POST", f"/api/posts/{post['id']}/crossposts", token=alice,
        json={"targets": [{"channel": channel["id"], "media": [item["id"]]}],
              "scheduled_at": later},
    )
    assert batch.status_code == 202, batch.json
    delivery_id = batch.json["data"]["results"][0]["id"]
    with app.app_context():
        db.session.get(Delivery, delivery_id).status = status
        db.session.commit()
    refused = api.call("DELETE", f"/api/media/{item['id']}", token=alice)
    assert_error(refused, 409)
    assert stored(storage_key(app, item["id"])) is not None
    # A file no delivery waits for goes as usual.
    assert api.call("DELETE", f"/api/media/{other['id']}", token=alice).status_code == 204
    with app.app_context():
        db.session.get(Delivery, delivery_id).status = "cancelled"
        db.session.commit()
    assert api.call("DELETE", f"/api/media/{item['id']}", token=alice).status_code == 204
