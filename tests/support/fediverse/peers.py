"""Real fediverse software from PyPI, run as peers our federation code talks to.

`Pasture` runs fediverse-pasture (a minimal, strict ActivityPub actor plus pasture's
`verify_actor` checker); `Bovine` runs bovine-herd (a full ActivityPub server) with one
user, alice. Each peer is a subprocess with a working directory of its own, on a free
loopback port:

* a subprocess, because bovine opens `./bovine_jsonld_cache.sqlite` the moment it is
  imported (a connection bound to the importing thread), tortoise-orm keeps global state,
  and both want an event loop of their own; none of that may leak into the test process,
  which therefore never imports bovine, pasture or Quart. It drives a peer over HTTP
  (`/_harness/…` on the peer) and reads what the peer recorded from its directory.
* its own directory, because that is where each keeps its state (keys, database, what
  arrived), so `stop()` then `start()` brings the same peer back on the same port, and a
  test can take a peer down to see what our server does while it is gone.
* offline: peers answer JSON-LD contexts from copies vendored in `contexts/`, refuse any
  connection off loopback, and record what they would have fetched
  (`jsonld_misses()`, `network_violations()`); see `_peer_offline.py`.

Peers start in a new session (process group); `stop()` ends the group, an atexit hook stops
any peer a test forgot, and each peer exits on its own when its parent process is gone,
so even a killed test run leaves no orphans.
"""

import atexit
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import httpx
from processes import stop_group
from serving import free_port

HERE = Path(__file__).resolve().parent
ACTIVITY_JSON = "application/activity+json"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_live: "weakref.WeakSet[Peer]" = weakref.WeakSet()


class PeerError(RuntimeError):
    """A peer failed to start, or refused what the harness asked it to do."""


class PeerTimeout(AssertionError):
    """`wait_for` saw nothing matching in time: an assertion failure, not an error."""


def read_jsonl(path: Path) -> list[dict]:
    """Lines of a JSONL file a peer is appending to; a half-written last line is skipped."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def poll(fetch: Callable[[], list[dict]], predicate, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        items = fetch()
        for item in items:
            if predicate(item):
                return item
        if time.monotonic() >= deadline:
            seen = json.dumps(items, indent=1, default=str)[:4000]
            raise PeerTimeout(f"no matching {what} within {timeout}s; saw {len(items)}:\n{seen}")
        time.sleep(0.1)


class Peer:
    """A peer process: start/stop (repeatable, same port, same directory), context manager.

    :param workdir: where the peer keeps its state and log (`peer.log`); pass a pytest
        `tmp_path` subdirectory to keep them after a failure. Default: a new temporary
        directory, removed by `close()`.
    :param port: the loopback port; default: a free one, kept across restarts.
    :param startup_timeout: seconds `start()` waits for the peer to answer.
    """

    script: str = ""
    name: str = "peer"

    def __init__(
        self,
        workdir: str | Path | None = None,
        port: int | None = None,
        startup_timeout: float = 30.0,
    ):
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.domain}"
        self.startup_timeout = startup_timeout
        self.info: dict = {}
        self._process: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _environment(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if key.lower() not in _PROXY_VARIABLES and key != "PYTHONPATH"
        }
        env.update(PEER_PARENT_PID=str(os.getpid()), PYTHONUNBUFFERED="1")
        return env

    def start(self):
        """Start the peer (again) and wait until it answers; returns the peer."""
        if self.running:
            return self
        self._log = open(self.workdir / "peer.log", "ab")  # noqa: SIM115 (closed in stop)
        self._process = subprocess.Popen(
            [sys.executable, str(HERE / self.script), "--port", str(self.port)],
            cwd=self.workdir,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _live.add(self)
        try:
            self.info = self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> dict:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PeerError(
                    f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                response = httpx.get(
                    f"{self.base_url}/_harness/ready", timeout=1.0, trust_env=False
                )
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise PeerError(
            f"{self.name} did not answer within {self.startup_timeout}s:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the peer (SIGTERM to its process group, SIGKILL if it lingers). Its
        directory, and so everything it keeps, stays for the next `start()`."""
        process, self._process = self._process, None
        stop_group(process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        _live.discard(self)

    def restart(self):
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop, and remove the working directory if the peer made it."""
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- diagnostics -----------------------------------------------------------------

    def log_tail(self, lines: int = 60) -> str:
        path = self.workdir / "peer.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def jsonld_misses(self, since: float = 0.0) -> list[str]:
        """JSON-LD context URLs the peer could not answer from its vendored copies (it
        would have fetched them; offline, bovine substitutes an empty context), after
        `since` (epoch seconds)."""
        entries = read_jsonl(self.workdir / "jsonld_misses.jsonl")
        return [entry["url"] for entry in entries if entry["at"] >= since]

    def network_violations(self, since: float = 0.0) -> list[dict]:
        """Connections or name lookups off loopback the peer attempted (and was refused)
        after `since`: `{"at", "event": "socket.connect" | "socket.getaddrinfo",
        "address": [host, port]}`."""
        entries = read_jsonl(self.workdir / "network_violations.jsonl")
        return [entry for entry in entries if entry["at"] >= since]

    # -- talking to the peer's /_harness/ endpoints ------------------------------------

    def _call(self, method: str, path: str, payload: dict | None = None, timeout: float = 60.0):
        if not self.running:
            raise PeerError(f"{self.name} is not running")
        response = httpx.request(
            method,
            f"{self.base_url}/_harness/{path}",
            json=payload,
            timeout=timeout,
            trust_env=False,
        )
        if response.status_code != 200:
            raise PeerError(
                f"{self.name} /_harness/{path} answered {response.status_code}: "
                f"{response.text[:2000]}\n{self.log_tail(30)}"
            )
        return response.json()


class Pasture(Peer):
    """fediverse-pasture with one actor, `actor`, that records every POST its inbox
    accepts. The inbox requires an HTTP signature (a missing or bad one gets 401 and is
    not recorded). The pasture actor's RSA key signs what `send`/`fetch` send.

    Attributes: `base_url`, `domain` ("127.0.0.1:PORT"), `actor_id` (`{base_url}/actor`),
    `inbox_url`, `key_id` (`{actor_id}#main`), `acct` (`acct:actor@127.0.0.1:PORT`),
    `public_key_pem`, `workdir`, `port`.
    """

    script = "_pasture_peer.py"
    name = "pasture"

    def __init__(self, workdir=None, port=None, startup_timeout: float = 30.0):
        super().__init__(workdir, port, startup_timeout)
        self.actor_id = f"{self.base_url}/actor"
        self.inbox_url = f"{self.actor_id}/inbox"
        self.key_id = f"{self.actor_id}#main"
        self.acct = f"acct:actor@{self.domain}"
        self.public_key_pem: str | None = None

    def start(self):
        super().start()
        self.key_id = self.info["key_id"]
        self.public_key_pem = self.info["public_key"]
        return self

    # -- what arrived ----------------------------------------------------------------

    def records(self, actor_name: str | None = "actor") -> list[dict]:
        """Every accepted inbox POST, oldest first: `{"at": epoch seconds, "actor_name",
        "path", "headers": {...as received...}, "key_id": the signature's keyId or None,
        "activity": the parsed JSON body}`. `actor_name=None` includes the inboxes of
        pasture's verify_actor test actors (alice, bob…), which take unsigned POSTs too."""
        entries = read_jsonl(self.workdir / "inbox.jsonl")
        return [e for e in entries if actor_name is None or e["actor_name"] == actor_name]

    def received(self) -> list[dict]:
        """The activities `actor`'s inbox accepted, oldest first."""
        return [entry["activity"] for entry in self.records()]

    def wait_for(self, predicate: Callable[[dict], bool] = lambda _: True, timeout: float = 10.0):
        """The first received activity matching `predicate`, polling until `timeout`."""
        return poll(self.received, predicate, timeout, "activity in pasture's inbox")

    def wait_for_record(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        """As `wait_for`, over `records()` (so the predicate sees headers and key_id)."""
        return poll(self.records, predicate, timeout, "record in pasture's inbox")

    # -- acting as the pasture actor -------------------------------------------------

    def deliver(self, inbox_url: str, activity: dict | str) -> dict:
        """POST `activity` to `inbox_url` signed by the pasture actor (bovine's signer:
        draft-cavage signature over "(request-target) host date digest content-type",
        `Digest: sha-256=…`, content type application/activity+json). Returns the answer:
        `{"status": int, "headers": {...}, "text": str, "json": parsed or None}`, or
        `{"status": None, "error": str}` when the inbox could not be reached at all."""
        return self._call("POST", "send", {"url": inbox_url, "activity": activity})

    def send(self, inbox_url: str, activity: dict | str) -> int:
        """As `deliver`; returns only the HTTP status (PeerError if nothing answered)."""
        answer = self.deliver(inbox_url, activity)
        if answer["status"] is None:
            raise PeerError(f"pasture could not reach {inbox_url}: {answer['error']}")
        return answer["status"]

    def fetch(self, url: str) -> dict:
        """GET `url` signed by the pasture actor (headers "(request-target) host date
        accept"); returns `{"status", "headers", "text", "json"}` like `deliver`."""
        return self._call("POST", "fetch", {"url": url})

    def signed_headers(
        self,
        method: str,
        url: str,
        body: bytes | str = b"",
        *,
        date: str | None = None,
        content_type: str = ACTIVITY_JSON,
    ) -> dict:
        """The headers the pasture actor would send for this request, correctly signed:
        `host`, `date`, and for POST `digest` (of `body`) and `content-type`, plus
        `signature`. `date` (an HTTP date, e.g. `email.utils.formatdate(..., usegmt=True)`)
        makes a genuinely signed but stale or future request. Tamper with the result and
        `send_raw` it to see a forged request refused."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return self._call(
            "POST",
            "sign",
            {
                "method": method,
                "url": url,
                "body_b64": base64.b64encode(raw).decode("ascii"),
                "date": date,
                "content_type": content_type,
            },
        )

    def send_raw(self, url: str, body: bytes | str, headers: dict, method: str = "POST") -> int:
        """Send exactly these bytes and headers (from the test process, no signing);
        returns the HTTP status."""
        response = httpx.request(
            method, url, content=body, headers=headers, timeout=30.0, trust_env=False
        )
        return response.status_code

    def verify_actor(self, actor_uri: str, timeout: float = 10.0) -> dict:
        """Run pasture's `ActorVerifier` (the verify_actor tool) against `actor_uri` (an
        http(s) actor id, or an acct: URI resolved by webfinger over http). Returns::

            {"actors": {"alice": {"get_actor": bool, "post_inbox": bool}, "bob": ...,
                        "claire": ..., "dean": ..., "emily": ..., "frank": ...},
             "webfinger": bool,
             "warnings": [str, ...],   # what pasture's web UI would warn about
             "steps": [str, ...]}      # pasture's log of what it did

        The test actors: alice and dean POST *unsigned* (post_inbox should be False),
        bob, claire, emily and frank POST signed (should be True; a 400 answer also
        counts); claire and frank serve their key only to a signed GET, so their
        post_inbox needs our server to sign its key fetch. alice/bob/claire have a
        webfinger handle, dean/emily/frank none. get_actor: the actor was fetched (signed
        for bob…frank, unsigned for alice and dean) and has an inbox. webfinger: the
        actor's preferredUsername @ its host resolves by webfinger (over http) to its id.
        Empty `warnings` is what pasture's UI calls a pass.
        """
        return self._call(
            "POST", "verify", {"actor_uri": actor_uri, "timeout": timeout}, timeout=timeout * 14
        )


class Bovine(Peer):
    """bovine-herd with one registered user, alice, driven through bovine's own client
    API (Moo-Auth-1 to her outbox and proxyUrl), so what she does is processed and
    delivered by bovine-herd for real. bovine-herd answers actor GETs and inbox POSTs only
    when they carry a valid HTTP signature (401 otherwise).

    Attributes: `base_url`, `domain`, `actor_id` (random: `{base_url}/endpoints/…`),
    `inbox_url`, `outbox_url`, `followers_url`, `following_url`, `key_id`
    (`{actor_id}#serverKey`), `acct` (`acct:alice@127.0.0.1:PORT`), `workdir`, `port`.
    """

    script = "_bovine_peer.py"
    name = "bovine"

    def __init__(self, workdir=None, port=None, startup_timeout: float = 30.0):
        super().__init__(workdir, port, startup_timeout)
        self.acct = f"acct:alice@{self.domain}"
        self.actor_id: str | None = None
        self.document: dict = {}

    def _environment(self) -> dict:
        # bovine's webfinger lookup of an acct: URI (used by proxyUrl for "acct:…")
        # tries https first; this is bovine's documented switch to retry over http.
        return {**super()._environment(), "BUTCHER_ALLOW_HTTP": "1"}

    def start(self):
        super().start()
        self.actor_id = self.info["actor_id"]
        self.document = self.actor()
        self.inbox_url = self.document["inbox"]
        self.outbox_url = self.document["outbox"]
        self.followers_url = self.document["followers"]
        self.following_url = self.document["following"]
        self.key_id = self.document["publicKey"]["id"]
        return self

    def actor(self) -> dict:
        """alice's actor document, as bovine shows it to alice herself."""
        return self._call("GET", "actor")

    # -- what alice does -------------------------------------------------------------

    def send(self, activity: dict) -> str:
        """POST `activity` to alice's outbox; bovine gives it (and an embedded object
        without a stored id) a new id, stores it and delivers it to the inboxes of the
        addressees (to/cc/bto/bcc/audience; her followers collection expands). Returns
        the new activity id."""
        answer = self._call("POST", "outbox", {"activity": activity})
        if answer["status"] != 201:
            raise PeerError(f"alice's outbox answered {answer['status']}: {answer['text']}")
        return answer["location"]

    def follow(self, remote_actor_id: str) -> str:
        """alice follows `remote_actor_id` (a Follow addressed to it); returns the Follow's
        id. She counts as following once an Accept of it arrives."""
        answer = self._call("POST", "follow", {"object": remote_actor_id})
        if answer["status"] != 201:
            raise PeerError(f"alice's outbox answered {answer['status']}: {answer['text']}")
        return answer["location"]

    def undo(self, activity_id: str, embed: bool = False) -> str:
        """Undo one of alice's activities (e.g. the id `follow` returned); the Undo goes
        to the original's addressees and names the original by id only (bovine's default)
        unless `embed`. Returns the Undo's id."""
        answer = self._call("POST", "undo", {"activity_id": activity_id, "embed": embed})
        if answer["status"] != 201:
            raise PeerError(f"alice's outbox answered {answer['status']}: {answer['text']}")
        return answer["location"]

    undo_follow = undo

    def accept(self, activity_id: str) -> str:
        """Accept an activity in alice's inbox (a Follow of her); returns the Accept's id."""
        answer = self._call("POST", "accept", {"activity_id": activity_id})
        if answer["status"] != 201:
            raise PeerError(f"alice's outbox answered {answer['status']}: {answer['text']}")
        return answer["location"]

    def note(self, content: str, to: list[str], in_reply_to: str | None = None, **extra) -> dict:
        """A Create of a Note by alice (not sent: pass it to `send`)."""
        note = {
            "type": "Note",
            "attributedTo": self.actor_id,
            "content": content,
            "to": to,
            **({"inReplyTo": in_reply_to} if in_reply_to else {}),
            **extra,
        }
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create",
            "actor": self.actor_id,
            "to": to,
            "object": note,
        }

    def fetch(self, url: str) -> dict:
        """Resolve `url` (or an `acct:` URI, by webfinger) through alice's proxyUrl:
        bovine GETs it signed by alice, or answers from its store (it keeps remote objects
        for a day). A 404/410 comes back as `{"type": "Tombstone", "id": url}`. The result
        is compacted against bovine's internal context ("@context": "about:bovine").
        Raises PeerError when bovine could not resolve it at all."""
        answer = self._call("POST", "fetch", {"url": url})
        if answer["status"] != 200:
            raise PeerError(
                f"bovine could not resolve {url}: {answer['status']}\n{self.log_tail(30)}"
            )
        return answer["json"]

    # -- what alice has --------------------------------------------------------------

    def inbox_items(self) -> list[dict]:
        """alice's inbox, oldest first, each activity resolved (its object and actor
        embedded, compacted against "about:bovine")."""
        return self._call("GET", "inbox")["items"]

    def wait_for(self, predicate: Callable[[dict], bool] = lambda _: True, timeout: float = 10.0):
        """The first inbox item matching `predicate`, polling until `timeout` (bovine
        processes inbox POSTs in the background, after answering 202)."""
        return poll(self.inbox_items, predicate, timeout, "item in alice's inbox")

    def collection(self, name: str) -> list[str]:
        """Item ids of one of alice's collections: "followers", "following", "outbox"."""
        return self._call("GET", f"collection?name={name}")["items"]

    def following(self) -> list[str]:
        return self.collection("following")

    def followers(self) -> list[str]:
        return self.collection("followers")


@atexit.register
def _stop_forgotten_peers() -> None:
    for peer in list(_live):
        peer.stop()
