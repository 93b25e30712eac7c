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


def test_serving_readers_loads_none_of_the_heavy_libraries(make_app, database_url, tmp_path):
    make_app()  # the schema, on this test's database
    env = environment(database_url, INSTANCE_PATH=str(tmp_path / "instance"))
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run(
        [sys.executable, "-c", VISIT, json.dumps(NOT_FOR_READERS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["statuses"] == [200, 200, 200, 200, 200, 404, 200, 200]
    assert seen["loaded"] == []
    assert seen["adapters"] == []
