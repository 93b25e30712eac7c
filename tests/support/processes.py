"""The project's own processes, started for real by the tests that need more than one:
gunicorn, the huey consumer, `flask crossposts sweep` and migrations; and how a server
started in a session of its own (moto, the PDS) is stopped."""

import os
import signal
import subprocess

from serving import BIN, ROOT, flask, migrate

__all__ = ["environment", "migrate", "start_consumer", "stop_group", "sweep"]


def environment(database_url: str, **settings: str) -> dict:
    """The test's environment for a child process: its database, the loopback platform
    servers allowed, and the real queue (not the in-process immediate mode)."""
    env = {key: value for key, value in os.environ.items() if key != "HUEY_IMMEDIATE"}
    env.update(DATABASE_URL=database_url, ALLOW_PRIVATE_NETWORK_TARGETS="true", **settings)
    return env


def start_consumer(env: dict, workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "huey_consumer"), "writeas.worker.huey", "-w", str(workers), "-k", "thread",
         "-m", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sweep(env: dict) -> None:
    flask(env, "crossposts", "sweep", timeout=60)


def stop_group(process: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM to the process's whole group (its children too), SIGKILL after `grace`."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(grace)
