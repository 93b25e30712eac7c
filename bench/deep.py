"""How a blog's pages cost as the blog grows: `bench.py --deep 1000,100000`.

wrk's figures for a blog page are page-cache hits after the first request, so they can't
show what a deep page costs to build. This measures the build itself, in a child process
on the benchmark's database: the query behind a blog's page 1, a middle page and its last
page, a tag page, the navigation (pinned posts) that every page of a blog shows, and the
post count, each timed over repeated runs with the page cache out of the way, with the
plan the database chose for the deepest one.
"""

import json
import subprocess
import sys

from serving import ROOT

GROW = """
import secrets, sys
from datetime import timedelta
from sqlalchemy import func, insert, select
from writeas import create_app
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Collection, Post, PostTag

alias, total = sys.argv[1], int(sys.argv[2])
app = create_app()
with app.app_context():
    blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
    have = db.session.scalar(select(func.count()).where(Post.collection_id == blog.id))
    start = utcnow() - timedelta(days=3650)
    for first in range(have, total, 5000):
        rows, tags = [], []
        for n in range(first, min(total, first + 5000)):
            post_id = secrets.token_hex(7)[:13]
            rows.append(dict(
                id=post_id, collection_id=blog.id, owner_id=blog.owner_id, slug=f"filler-{n}",
                modify_token_hash="x" * 64, appearance="norm", language="", rtl=False,
                title=f"Filler {n}", body="filler #deep", display_title=f"Filler {n}",
                tags=["deep"], body_html="<p>filler</p>", excerpt="filler", views=0,
                created=start + timedelta(minutes=n), updated=start + timedelta(minutes=n)))
            if n % 10 == 0:
                tags.append(dict(post_id=post_id, tag="deep"))
        db.session.execute(insert(Post), rows)
        if tags:
            db.session.execute(insert(PostTag), tags)
        db.session.commit()
"""

TIME = """
import json, sys, time
from sqlalchemy import event, select
from writeas import create_app
from writeas.core.db import db
from writeas.core.models import Collection
from writeas.services import blogs
from writeas.services.visibility import ANONYMOUS

alias = sys.argv[1]
app = create_app()
with app.app_context():
    blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
    size = blogs.page_size()
    last = max(1, -(-blogs.total_posts(blog, ANONYMOUS) // size))
    tagged_last = max(1, last // 10)

    def best_of(call, runs=15):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    cases = {
        "blog page 1": lambda: blogs.stream(blog, ANONYMOUS, 1),
        f"blog page {last // 2}": lambda: blogs.stream(blog, ANONYMOUS, last // 2),
        f"blog page {last} (the last)": lambda: blogs.stream(blog, ANONYMOUS, last),
        "tag page 1": lambda: blogs.stream(blog, ANONYMOUS, 1, "deep"),
        f"tag page {tagged_last}": lambda: blogs.stream(blog, ANONYMOUS, tagged_last, "deep"),
        "navigation (pinned posts)": lambda: blogs.pinned(blog, ANONYMOUS),
        "post count (the API's total_posts)": lambda: blogs.total_posts(blog, ANONYMOUS),
    }
    figures = {name: round(best_of(call), 3) for name, call in cases.items()}
    # The plan of the statement the last page really ran, parameters and all.
    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    blogs.stream(blog, ANONYMOUS, last)
    event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = seen[-1]
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute(explain + statement, parameters)
        plan = [str(row[-1]) for row in cursor.fetchall()]
    print(json.dumps({"figures": figures, "plan": plan}))
"""


def measure(env: dict, alias: str, sizes: list[int]) -> None:
    for total in sizes:
        subprocess.run([sys.executable, "-c", GROW, alias, str(total)], cwd=ROOT, env=env,
                       check=True)
        run = subprocess.run([sys.executable, "-c", TIME, alias], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True)
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"a blog of {total} posts: building its pages (best of 15, ms)")
        for name, ms in result["figures"].items():
            print(f"  {name:40} {ms:>10.3f}")
        for line in result["plan"]:
            print(f"  plan of the last page: {line}")
