"""The view counter's flush: every tally lands, in few statements.

A flush holds the database's write lock from its first UPDATE to its commit, and every
other writer of every worker waits for it. It ran one UPDATE a post, each a separate trip
through the driver and a chance for the worker's request thread to take the interpreter
back: at a few hundred posts a flush held the lock for 150 ms, and under writes the p99
of reads was five times its value without them (`bench.py --mixed`). So a flush is one
statement per thousand posts."""

from sqlalchemy import event, insert, select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Post

POSTS = 2_500


def _posts(app, count: int) -> list[str]:
    """Anonymous posts written straight to the table: the flush is what is under test."""
    now = utcnow()
    ids = [f"views{n:08d}" for n in range(count)]
    rows = [
        dict(id=post_id, modify_token_hash="x" * 64, appearance="norm", language="",
             rtl=False, title="", body=f"post {post_id}", display_title="", tags=[],
             body_html="<p>post</p>", excerpt="post", views=0, created=now, updated=now)
        for post_id in ids
    ]
    with app.app_context():
        db.session.execute(insert(Post), rows)
        db.session.commit()
    return ids


def _views(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Post.id, Post.views)).all())


def test_a_flush_writes_each_posts_own_tally_in_one_statement_per_thousand(make_app):
    app = make_app(VIEW_FLUSH_SECONDS=3600)  # no flush but the one under test
    ids = _posts(app, POSTS + 1)
    counted, untouched = ids[:POSTS], ids[POSTS]
    counter = app.extensions["writeas.reads"].views
    for n, post_id in enumerate(counted):
        for _ in range(n % 4 + 1):
            counter.record(post_id)
    statements = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many):
        statements.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        counter.flush()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements.count("UPDATE") == 3
    views = _views(app)
    assert all(views[post_id] == n % 4 + 1 for n, post_id in enumerate(counted))
    assert views[untouched] == 0
    assert counter.pending(counted[0]) == 0

    counter.record(counted[0])  # a second flush adds to what the first wrote
    counter.flush()
    assert _views(app)[counted[0]] == 2
