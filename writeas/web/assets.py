"""Static files under fingerprinted names (`style.<digest>.css`), served `immutable` for a
year: a browser never asks again for a file it holds, and a deploy that changes a file
changes its name, so nobody keeps an old copy.

Templates link through `asset(filename)`, never a fixed name. The plain name
(`/static/style.css`) still works, revalidated each time as Flask serves it; a name whose
digest is not the file's (a page from before a deploy) gets today's file, but not as
immutable, since its name doesn't promise what it holds.
"""

import hashlib
import re
from functools import cache
from pathlib import Path

from flask import current_app, send_from_directory, url_for

YEAR = 365 * 24 * 3600
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")


@cache
def _digest(path: Path, _mtime_ns: int) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()


def digest_of(filename: str) -> str | None:
    path = Path(current_app.static_folder, filename)
    try:
        return _digest(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def asset(filename: str) -> str:
    digest = digest_of(filename)
    if digest is None:
        return url_for("static", filename=filename)
    stem, dot, suffix = filename.rpartition(".")
    return url_for("static", filename=f"{stem}.{digest}{dot}{suffix}")


def serve(filename: str):
    """Flask's static view, with fingerprinted names understood."""
    folder = current_app.static_folder
    match = _FINGERPRINTED.match(filename)
    if match is not None:
        plain = match["stem"] + match["suffix"]
        if digest_of(plain) is not None:
            response = send_from_directory(folder, plain)
            if digest_of(plain) == match["digest"]:
                response.cache_control.no_cache = None
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
            return response
    return send_from_directory(folder, filename)


def register(app) -> None:
    app.view_functions["static"] = serve
    app.add_template_global(asset, "asset")
