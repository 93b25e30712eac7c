"""Serving a peer's Quart app; used inside the peer processes, never by tests.

hypercorn rather than `app.run`: it binds exactly 127.0.0.1:PORT (with SO_REUSEADDR, so a
peer restarted on its old port binds at once), and stops when SIGTERM arrives. A watchdog
ends the peer when the process that started it is gone, so a test run killed with -9
leaves no peer behind."""

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

import _peer_offline


def arguments() -> tuple[Path, int]:
    """(the peer's working directory, its port), with the offline JSON-LD and network
    guards in place: before anything imports bovine."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    workdir = Path.cwd()
    _peer_offline.prepare(workdir)
    return workdir, port


async def _orphan_watch(parent: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != parent:
            stop.set()
            return
        await asyncio.sleep(0.5)


async def _serve(app, port: int) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = "-"
    config.errorlog = "-"
    config.graceful_timeout = 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    parent = os.environ.get("PEER_PARENT_PID")
    watch = asyncio.ensure_future(_orphan_watch(int(parent), stop)) if parent else None
    try:
        await serve(app, config, shutdown_trigger=stop.wait)
    finally:
        if watch:
            watch.cancel()


def run(app, port: int) -> None:
    logging.basicConfig(
        level=os.environ.get("PEER_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_serve(app, port))
