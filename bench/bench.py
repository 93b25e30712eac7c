"""Throughput and p99 of the hot paths, measured with wrk against gunicorn.

    .venv/bin/python bench/bench.py [--seconds 10] [--connections 16] [--runs 3]

The server runs one gunicorn worker pinned to CPU 0 and wrk runs pinned to CPU 1 (when
`taskset` exists), on a fresh migrated database (SQLite in a temp dir unless DATABASE_URL
is set). Needs `wrk` (Debian: apt-get install wrk). Each scenario is measured `--runs`
times; one line per scenario gives the median run (its req/s and p99) and the range, since
a shared machine varies by a tenth from one run to the next. Each figure is also given as a
ratio to the first one: gunicorn serving an empty WSGI app, the ceiling of this stack.

    .venv/bin/python bench/bench.py --memory 10000 [--preload] [--workers 4]

measures memory instead: a warmed worker's RSS, PSS and USS (`memory.py`); and

    .venv/bin/python bench/bench.py --deep 1000,100000

what building a blog's first, middle and last pages and its tag pages costs as the blog
grows, with the query plan of the deepest (`deep.py`); and

    .venv/bin/python bench/bench.py --peers

creating a 200-line paste, pinnwand's rate beside ours in the same run (`peers.py`); and

    .venv/bin/python bench/bench.py --mixed [--seconds 10] [--workers 4]

reads' p50 and p99 with no writes, then with one request in ten a write (`load.py --p99`).
`--postgres` runs the reads again on a throwaway PostgreSQL on loopback
(`scripts/pg-test-server`) and gives each as a ratio to SQLite's figure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import deep
import load
import memory
import pastes
import peers
from serving import BIN, ROOT, flask, migrate
from wrk import pinned, run_wrk, serve

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"body": "A benchmark post with a #hashtag and **bold** text.", "title": "Bench"}'
"""


def revalidation(url: str, tmp: str, name: str) -> Path:
    """A wrk script that asks for `url` with its current ETag: every answer is a 304."""
    with urllib.request.urlopen(url) as response:
        tag = response.headers["ETag"]
    script = Path(tmp) / f"{name}.lua"
    script.write_text(f"wrk.headers['If-None-Match'] = '{tag}'\n")
    return script


def coloured(env: dict, url: str, seconds: float = 20) -> None:
    """Run a huey consumer, as `make run` does, until the long paste at `url` has its
    colours (the worker's job, not the request's; its ETag changes when they arrive)."""
    with urllib.request.urlopen(url) as response:
        before = response.headers["ETag"]
    command = [str(BIN / "huey_consumer"), "writeas.worker.huey", "-m", "0.5"]
    consumer = subprocess.Popen(pinned(1, command), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url) as response:
                if response.headers["ETag"] != before:
                    return
            time.sleep(0.1)
        raise SystemExit(f"{url} got no colours from the worker in {seconds} s")
    finally:
        consumer.terminate()
        consumer.wait(timeout=10)


def request(url: str, body: dict | None = None, token: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.load(response)





def grow(env: dict, total: int) -> None:
    """Fill the posts table up to `total` rows (bulk SQL in a child process, on the same
    database), so reads can be measured at 1k and at 100k posts."""
    code = f"""
import secrets
from writeas import create_app
from writeas.core.db import db
from writeas.core.models import Post
from writeas.core.clock import utcnow
from sqlalchemy import func, insert, select
app = create_app()
with app.app_context():
    have = db.session.scalar(select(func.count()).select_from(Post))
    now = utcnow()
    rows = [dict(id=secrets.token_hex(7)[:13], modify_token_hash="x" * 64, appearance="norm",
                 language="", rtl=False, title="", body="filler", display_title="filler",
                 tags=[], body_html="<p>filler</p>", excerpt="filler", views=0,
                 created=now, updated=now) for _ in range(max(0, {total} - have))]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Post), rows[start:start + 5000])
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def setup(base: str, env: dict, tmp: str) -> tuple[list[tuple[str, str, Path | None]], str]:
    """What the scenarios read (a 200-line paste, coloured; a blog of 50 posts) and the
    scenarios, as (name, URL, wrk script); and the paste's id."""
    code_post = request(base + "/api/posts", pastes.ours(pastes.sample()))["data"]
    coloured(env, f"{base}/{code_post['id']}")
    token = request(base + "/api/auth/signup", {"alias": "bench", "pass": "benchmark"})[
        "data"
    ]["access_token"]
    for n in range(50):
        body = f"Paragraph {n} of a #bench blog. " * 20
        request(
            base + "/api/collections/bench/posts",
            {"title": f"Post {n}", "body": body},
            token,
        )
    lua = Path(tmp) / "post.lua"
    lua.write_text(POST_LUA)
    scenarios = [
        ("page /{id} (200-line code post)", f"{base}/{code_post['id']}", None),
        ("raw /{id}.txt", f"{base}/{code_post['id']}.txt", None),
        ("API GET /api/posts/{id}", f"{base}/api/posts/{code_post['id']}", None),
        ("blog homepage, 50 posts", f"{base}/bench/", None),
        ("API POST /api/posts", f"{base}/api/posts", lua),
        ("API POST /api/posts, 200-line paste", f"{base}/api/posts",
         pastes.script(tmp, "paste")),
    ]
    for label, path in (
        ("page /{id}", f"/{code_post['id']}"),
        ("raw /{id}.txt", f"/{code_post['id']}.txt"),
        ("API GET /api/posts/{id}", f"/api/posts/{code_post['id']}"),
    ):
        script = revalidation(base + path, tmp, f"r{len(scenarios)}")
        scenarios.append((f"304 {label}", base + path, script))
    return scenarios, code_post["id"]


def on_postgres(env: dict, tmp: str, measure, sqlite: dict[str, float]) -> None:
    """The read scenarios again on a throwaway PostgreSQL cluster on loopback
    (scripts/pg-test-server), each with its ratio to the SQLite figure of this run."""
    server_script = str(ROOT / "scripts" / "pg-test-server")
    started = subprocess.run(["bash", server_script, "start"], cwd=ROOT, check=True,
                             capture_output=True, text=True)
    try:
        pg_env = {**env, "DATABASE_URL": started.stdout.strip().splitlines()[-1],
                  "INSTANCE_PATH": str(Path(tmp) / "postgres")}
        migrate(pg_env)
        server, base = serve("wsgi:app", pg_env)
        try:
            scenarios, _ = setup(base, pg_env, tmp)
            for name, url, script in scenarios:
                if "POST" not in name:
                    rps = measure(f"PostgreSQL: {name}", url, script)
                    print(f"{'':40} {rps / sqlite[name]:>10.2f}x of SQLite", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        subprocess.run(["bash", server_script, "stop"], cwd=ROOT, check=True,
                       capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="per scenario; the median is shown")
    parser.add_argument("--scale", default="", help="e.g. 1000,100000: API read at these sizes")
    parser.add_argument(
        "--memory", type=int, default=0, metavar="N",
        help="instead: a worker's RSS, PSS and USS after N mixed requests",
    )
    parser.add_argument(
        "--deep", default="", metavar="N,N",
        help="instead: what building a blog's page 1, a middle page and its last page costs "
        "at these sizes (e.g. 1000,100000)",
    )
    parser.add_argument(
        "--peers", action="store_true",
        help="instead: creating a paste, pinnwand's rate and ours side by side",
    )
    parser.add_argument(
        "--postgres", action="store_true",
        help="then the reads on a throwaway PostgreSQL, with their ratio to SQLite's",
    )
    parser.add_argument(
        "--mixed", action="store_true",
        help="instead: reads' p99 with no writes and with 10%% writes (load.py --p99)",
    )
    parser.add_argument("--preload", action="store_true", help="with --memory: gunicorn --preload")
    parser.add_argument(
        "--workers", type=int, default=0,
        help="gunicorn workers, with --memory (default 1) or --mixed (default 4)",
    )
    args = parser.parse_args()
    if args.mixed:
        with tempfile.TemporaryDirectory(prefix="writeas-bench-") as tmp:
            env = {**os.environ, "INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": "false"}
            sys.exit(load.p99(args.seconds, args.connections, args.workers or 4, env))
    if args.memory or args.deep:
        with tempfile.TemporaryDirectory(prefix="writeas-bench-") as tmp:
            env = {**os.environ, "INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": "false"}
            migrate(env)
            if args.memory:
                memory.measure(env, args.memory, args.preload, args.workers or 1)
            else:
                flask(env, "user", "create", "deep", "--password", "benchmark")
                deep.measure(env, "deep", [int(n) for n in args.deep.split(",")])
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="writeas-bench-") as tmp:
        env = {**os.environ, "INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": "false"}
        migrate(env)
        print(f"{'scenario':40} {'req/s':>10} {'ceiling':>8} {'p99':>10} {'range':>14}")
        ceiling: list[float] = []  # the empty app's figure, measured first

        def measure(name: str, url: str, script: Path | None = None) -> float:
            runs = sorted(
                run_wrk(url, args.seconds, args.connections, script) for _ in range(args.runs)
            )
            rps, p99 = runs[len(runs) // 2]
            ceiling[:] = ceiling or [rps]
            ratio = f"{rps / ceiling[0]:.2f}x"
            spread = f"{runs[0][0]:.0f}-{runs[-1][0]:.0f}"
            print(f"{name:40} {rps:>10.0f} {ratio:>8} {p99:>10} {spread:>14}", flush=True)
            return rps

        floor, base = serve("bench.floor:app", env)
        try:
            measure("(gunicorn alone: an empty WSGI app)", base + "/")
        finally:
            floor.terminate()
            floor.wait(timeout=10)
        server, base = serve("wsgi:app", env)
        try:
            if args.peers:
                peers.measure(tmp, base, measure)
                return
            scenarios, post_id = setup(base, env, tmp)
            figures = {name: measure(name, url, script) for name, url, script in scenarios}
            for total in [int(n) for n in args.scale.split(",") if n]:
                grow(env, total)
                measure(f"API GET at {total} posts", f"{base}/api/posts/{post_id}", None)
        finally:
            server.terminate()
            server.wait(timeout=10)
        if args.postgres:
            on_postgres(env, tmp, measure, figures)


if __name__ == "__main__":
    main()
