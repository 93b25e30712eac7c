"""Post and blog reads run on a connection each thread holds outside the pool: it must
never hold a transaction open between reads, must see every commit at once, and must
survive the database dropping it."""

from sqlalchemy import text

from writeas import snapshots
from writeas.db import db


def test_reads_see_other_connections_commits_at_once(api, app):
    post = api.publish(body="First")
    assert app.test_client().get(f"/{post['id']}.txt").get_data(as_text=True) == "First"
    with app.app_context(), db.engine.begin() as other:
        other.execute(text("UPDATE posts SET body = 'Second' WHERE id = :id"), {"id": post["id"]})
    assert app.test_client().get(f"/{post['id']}.txt").get_data(as_text=True) == "Second"


def test_a_held_connection_keeps_no_transaction_between_reads(api, app):
    post = api.publish(body="Read me")
    assert app.test_client().get(f"/api/posts/{post['id']}").status_code == 200
    with app.app_context():
        engine = db.engine
        with engine.connect() as other:
            if engine.dialect.name == "sqlite":
                # A reader inside a transaction would pin the WAL: a full checkpoint
                # reports busy (1 in the first column) while any snapshot is open.
                busy, *_ = other.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
                assert busy == 0
            else:
                states = other.scalars(
                    text(
                        "SELECT state FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
                assert "idle in transaction" not in states
                assert states  # the held connection is there, idle


def test_reads_survive_the_database_dropping_the_held_connection(api, app):
    post = api.publish(body="Still here")
    assert app.test_client().get(f"/{post['id']}.txt").status_code == 200
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            snapshots._held.connection.dbapi_connection.close()  # as if the file went away
        else:
            with engine.connect() as other:
                other.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
    # Through the app (the query string passes the front by), so no fallback can hide it.
    response = app.test_client().get(f"/{post['id']}.txt?again=1")
    assert response.status_code == 200 and response.get_data(as_text=True) == "Still here"
    for path in (f"/{post['id']}.txt", f"/api/posts/{post['id']}", f"/{post['id']}"):
        assert app.test_client().get(path).status_code == 200, path
