"""Post and blog reads run on a connection each thread holds outside the pool: it must
never hold a transaction open between reads, must see every commit at once, and must
survive the database dropping it."""

import os
import subprocess
import sys

from sqlalchemy import text

from writeas.core.db import db
from writeas.reads import snapshots


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
            snapshots._held.connection.close()  # as if the file went away
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


def test_a_forked_child_reads_on_its_own_connection_and_leaves_the_parents(api, app):
    post = api.publish(body="Forked")
    client = app.test_client()
    assert client.get(f"/{post['id']}.txt").status_code == 200
    parents = snapshots._held.connection
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            with app.app_context():
                db.engine.dispose(close=False)  # SQLAlchemy's own advice for a forked child
            answer = client.get(f"/{post['id']}.txt").get_data()
            ok = answer == b"Forked" and snapshots._held.connection is not parents
            os.write(write_end, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    reported = os.read(read_end, 1)
    os.waitpid(child, 0)
    assert reported == b"1"
    assert snapshots._held.connection is parents
    cursor = parents.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1


def test_the_generation_moves_with_every_commit_from_anywhere(api, app):
    """What the front's kept answers are checked against: unchanged while nothing is
    written, moved by a commit from another connection, from another process, and after a
    checkpoint that starts the WAL afresh."""
    api.publish(body="Something to read")
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            assert snapshots.generation(engine) is None  # every read asks for its row
            return
        path = engine.url.database
        seen = [snapshots.generation(engine), snapshots.generation(engine)]
        assert snapshots._held.wal_index is not None  # read from shared memory from now on
        assert seen[-1] == snapshots.generation(engine)

        def moved():
            now = snapshots.generation(engine)
            assert now is not None and now not in seen
            seen.append(now)

        with engine.begin() as other:
            other.execute(text("UPDATE posts SET views = views + 1"))
        moved()
        code = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('UPDATE posts SET views = views + 1'); c.commit()"
        )
        subprocess.run([sys.executable, "-c", code, path], check=True)
        moved()
        with engine.connect() as other:
            other.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        with engine.begin() as other:
            other.execute(text("UPDATE posts SET views = views + 1"))
        moved()
        assert snapshots.generation(engine) == seen[-1]
