"""Deleting an account takes its uploads' bytes out of the media store, on both stores,
and leaves another account's alone."""

from media_samples import png
from pages import login, submit
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import MediaFile


def _key(app, media_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(MediaFile.storage_key).where(MediaFile.id == media_id))


def test_the_account_s_bytes_leave_the_store(app, client, alice, bob, upload, stored):
    mine = [upload(png(color=color)).json["data"] for color in ("red", "blue")]
    theirs = upload(png(color="green"), token=bob).json["data"]
    keys = [_key(app, item["id"]) for item in mine]
    kept = _key(app, theirs["id"])
    assert all(stored(key) for key in [*keys, kept])
    login(client, "alice")
    assert submit(client, "/me/delete", {"pass": "correct horse"}, page="/me/delete"
                  ).status_code == 303
    assert [stored(key) for key in keys] == [None, None]
    assert stored(kept) is not None
    assert client.get(theirs["url"].removeprefix("http://localhost")).status_code == 200
