"""Keeps a peer process off the internet; imported by the peer scripts, never by tests.

CI may have no internet, and a test that passes only because w3id.org answered is a test
that fails on the next train. Two things make the peers self-contained:

* bovine resolves JSON-LD contexts through pyld with its own document loader, which
  consults a cache (`bovine_jsonld_cache.sqlite` in the working directory, read once when
  `bovine.jsonld` is imported) before fetching. `seed_jsonld_cache` writes the vendored
  contexts (`contexts/`) into that cache, so they are never fetched. It must run before
  anything imports bovine. When a fetch fails, bovine silently substitutes an empty
  context and caches *that*, so an offline miss would otherwise go unnoticed and change
  how documents compact: `watch_jsonld_loader` records every context URL that was not
  answered locally (`jsonld_misses.jsonl`), for the harness to assert on.
* `guard_network` installs an audit hook that refuses any socket connection (and any name
  lookup through the socket module) to a non-loopback address, and records the attempt
  (`network_violations.jsonl`). The peers only ever need loopback; anything else is a bug
  in the harness or a context we forgot to vendor.
"""

import ipaddress
import json
import socket
import sqlite3
import sys
import time
from pathlib import Path

CONTEXTS = Path(__file__).resolve().parent / "contexts"
JSONLD_CACHE = "bovine_jsonld_cache.sqlite"
MISSES = "jsonld_misses.jsonl"
VIOLATIONS = "network_violations.jsonl"

# Context URLs bovine's loader answers itself without a fetch (bovine/jsonld/__init__.py).
BUILT_IN = ("about:bovine", "https://www.w3.org/ns/activitystreams")
BUILT_IN_PREFIXES = ("http://joinmastodon.org/ns",)
# Spellings of the ActivityStreams context other servers use; answered with bovine's
# built-in copy rather than fetched.
ACTIVITYSTREAMS_ALIASES = (
    "http://www.w3.org/ns/activitystreams",
    "https://www.w3.org/ns/activitystreams.jsonld",
    "http://www.w3.org/ns/activitystreams.jsonld",
)


def vendored_contexts() -> dict[str, object]:
    """URL -> the value of the document's "@context", for every vendored context."""
    index = json.loads((CONTEXTS / "index.json").read_text())
    return {
        url: json.loads((CONTEXTS / name).read_text())["@context"] for url, name in index.items()
    }


def seed_jsonld_cache(workdir: Path) -> None:
    """Write the vendored contexts into bovine's cache file (the table bovine creates)."""
    with sqlite3.connect(workdir / JSONLD_CACHE) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        connection.executemany(
            "INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
            [(url, json.dumps(context)) for url, context in vendored_contexts().items()],
        )
    connection.close()


def _record(workdir: Path, name: str, entry: dict) -> None:
    with open(workdir / name, "a", encoding="utf-8") as log:
        log.write(json.dumps({"at": time.time(), **entry}) + "\n")


def watch_jsonld_loader(workdir: Path) -> None:
    """Wrap pyld's global document loader (bovine's) to record contexts it had to fetch.
    Call after importing bovine.jsonld, which installs that loader."""
    import bovine.jsonld
    from pyld import jsonld

    cache = bovine.jsonld.jsonld_cache.cache
    for alias in ACTIVITYSTREAMS_ALIASES:
        cache.setdefault(alias, bovine.jsonld.activitystreams_context)
    loader = jsonld.get_document_loader()

    def watched(url, options=None):
        answered_locally = url in cache or url in BUILT_IN or url.startswith(BUILT_IN_PREFIXES)
        if not answered_locally:
            _record(workdir, MISSES, {"url": url})
        return loader(url, options or {})

    jsonld.set_document_loader(watched)


def _is_loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def guard_network(workdir: Path) -> None:
    """Refuse (PermissionError) and record any connection or lookup off loopback."""

    def hook(event, args):
        if event == "socket.connect":
            sock, address = args
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                _record(workdir, VIOLATIONS, {"event": event, "address": list(address[:2])})
                raise PermissionError(f"peer is offline: connect to {address[0]} refused")
        elif event == "socket.getaddrinfo":
            host = args[0]
            if not _is_loopback(host):
                host = host.decode() if isinstance(host, bytes) else host
                _record(workdir, VIOLATIONS, {"event": event, "address": [host, args[1]]})
                raise PermissionError(f"peer is offline: lookup of {host} refused")

    sys.addaudithook(hook)


def prepare(workdir: Path) -> None:
    """Everything a peer does before importing bovine."""
    guard_network(workdir)
    seed_jsonld_cache(workdir)
