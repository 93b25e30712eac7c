"""A web worker loads only what serving pages needs: the platform adapters, Pillow, PyAV,
boto3, the queue, Alembic, the HTTP client and the signature libraries wait for the
request (or the worker process) that uses them. Checked in a fresh interpreter that
imports `wsgi` as gunicorn does and then serves the reads and writes of an ordinary
visitor."""

import json
import subprocess
import sys

from processes import environment
from serving import ROOT

# Each loads on first use elsewhere in the suite (uploads, transcodes, S3, crossposts,
# federation, `flask db`), so each is still reachable; none is needed to serve a reader.
NOT_FOR_READERS = [
    "PIL.Image",
    "av",
    "boto3",
    "huey",
    "alembic",
    "flask_migrate",
    "httpx",
    "yaml",
    "http_message_signatures",
    "cryptography.hazmat.bindings._rust",
    "writeas.core.outbound",
    "writeas.federation.rfc9421",
]

VISIT = """
import json, sys
import wsgi
from werkzeug.test import Client

client = Client(wsgi.app)
made = json.loads(client.post("/api/posts", json={"body": "def f():\\n    return 1\\n",
                                                    "font": "code"}).get_data())["data"]
statuses = [client.get(path).status_code for path in (
    "/", f"/{made['id']}", f"/{made['id']}.txt", f"/api/posts/{made['id']}", "/read",
    "/no-such-post", "/robots.txt", "/sitemap.xml")]

print(json.dumps({
    "statuses": statuses,
    "loaded": [name for name in json.loads(sys.argv[1]) if name in sys.modules],
    "adapters": sorted(name for name in sys.modules
                       if name.startswith("writeas.crossposting.platforms.")
                       and name != "writeas.crossposting.platforms.base"),
}))
"""


def fresh_interpreter(make_app, database_url, tmp_path, script: str, *args: str) -> dict:
    """What `script` prints last, as JSON, run in a new interpreter on this test's schema."""
    make_app()
    env = environment(database_url, INSTANCE_PATH=str(tmp_path / "instance"))
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_serving_readers_loads_none_of_the_heavy_libraries(make_app, database_url, tmp_path):
    seen = fresh_interpreter(make_app, database_url, tmp_path, VISIT, json.dumps(NOT_FOR_READERS))
    assert seen["statuses"] == [200, 200, 200, 200, 200, 404, 200, 200]
    assert seen["loaded"] == []
    assert seen["adapters"] == []


QUEUE = """
import json, os, sys
import wsgi
from werkzeug.test import Client
from writeas import create_app
from writeas.settings import Settings

long_paste = "\\n".join(f"def f{n}(x):\\n    return x * {n}" for n in range(150))
reply = Client(wsgi.app).post("/api/posts", json={"body": long_paste, "font": "code"})
queued = {"status": reply.status_code, "huey": "huey" in sys.modules,
          "redis": "redis" in sys.modules, "psycopg": "psycopg" in sys.modules}

# A second app in the same process whose queue is Redis (as the tests build): huey's
# storage gets its Redis client back. Nothing is sent, so no Redis server is needed.
with_redis = create_app(Settings.from_environment(
    {**os.environ, "HUEY_REDIS_URL": "redis://127.0.0.1:9/0"}))
storage = with_redis.extensions["writeas.queue"].huey.storage
print(json.dumps({**queued, "second": type(storage).__name__,
                  "client": type(storage.conn).__name__}))
"""


def test_the_queue_loads_only_the_backend_it_uses(make_app, database_url, tmp_path):
    """huey's storage module tries Redis's client and psycopg when it is imported (16 MB
    between them); a worker whose queue is SQLite's gets neither from the first enqueue,
    and an app built later in the same process with a Redis queue still has Redis."""
    seen = fresh_interpreter(make_app, database_url, tmp_path, QUEUE)
    assert seen["status"] == 201 and seen["huey"]  # the colours were queued
    assert seen["redis"] is False
    assert seen["psycopg"] is database_url.startswith("postgresql")  # SQLAlchemy's, on PG
    assert seen == {**seen, "second": "RedisStorage", "client": "Redis"}


LOADED = """
import json, os, threading
import wsgi

opened = []
for fd in os.listdir("/proc/self/fd"):
    try:
        opened.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass  # the listing's own descriptor, closed by now
print(json.dumps({"threads": threading.active_count(), "opened": opened}))
"""


def test_the_loaded_app_holds_nothing_a_fork_would_share(make_app, database_url, tmp_path):
    """gunicorn's `--preload` (as `make run` and the README's deployment run it) forks the
    workers from a master that has imported `wsgi`. A database connection or socket open
    then would be shared by every worker (SQLite's locks belong to the process that took
    them), and a thread started then would exist in the master only."""
    seen = fresh_interpreter(make_app, database_url, tmp_path, LOADED)
    assert seen["threads"] == 1
    shared = [target for target in seen["opened"]
              if target.startswith("socket:") or ".db" in target or target.endswith("-shm")]
    assert shared == []
