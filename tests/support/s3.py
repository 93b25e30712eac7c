"""A real S3 API on loopback for the media store's S3 backend: moto's standalone server
(`moto_server`, from PyPI's `moto[server]`), run as a subprocess on a free port.

It starts in a session (process group) of its own, so `stop()` ends it and whatever it
started; an atexit hook stops one a test run forgot, and the kernel ends it when the test
process dies (PR_SET_PDEATHSIG), so even a killed run leaves no orphan. Each test takes
a bucket of its own (`new_bucket`), so tests never see each other's files.
"""

import atexit
import ctypes
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
import httpx
from processes import stop_group
from serving import BIN, free_port

# moto takes any keys; these only have to be present.
ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION = "testing", "testing", "us-east-1"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class S3Server:
    def __init__(self, startup_timeout: float = 30.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None
        # moto logs every request: into a file, since a pipe nobody reads would fill up.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (kept for the server's life)

    def _log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def start(self) -> "S3Server":
        self._process = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited:\n{self._log_tail()}")
            try:
                if httpx.get(f"{self.url}/moto-api/", timeout=1.0, trust_env=False).is_success:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"moto_server did not answer within {self.startup_timeout}s:\n{self._log_tail()}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_group(process, 5)

    def client(self):
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_bucket(self) -> str:
        name = f"media-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str) -> dict:
        """The app's settings for a media store in `bucket` on this server."""
        return {
            "media_store": "s3",
            "s3_endpoint_url": self.url,
            "s3_bucket": bucket,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SECRET_ACCESS_KEY,
        }

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))
