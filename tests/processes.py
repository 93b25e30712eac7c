"""The project's own processes, started for real by the tests that need more than one:
gunicorn, the huey consumer, `flask crossposts sweep` and migrations."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def environment(database_url: str, **settings: str) -> dict:
    """The test's environment for a child process: its database, the loopback platform
    servers allowed, and the real queue (not the in-process immediate mode)."""
    env = {key: value for key, value in os.environ.items() if key != "HUEY_IMMEDIATE"}
    env.update(DATABASE_URL=database_url, ALLOW_PRIVATE_NETWORK_TARGETS="true", **settings)
    return env


def migrate(env: dict) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def start_consumer(env: dict, workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "huey_consumer"), "writeas.tasks.huey", "-w", str(workers), "-k", "thread"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sweep(env: dict) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "crossposts", "sweep"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
