"""A blog's stream is read through the listed-posts index on both databases, for a visitor
and for the owner: a deep page's OFFSET then steps over index entries alone (at 100,000
posts page 5,000 costs 2.9 ms instead of 14.5). The index is partial, and a planner uses
it only when the query names its terms as written, so a parameterised `body != ?` would
quietly fall back to visiting the table for every skipped post in PostgreSQL's generic
plans (SQLite looks at the bound values)."""

import re

import pytest
from calls import Api
from flask_migrate import upgrade
from psycopg.sql import Literal
from sqlalchemy import event, select

from writeas.core.db import db
from writeas.core.models import Collection, User
from writeas.services import blogs
from writeas.services.visibility import ANONYMOUS, Reader


def plan_of(read) -> str:
    """The plan of the last statement on posts that `read(alice's blog)` makes."""
    blog = db.session.scalar(select(Collection).where(Collection.alias == "alice"))
    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        read(blog)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = [s for s in seen if "FROM posts" in s[0]][-1]
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        else:
            # A generic plan, as a prepared statement gets after a few runs: it can't look
            # at the parameters' values. An empty table is read whole unless told not to.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
            numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", statement)
            cursor.execute(f"PREPARE listing AS {numbered}")
            driver = connection.connection.driver_connection
            values = ", ".join(Literal(parameters[name]).as_string(driver) for name in names)
            cursor.execute(f"EXPLAIN EXECUTE listing({values})")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        if db.engine.dialect.name != "sqlite":
            cursor.execute("DEALLOCATE listing")
        return plan


def migrated_blog(make_app):
    """On the schema the migrations make, as a deployment's is (the tests' own schema is
    made with its indexes in no fixed order, and SQLite breaks ties by that order): alice's
    blog, with a post in its stream and one in its navigation."""
    app = make_app(schema=False)
    with app.app_context():
        upgrade()
    api = Api(app.test_client())
    alice = api.signup("alice")
    api.call("POST", "/api/collections/alice/posts", token=alice, json={"body": "Hello"})
    pinned = api.call("POST", "/api/collections/alice/posts", token=alice, json={"body": "About"})
    pin = [{"id": pinned.json["data"]["id"], "position": 1}]
    assert api.call("POST", "/api/collections/alice/pin", token=alice, json=pin).status_code == 200
    return app


def reader_of(who: str) -> Reader:
    if who == "visitor":
        return ANONYMOUS
    return Reader(user=db.session.scalar(select(User).where(User.username == "alice")))


@pytest.mark.parametrize("page", (1, 5000))
@pytest.mark.parametrize("who", ("visitor", "owner"))
def test_the_stream_walks_the_listed_posts_index(make_app, who, page):
    with migrated_blog(make_app).app_context():
        reader = reader_of(who)
        plan = plan_of(lambda blog: blogs.stream(blog, reader, page))
        assert "ix_posts_listed" in plan, plan


@pytest.mark.parametrize("who", ("visitor", "owner"))
def test_the_navigation_and_the_count_read_only_their_own_indexes(make_app, who):
    """At 100,000 posts, finding a blog's pinned posts walked all of them (26 ms, on every
    page of the blog) and counting them read every row (19 ms); through the partial
    indexes, 0.01 ms and 6 ms."""
    with migrated_blog(make_app).app_context():
        reader = reader_of(who)
        blog = db.session.scalar(select(Collection).where(Collection.alias == "alice"))
        assert [post.body for post in blogs.pinned(blog, reader)] == ["About"]
        assert blogs.total_posts(blog, reader) == 2
        plan = plan_of(lambda blog: blogs.pinned(blog, reader))
        assert "ix_posts_pinned" in plan, plan
        plan = plan_of(lambda blog: blogs.total_posts(blog, reader))
        assert "ix_posts_pinned" in plan and "ix_posts_listed" in plan, plan
        assert "ix_posts_collection_created" not in plan, plan
