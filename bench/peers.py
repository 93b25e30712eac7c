"""Side by side with a Python peer, in the same run: `bench.py --peers`.

pinnwand is the pastebin that, like us, highlights a paste when it is made (it guesses the
language with Pygments' `guess_lexer` when asked to `autodetect`). It is installed from
PyPI into its own virtualenv (~/.cache/writeas-bench/pinnwand, made once), serves on one
Tornado process on CPU 0 with a SQLite file and its rate limits lifted, and gets the same
paste (`pastes.py`) through its API; then we get it, on one gunicorn sync worker.
"""

import os
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

import pastes
from wrk import start

VENV = Path.home() / ".cache" / "writeas-bench" / "pinnwand"
PINNWAND = "pinnwand==1.5.0"
UNLIMITED = "\n".join(
    f"[ratelimit.{area}]\ncapacity = 1000000000\nconsume = 1\nrefill = 1000000000\n"
    for area in ("read", "create", "delete")
)


def pinnwand_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.create(VENV, with_pip=True)
    done = VENV / f"{PINNWAND}.installed"
    if not done.exists():
        subprocess.run([str(python), "-m", "pip", "install", "-q", PINNWAND], check=True)
        done.touch()
    return python


def pinnwand_shape(text: str) -> dict:
    return {"expiry": "1day", "files": [{"lexer": "autodetect", "content": text}]}


def serve_pinnwand(tmp: str) -> tuple[subprocess.Popen, str]:
    config = Path(tmp) / "pinnwand.toml"
    config.write_text(f'database_uri = "sqlite:///{tmp}/pinnwand.db"\n{UNLIMITED}')
    command = [str(pinnwand_python()), "-m", "pinnwand", "--configuration-path", str(config),
               "http", "--port", "{port}"]
    return start(command, {**os.environ, "PYTHONPATH": ""})


def measure(tmp: str, ours: str, measure_one: Callable[..., float]) -> None:
    """`ours` is our base URL; `measure_one(name, url, script)` runs and prints a scenario
    and returns its req/s."""
    server, base = serve_pinnwand(tmp)
    try:
        theirs = measure_one(
            "pinnwand: create a 200-line paste", base + "/api/v1/paste",
            pastes.script(tmp, "pinnwand", pinnwand_shape),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    mine = measure_one("us: create a 200-line paste", ours + "/api/posts",
                       pastes.script(tmp, "ours"))
    print(f"{'us / pinnwand':40} {mine / theirs:>10.2f}x", file=sys.stdout, flush=True)
