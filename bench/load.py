"""A mixed read/write load against gunicorn, then a check that nothing acknowledged was lost.

    .venv/bin/python bench/load.py [--seconds 20] [--threads 16] [--workers 4] [--kill-every 0]
    .venv/bin/python bench/load.py --p99 [--seconds 20] [--threads 16] [--workers 4]

Starts gunicorn (several workers) on a fresh migrated database — a SQLite file in a temp
dir, or the PostgreSQL in DATABASE_URL — and for a fixed time runs threads that publish,
read, update and delete posts through the API. Afterwards every post whose create
answered 2xx must read back with the exact body of its last acknowledged write, every
acknowledged delete must be gone, and there must have been no 5xx and no "database is
locked". `--kill-every N` SIGKILLs a random gunicorn worker every N seconds (a fault
test: requests in flight on it fail, and are then not counted as acknowledged). Exits 1
on any violation. Its loops are bounded by time and count, and it only talks to loopback.

`--p99` (also `bench.py --mixed`) asks what writes do to reads: on a database seeded with
posts, the reads' p50 and p99 with no writes, then under 90% reads and 10% writes (creates
and edits), and the ratio of the two p99s; the same check for lost writes follows.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from serving import BIN, ROOT, free_port, migrate

MIXED = (0.3, 0.8, 0.92)  # cumulative shares: creates, reads, edits; the rest deletes
READS_ONLY = (0.0, 1.0, 1.0)
NINETY_TEN = (0.05, 0.95, 1.0)
WORDS = "lorem ipsum dolor sit amet ünïcode 日本語 émoji 🎉 #tag code `x` **bold**".split()


@dataclass
class Ledger:
    """What the server acknowledged, and what is uncertain (the answer was lost)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    bodies: dict[str, set[str]] = field(default_factory=dict)  # id -> acceptable bodies
    tokens: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    maybe_deleted: set[str] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    requests: int = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1


class Client:
    def __init__(self, port: int):
        self.port = port
        self.conn = None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        """Status and JSON; (0, None) when the connection failed (nothing acknowledged)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        for _attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                is_json = (response.getheader("Content-Type") or "").startswith("application/json")
                return response.status, json.loads(raw) if raw and is_json else None
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                self.conn.close()
                self.conn = None
                if method != "GET":
                    return 0, None  # never resend a write: its outcome is unknown
        return 0, None


def text() -> str:
    return " ".join(random.choice(WORDS) for _ in range(random.randint(3, 60)))  # noqa: S311


def worker(port: int, ledger: Ledger, deadline: float, shares=MIXED, mine=None) -> None:
    """Requests in `shares` until `deadline`, on the posts this thread made (`mine`)."""
    client = Client(port)
    mine = list(mine or [])
    creates, reads, edits = shares
    while time.monotonic() < deadline:
        roll = random.random()  # noqa: S311
        if roll < creates or not mine:
            body = text()
            status, reply = client.call("POST", "/api/posts", {"body": body})
            if 200 <= status < 300:
                post = reply["data"]
                with ledger.lock:
                    ledger.bodies[post["id"]] = {body}
                    ledger.tokens[post["id"]] = post["token"]
                mine.append(post["id"])
        elif roll < reads:
            post_id = random.choice(mine)  # noqa: S311
            path = f"/api/posts/{post_id}" if random.random() < 0.5 else f"/{post_id}"  # noqa: S311
            started = time.perf_counter()
            status, _ = client.call("GET", path)
            with ledger.lock:
                ledger.read_seconds.append(time.perf_counter() - started)
        elif roll < edits:
            post_id = random.choice(mine)  # noqa: S311
            body = text()
            status, _ = client.call(
                "POST", f"/api/posts/{post_id}", {"body": body, "token": ledger.tokens[post_id]}
            )
            with ledger.lock:
                if 200 <= status < 300:
                    ledger.bodies[post_id] = {body}
                elif status == 0:
                    ledger.bodies[post_id].add(body)  # either may have won
        else:
            post_id = mine.pop(random.randrange(len(mine)))  # noqa: S311
            status, _ = client.call(
                "DELETE", f"/api/posts/{post_id}?token={ledger.tokens[post_id]}"
            )
            with ledger.lock:
                (ledger.deleted if status == 204 else ledger.maybe_deleted).add(post_id)
        ledger.count(status)
        if status >= 500:
            with ledger.lock:
                ledger.errors.append(f"{status} from the server")


def verify(port: int, ledger: Ledger) -> list[str]:
    client = Client(port)
    problems = []
    for post_id, bodies in ledger.bodies.items():
        status, reply = client.call("GET", f"/api/posts/{post_id}")
        if post_id in ledger.deleted:
            if status != 404:
                problems.append(f"{post_id}: deleted but answers {status}")
        elif post_id in ledger.maybe_deleted and status == 404:
            continue
        elif status != 200:
            problems.append(f"{post_id}: acknowledged but answers {status}")
        elif reply["data"]["body"] not in bodies:
            problems.append(f"{post_id}: body differs from the last acknowledged write")
    return problems


def gunicorn_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def start_server(env: dict, workers: int, port: int | None = None) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--capture-output",
            "--preload",  # as `make run` and the README's deployment run it
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def started(threads: int, port: int, ledger: Ledger, seconds: float, shares, seeds) -> list:
    """`threads` workers running for `seconds`, thread n on `seeds[n]`'s posts."""
    deadline = time.monotonic() + seconds
    pool = [
        threading.Thread(target=worker, args=(port, ledger, deadline, shares, seeds[n]))
        for n in range(threads)
    ]
    for thread in pool:
        thread.start()
    return pool


def percentile(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def p99(seconds: float, threads: int, workers: int, env: dict) -> int:
    """Reads' p50 and p99 with no writes, then with one request in ten a write."""
    migrate(env)
    server, port = start_server(env, workers)
    ledger = Ledger()
    try:
        seeder = Client(port)
        seeds = []
        for _thread in range(threads):
            made = []
            for _post in range(20):
                body = text()
                status, reply = seeder.call("POST", "/api/posts", {"body": body})
                if status != 201:
                    raise SystemExit(f"seeding a post answered {status}")
                post = reply["data"]
                ledger.bodies[post["id"]], ledger.tokens[post["id"]] = {body}, post["token"]
                made.append(post["id"])
            seeds.append(made)
        figures = {}
        for name, shares in (("reads only", READS_ONLY), ("90% reads, 10% writes", NINETY_TEN)):
            ledger.read_seconds = []
            for thread in started(threads, port, ledger, seconds, shares, seeds):
                thread.join()
            times = ledger.read_seconds
            figures[name] = percentile(times, 0.99)
            print(f"{name:24} {len(times) / seconds:>7.0f} reads/s   p50 "
                  f"{percentile(times, 0.5):6.2f} ms   p99 {figures[name]:6.2f} ms", flush=True)
        ratio = figures["90% reads, 10% writes"] / figures["reads only"]
        print(f"p99 of reads under writes: {ratio:.2f}x its value with no writes "
              f"({workers} workers, {threads} clients)")
    except BaseException:
        server.kill()
        raise
    return verdict(checked(server, port, ledger))


def run(seconds: float, threads: int, workers: int, kill_every: float, env: dict) -> int:
    migrate(env)
    server, port = start_server(env, workers)
    ledger = Ledger()
    deadline = time.monotonic() + seconds
    pool = started(threads, port, ledger, seconds, MIXED, [[] for _ in range(threads)])
    kills = 0
    try:
        while any(t.is_alive() for t in pool):
            time.sleep(kill_every or 0.5)
            if kill_every and time.monotonic() < deadline - 1:
                victims = gunicorn_workers(server.pid)
                if victims:
                    os.kill(random.choice(victims), signal.SIGKILL)  # noqa: S311
                    kills += 1
        for thread in pool:
            thread.join()
    except BaseException:
        server.kill()
        raise
    problems = checked(server, port, ledger)
    print(
        f"{ledger.requests} requests in {seconds:.0f} s "
        f"({ledger.requests / seconds:.0f}/s) with {threads} clients, {workers} workers, "
        f"{kills} workers killed"
    )
    print("statuses:", dict(sorted(ledger.statuses.items())))
    print(f"posts acknowledged: {len(ledger.bodies)}, deleted: {len(ledger.deleted)}")
    return verdict(problems)


def checked(server: subprocess.Popen, port: int, ledger: Ledger) -> list[str]:
    """What went wrong: acknowledged writes that don't read back, 5xx answers, and a
    locked database in the log of the server, which this stops."""
    try:
        problems = verify(port, ledger) + ledger.errors
    finally:
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=30)
    if "database is locked" in log:
        problems.append("the server logged 'database is locked'")
    return problems


def verdict(problems: list[str]) -> int:
    for problem in problems[:20]:
        print("PROBLEM:", problem)
    print("OK: nothing acknowledged was lost" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=0)
    parser.add_argument("--p99", action="store_true", help="reads' p99 with and without writes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="writeas-load-") as tmp:
        env = {**os.environ, "INSTANCE_PATH": tmp, "RATELIMIT_ENABLED": "false"}
        if args.p99:
            sys.exit(p99(args.seconds, args.threads, args.workers, env))
        sys.exit(run(args.seconds, args.threads, args.workers, args.kill_every, env))


if __name__ == "__main__":
    main()
