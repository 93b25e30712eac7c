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
            return _the_counter_moves_with_every_commit(engine)
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


def _the_counter_moves_with_every_commit(engine):
    """PostgreSQL's counter: moved once by each committing write, whatever its number of
    rows or statements, and not before the commit: a read in between still sees the old
    value, so an answer it makes is kept under a value the commit leaves behind."""
    seen = [snapshots.generation(engine)]
    assert seen[0] is not None and snapshots.generation(engine) == seen[0]

    def now():
        value = snapshots.generation(engine)
        assert value is not None
        return value

    with engine.connect() as other:
        other.execute(text("UPDATE posts SET views = views + 1"))
        other.execute(text("UPDATE users SET created = created"))
        assert now() == seen[0]  # written, not committed: nobody sees it yet
        other.commit()
    moved = now()
    assert moved != seen[0] and moved[1] == seen[0][1] + 1
    with engine.connect() as other:
        other.execute(text("UPDATE posts SET views = views + 1"))
        other.rollback()
    assert now() == moved
    url = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    code = (
        "import psycopg, sys; c = psycopg.connect(sys.argv[1]); "
        "c.execute('DELETE FROM posts'); c.commit()"
    )
    subprocess.run([sys.executable, "-c", code, url], check=True)
    assert now()[1] == moved[1] + 1


def test_every_table_moves_the_counter_however_the_schema_was_made(make_app):
    """A write to any table moves PostgreSQL's counter, in a schema made by `create_all` as
    in one made by the migrations: a table added without the trigger would let an answer
    outlive a write to it."""
    from flask_migrate import downgrade, upgrade

    from writeas.core import content_generation

    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect() as connection:
            assert content_generation.unwatched_tables(connection) == []
            assert "posts" in content_generation.tables(connection)
    migrated = make_app(schema=False)
    with migrated.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        with db.engine.connect() as connection:
            assert content_generation.unwatched_tables(connection) == []
            assert len(content_generation.tables(connection)) > 20
        downgrade(revision="0017")  # takes every trigger, the function and the counter away
        with db.engine.connect() as connection:
            tables = content_generation.tables(connection)
            assert content_generation.unwatched_tables(connection) == tables
            left = connection.exec_driver_sql(
                "SELECT to_regclass(%(t)s), to_regproc(%(f)s)",
                {"t": content_generation.TABLE, "f": content_generation.TRIGGER},
            ).one()
            assert left == (None, None)
        upgrade()
        with db.engine.connect() as connection:
            assert content_generation.unwatched_tables(connection) == []
