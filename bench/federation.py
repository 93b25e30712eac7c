"""Federation's fan-out, measured: publishing to a blog with 10,000 followers on 500 hosts
must cost the request what publishing to a blog with none does, and the worker's rate
through the deliveries is what this prints.

    .venv/bin/python bench/federation.py [--followers 10000] [--hosts 500] [--threads 1 4]

The inboxes are 500 loopback addresses (127.0.1.1, 127.0.1.2, …: every 127/8 address is
the machine itself), each a tiny asyncio server that reads the request and answers 202.
The publish requests go through the app in process (the median of 40 each way); the
deliveries are made by a real huey consumer with the given number of worker threads, on a
fresh SQLite database.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from serving import BIN, ROOT, free_port

PUBLISHES = 40


def inboxes(hosts: int, port: int) -> tuple[list[str], dict]:
    """Start the inbox servers in a thread; answers their URLs and a live request count."""
    addresses = [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(hosts)]
    counter = {"requests": 0}
    ready = threading.Event()

    async def answer(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                counter["requests"] += 1
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def serve():
        loop = asyncio.new_event_loop()
        for address in addresses:
            loop.run_until_complete(asyncio.start_server(answer, address, port))
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(30)
    return [f"http://{address}:{port}/inbox" for address in addresses], counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    urls, counter = inboxes(args.hosts, free_port())
    folder = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    env = {
        **os.environ,
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "SITE_URL": "http://127.0.0.1:9",
        "ALLOW_PRIVATE_NETWORK_TARGETS": "true",
        "RATELIMIT_ENABLED": "false",
    }
    env.pop("HUEY_IMMEDIATE", None)
    os.environ.clear()
    os.environ.update(env)  # the app below reads its settings from here, as the worker does

    from sqlalchemy import func, insert, select

    from writeas import create_app
    from writeas.core.db import db
    from writeas.core.models import Activity, Collection, FederationDelivery, Follower
    from writeas.federation import keys, signatures

    app = create_app()
    with app.app_context():
        db.create_all()
    client = app.test_client()
    token = client.post("/api/auth/signup", json={"alias": "big", "pass": "bench-pass-1"}).json
    headers = {"Authorization": f"Token {token['data']['access_token']}"}
    client.post("/api/collections", json={"title": "Quiet", "alias": "quiet"}, headers=headers)
    with app.app_context():
        blog = db.session.scalar(select(Collection).where(Collection.alias == "big"))
        rows = [
            {"collection_id": blog.id, "actor_id": f"{urls[n % len(urls)][:-6]}/users/{n}",
             "inbox": f"{urls[n % len(urls)][:-6]}/users/{n}/inbox",
             "shared_inbox": urls[n % len(urls)], "follow_id": f"f{n}"}
            for n in range(args.followers)
        ]
        db.session.execute(insert(Follower), rows)
        db.session.commit()

    def publish(alias: str) -> float:
        started = time.perf_counter()
        response = client.post(f"/api/collections/{alias}/posts", json={"body": "x " * 200},
                               headers=headers)
        assert response.status_code == 201, response.json
        return time.perf_counter() - started

    for alias in ("quiet", "big"):
        publish(alias)  # warm
    quiet = statistics.median(publish("quiet") for _ in range(PUBLISHES))
    big = statistics.median(publish("big") for _ in range(PUBLISHES))
    print(f"publish request, median of {PUBLISHES}: no followers {quiet * 1000:.2f} ms, "
          f"{args.followers} followers on {args.hosts} hosts {big * 1000:.2f} ms")

    with app.app_context():
        big_blog = db.session.scalar(select(Collection).where(Collection.alias == "big"))
        private = keys.blog_key(big_blog)
        body = b"{}" * 500
        started = time.perf_counter()
        for _ in range(500):
            signatures.sign("POST", urls[0], key_id="k", private_key=private, body=body)
        signing = 500 / (time.perf_counter() - started)
    print(f"signing: {signing:.0f} requests/s on one core (the loaded key is cached)")

    for threads in args.threads:
        before = counter["requests"]
        with app.app_context():  # only the next publish is measured: drop the backlog
            db.session.execute(FederationDelivery.__table__.delete())
            db.session.execute(Activity.__table__.update().values(fanned_out=True))
            db.session.commit()
        app.extensions["writeas.queue"].huey.flush()
        worker = subprocess.Popen(
            [str(BIN / "huey_consumer"), "writeas.worker.huey", "-w", str(threads), "-k", "thread"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            publish("big")
            started = time.perf_counter()
            while counter["requests"] - before < args.hosts and time.perf_counter() - started < 600:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            with app.app_context():
                delivered = db.session.scalar(
                    select(func.count()).select_from(FederationDelivery)
                    .where(FederationDelivery.status == "delivered")
                )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        sent = counter["requests"] - before
        print(f"fan-out with {threads} worker thread(s): {sent} inbox requests for "
              f"{args.followers} followers in {elapsed:.2f} s = {sent / elapsed:.0f} "
              f"deliveries/s ({delivered} rows marked delivered)")


if __name__ == "__main__":
    main()
