"""The reference AT Protocol servers from npm, run on loopback for the Bluesky tests.

`ReferencePDS` starts a PLC directory (`@did-plc/server`, in memory) and a PDS
(`@atproto/pds`, SQLite and blobs in a temporary directory) as two Node processes on free
loopback ports, and waits until both answer. The versions are pinned in `package.json` and
installed by `make atproto` (`npm ci` in this folder); `available()` says whether they are.

Both run offline: the PDS knows no crawler, relay, app view or mail server, resolves DIDs
on the local directory only, and `offline.js` refuses (and records, for
`network_violations`) any connection or name lookup off loopback. They start in a new
session (process group) that `stop()` ends, and exit by themselves when the test process
is gone (`serve.js`), so a killed run leaves no servers behind.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from processes import stop_group
from serving import free_port

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node") or "node"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
POST = "app.bsky.feed.post"
# The PDS's repository-write limit (its index.js): points an hour, what a create costs,
# and the most writes one applyWrites takes.
_HOURLY_WRITE_POINTS, _CREATE_POINTS, _MAX_WRITES = 5000, 3, 200


class ServerError(RuntimeError):
    """A server failed to start, or refused what the harness asked of it."""


def available() -> str:
    """Why the servers can't run here ("" when they can)."""
    if not shutil.which("node"):
        return "Node.js is not installed"
    if not (HERE / "node_modules" / "@atproto" / "pds").is_dir():
        return "the reference PDS is not installed (make atproto)"
    return ""


class _Process:
    """One service of serve.js in a working directory of its own."""

    def __init__(
        self, service: str, workdir: Path, port: int, health: str, env: dict, timeout: float
    ):
        self.service = service
        self.workdir = workdir
        self.base_url = f"http://127.0.0.1:{port}"
        self.health = health
        self.env = env
        self.timeout = timeout
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if key.lower() not in _PROXY_VARIABLES and key != "NODE_OPTIONS"
        }
        env.update(self.env, HARNESS_PARENT_PID=str(os.getpid()))
        with open(self.workdir / "server.log", "ab") as log:
            self._process = subprocess.Popen(
                [NODE, "--require", str(HERE / "offline.js"), str(HERE / "serve.js"), self.service],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerError(
                    f"{self.service} exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.base_url + self.health, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise ServerError(
            f"{self.service} did not answer within {self.timeout}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_group(process, 10)

    def log_tail(self, lines: int = 40) -> str:
        path = self.workdir / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def network_violations(self) -> list[dict]:
        path = self.workdir / "network_violations.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class User:
    """An account on the PDS: its login password, and an app password made for us."""

    handle: str
    did: str
    password: str
    app_password: str


class ReferencePDS:
    """A PLC directory and a PDS that uses it; a context manager.

    :param rate_limits: the PDS's own rate limits (off by default, as in its dev mode, so
        that a test module's sessions don't run into them).
    :param workdir: where both keep their data and logs; default a new temporary directory
        that `stop()` removes.
    """

    def __init__(
        self, rate_limits: bool = False, workdir: Path | None = None, timeout: float = 60.0
    ):
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="atproto-"))
        plc_port, pds_port = free_port(), free_port()
        self.plc = _Process(
            "plc", self.workdir / "plc", plc_port, "/_health", {"PLC_PORT": str(plc_port)}, timeout
        )
        data = self.workdir / "pds"
        environment = {
            "PDS_HOSTNAME": "localhost",  # handles under .test, the public URL on loopback
            "PDS_PORT": str(pds_port),
            "PDS_DATA_DIRECTORY": str(data),
            "PDS_BLOBSTORE_DISK_LOCATION": str(data / "blobs"),
            "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": secrets.token_hex(32),
            "PDS_JWT_SECRET": secrets.token_hex(32),
            "PDS_DPOP_SECRET": secrets.token_hex(32),
            "PDS_ADMIN_PASSWORD": secrets.token_hex(16),
            "PDS_DID_PLC_URL": self.plc.base_url,
            "PDS_INVITE_REQUIRED": "false",
            "PDS_RATE_LIMITS_ENABLED": "true" if rate_limits else "false",
            # Nothing to announce the repository to, no app view to proxy to, no mail.
            "PDS_CRAWLERS": "",
            "PDS_BSKY_APP_VIEW_URL": "",
            "PDS_DEV_MODE": "true",
            "LOG_ENABLED": "false",
        }
        self.pds = _Process("pds", data, pds_port, "/xrpc/_health", environment, timeout)
        self.base_url = self.pds.base_url

    def start(self) -> "ReferencePDS":
        try:
            self.plc.start()
            self.pds.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.pds.stop()
        self.plc.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "ReferencePDS":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def network_violations(self) -> list[dict]:
        """Connections or lookups off loopback either server attempted (and was refused)."""
        return self.plc.network_violations() + self.pds.network_violations()

    def xrpc(self, method: str, nsid: str, token: str = "", **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(
            method, f"{self.base_url}/xrpc/{nsid}", headers=headers, timeout=30.0, **kwargs
        )
        if not response.is_success:
            raise ServerError(f"{nsid} answered {response.status_code}: {response.text}")
        return response.json()

    def create_user(self, name: str) -> User:
        """An account `name.test` (createAccount: its DID is registered on the local PLC),
        with an app password (createAppPassword), as a person sets one up for us."""
        password = secrets.token_urlsafe(16)
        account = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json={"handle": f"{name}.test", "email": f"{name}@example.test", "password": password},
        )
        made = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            token=account["accessJwt"],
            json={"name": "writeas-py"},
        )
        return User(account["handle"], account["did"], password, made["password"])

    def list_records(self, did: str, collection: str = POST) -> list[dict]:
        """Every record of the collection in the repository (a test's few fit one page)."""
        params = {"repo": did, "collection": collection, "limit": 100}
        return self.xrpc("GET", "com.atproto.repo.listRecords", params=params)["records"]

    def use_up_writes(self, user: User) -> httpx.Response:
        """Spend all but two of the account's hourly repository-write points (5000; a
        create costs 3) in a few applyWrites calls, so its next create is refused with a
        429. Answers the PDS's response to the last call, whose headers tell the limit."""
        token = self.xrpc(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": user.did, "password": user.password},
        )["accessJwt"]
        record = {"$type": POST, "text": "filler", "createdAt": "2026-01-01T00:00:00.000Z"}
        budget = _HOURLY_WRITE_POINTS
        while budget >= _CREATE_POINTS:
            creates = min(_MAX_WRITES, budget // _CREATE_POINTS)
            write = {"$type": "com.atproto.repo.applyWrites#create", "collection": POST}
            response = httpx.post(
                f"{self.base_url}/xrpc/com.atproto.repo.applyWrites",
                headers={"Authorization": f"Bearer {token}"},
                json={"repo": user.did, "writes": [{**write, "value": record}] * creates},
                timeout=60.0,
            )
            if not response.is_success:
                raise ServerError(f"applyWrites answered {response.status_code}: {response.text}")
            budget -= creates * _CREATE_POINTS
        return response

    def get_record(self, uri: str) -> dict:
        """The record at an at:// URI, read back from the repository."""
        repo, collection, rkey = uri.removeprefix("at://").split("/")
        params = {"repo": repo, "collection": collection, "rkey": rkey}
        return self.xrpc("GET", "com.atproto.repo.getRecord", params=params)

    def blob(self, did: str, cid: str) -> bytes:
        response = httpx.get(
            f"{self.base_url}/xrpc/com.atproto.sync.getBlob",
            params={"did": did, "cid": cid},
            timeout=30.0,
        )
        if not response.is_success:
            raise ServerError(f"getBlob answered {response.status_code}: {response.text}")
        return response.content
