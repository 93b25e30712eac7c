"""What a warmed gunicorn worker holds in memory: `bench.py --memory`.

A worker's resident set (RSS) counts every page it maps, the pages shared with the master
and the other workers included, so three numbers are quoted: RSS, PSS (each shared page
divided among the processes that share it) and USS (the pages only this worker holds,
which is what each extra worker costs). With `--preload` the master imports the app before
forking and `wsgi.py` freezes what it built, so the workers share those pages.
"""

import http.client
import json
import random
import subprocess
import time
from pathlib import Path

from serving import BIN, ROOT, free_port

CODE = "\n".join(f"def function_{i}(x):\n    return x * {i}  # line {i}" for i in range(100))


def smaps(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of one process, in MB (from /proc/PID/smaps_rollup)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def _mean(figures: list[dict[str, float]]) -> dict[str, float]:
    """Per worker: the workers share the requests, and their figures are averaged."""
    return {key: sum(f[key] for f in figures) / len(figures) for key in figures[0]}


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        return response.status, json.loads(raw) if is_json and raw else {}
    finally:
        connection.close()


def mixed(port: int, requests: int) -> dict[int, int]:
    """`requests` requests in the mix a public site sees: mostly reads of posts (page, raw
    text, API) and a blog, some anonymous creates, a few misses. Statuses, counted."""
    _, made = call(port, "POST", "/api/posts", {"body": CODE, "font": "code"})
    code_id = made["data"]["id"]
    _, signed = call(port, "POST", "/api/auth/signup", {"alias": "memory", "pass": "benchmark"})
    ids = [code_id]
    statuses: dict[int, int] = {}
    chooser = random.Random(7)  # the same mix in every run
    for n in range(requests):
        roll = chooser.random()
        post_id = chooser.choice(ids)
        if roll < 0.35:
            status, _ = call(port, "GET", f"/{post_id}")
        elif roll < 0.55:
            status, _ = call(port, "GET", f"/{post_id}.txt")
        elif roll < 0.75:
            status, _ = call(port, "GET", f"/api/posts/{post_id}")
        elif roll < 0.85:
            status, _ = call(port, "GET", "/memory/")
        elif roll < 0.97:
            status, reply = call(port, "POST", "/api/posts", {"body": f"Post {n}, **bold**."})
            if status == 201:
                ids.append(reply["data"]["id"])
        else:
            status, _ = call(port, "GET", f"/no-such-post-{n}")
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def measure(env: dict, requests: int, preload: bool, workers: int) -> None:
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", *(["--preload"] if preload else []), "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call(port, "GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        pids = [int(pid) for pid in children]
        started = _mean([smaps(pid) for pid in pids])
        statuses = mixed(port, requests)
        warmed = _mean([smaps(pid) for pid in pids])
        master = smaps(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    mode = "with --preload" if preload else "without --preload"
    print(f"memory, {workers} worker(s) {mode}, after {requests} mixed requests {statuses}:")
    print(f"  {'MB':24} {'RSS':>8} {'PSS':>8} {'USS':>8}")
    for name, figures in (("a worker, started", started), ("a worker, warmed", warmed),
                          ("master", master)):
        print(f"  {name:24} {figures['rss']:8.1f} {figures['pss']:8.1f} {figures['uss']:8.1f}")
