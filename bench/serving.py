"""What the benchmark, the load test and the tests that start real servers share: where
the project and the virtualenv's commands are, a free loopback port, and `flask` commands
(migrations first of all) run as the deployment runs them."""

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *arguments: str, timeout: float = 120) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=timeout,
    )


def migrate(env: dict) -> None:
    flask(env, "db", "upgrade")
