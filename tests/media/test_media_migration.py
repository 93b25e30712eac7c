"""Migration 0008 on both stores: the images rows held move into the store, the `data`
column goes, the schema is exactly the models', and the images are served afterwards;
downgrading puts the bytes back into their rows."""

from flask_migrate import downgrade, upgrade
from media_samples import png
from schemas import differences
from sqlalchemy import inspect, text

from writeas.core.db import db
from writeas.services import media_store

IMAGES = {"0123456789abcdef": png((4, 3), "red"), "fedcba9876543210": png((5, 2), "blue")}


def _old_rows(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO users (id, username, password_hash, created, session_generation) "
            "VALUES (7, 'old', 'x', '2026-01-01 00:00:00', 0)"
        )
    )
    for media_id, data in IMAGES.items():
        connection.execute(
            text(
                "INSERT INTO media (id, user_id, mime_type, alt_text, width, height, size, data,"
                " created) VALUES (:id, 7, 'image/png', 'old', 4, 3, :size, :data,"
                " '2026-01-01 00:00:00')"
            ),
            {"id": media_id, "size": len(data), "data": data},
        )


def test_upgrading_moves_the_bytes_into_the_store(make_app, backend):
    app = make_app(schema=False, **backend)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            _old_rows(connection)
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, kind, storage_key, duration, video_codec FROM media ORDER BY id")
            ).all()
            assert "data" not in {c["name"] for c in inspect(connection).get_columns("media")}
            assert differences(connection) == []
        assert [row.id for row in rows] == sorted(IMAGES)
        for row in rows:
            assert (row.kind, row.duration, row.video_codec) == ("image", 0, "")
            assert row.storage_key == f"{row.id[:2]}/{row.id}.png"
            with media_store.current().open(row.storage_key) as stream:
                assert stream.read() == IMAGES[row.id]
    served = app.test_client().get("/media/0123456789abcdef.png")
    assert served.status_code == 200 and served.get_data() == IMAGES["0123456789abcdef"]


def test_downgrading_puts_the_bytes_back(make_app, backend):
    app = make_app(schema=False, **backend)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            _old_rows(connection)
        upgrade()
        downgrade(revision="0007")
        with db.engine.connect() as connection:
            back = dict(connection.execute(text("SELECT id, data FROM media")).all())
    assert {media_id: bytes(data) for media_id, data in back.items()} == IMAGES
