"""Driving wrk against one server process: the server pinned to CPU 0, wrk to CPU 1 (when
`taskset` exists and there are two), so neither steals the other's core."""

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from serving import BIN, ROOT, free_port


def pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def run_wrk(url: str, seconds: int, connections: int, lua: Path | None) -> tuple[float, str]:
    """req/s and p99 of one run; any answer that is not 2xx or 3xx stops the benchmark, so
    a figure never counts errors as work."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if lua:
        command[1:1] = ["-s", str(lua)]
    output = subprocess.run(pinned(1, command), capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} non-2xx responses\n{output}")
    return rps, p99


def start(command: list[str], env: dict, probe: str = "/") -> tuple[subprocess.Popen, str]:
    """`command` (which takes `{port}`) on CPU 0; its base URL once `probe` answers."""
    port = free_port()
    argv = [part.format(port=port) for part in command]
    server = subprocess.Popen(pinned(0, argv), cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + probe)
    except BaseException:
        server.kill()
        raise
    return server, base


def serve(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    """One gunicorn sync worker serving `app`."""
    command = ["-w", "1", "-b", "127.0.0.1:{port}", "--log-level", "warning", app]
    return start([str(BIN / "gunicorn"), *command], env)
