"""`GET /api/media`: the user's own files, newest first, by kind, a page at a time with a
cursor that neither repeats nor skips a file when new ones arrive in between."""

from datetime import datetime, timedelta

from calls import assert_error
from media_samples import MP4, png
from sqlalchemy import update

from writeas.core.db import db
from writeas.core.models import MediaFile


def listed(api, token, **args):
    response = api.call("GET", "/api/media", token=token, query_string=args)
    assert response.status_code == 200, response.json
    assert set(response.json) == {"code", "data", "next_cursor"}
    return [item["id"] for item in response.json["data"]], response.json["next_cursor"]


def uploaded_in_order(app, upload, files) -> list[str]:
    """Uploads `files`, then dates them a minute apart, in that order: the ids, oldest first."""
    ids = [upload(data).json["data"]["id"] for data in files]
    start = datetime(2026, 1, 1)
    with app.app_context():
        for minutes, media_id in enumerate(ids):
            db.session.execute(
                update(MediaFile)
                .where(MediaFile.id == media_id)
                .values(created=start + timedelta(minutes=minutes))
            )
        db.session.commit()
    return ids


def test_newest_first_and_by_kind(app, api, alice, bob, upload):
    ids = uploaded_in_order(app, upload, [png(), MP4, png(), MP4])
    upload(png(), token=bob)
    assert listed(api, alice) == (ids[::-1], None)
    assert listed(api, alice, type="IMAGE") == ([ids[2], ids[0]], None)
    assert listed(api, alice, type="VIDEO") == ([ids[3], ids[1]], None)
    assert len(listed(api, bob)[0]) == 1


def test_pages_follow_the_cursor_without_repeats(app, api, alice, upload):
    ids = uploaded_in_order(app, upload, [png() for _ in range(5)])
    first, cursor = listed(api, alice, limit=2)
    assert first == [ids[4], ids[3]] and cursor
    # A file that arrives meanwhile is on the first page, not pushed onto the next.
    upload(MP4)
    second, cursor = listed(api, alice, limit=2, cursor=cursor)
    assert second == [ids[2], ids[1]] and cursor
    assert listed(api, alice, limit=2, cursor=cursor) == ([ids[0]], None)
    # Filtered pages page the same way.
    page, cursor = listed(api, alice, limit=4, type="IMAGE")
    assert page == ids[:0:-1]
    assert listed(api, alice, limit=4, type="IMAGE", cursor=cursor) == ([ids[0]], None)


def test_refused_listings(api, alice):
    for args in ({"type": "AUDIO"}, {"type": "image"}, {"limit": "0"}, {"limit": "101"},
                 {"limit": "many"}, {"cursor": "not-a-cursor"}):
        assert_error(api.call("GET", "/api/media", token=alice, query_string=args), 400)
    assert_error(api.call("GET", "/api/media"), 401)
