"""Where uploaded files' bytes live, behind one interface: files under MEDIA_DIR for a
single host, or an S3-compatible bucket when several hosts serve one site (any of them may
be asked for a file another one took in).

Bytes never pass through the database, and never sit whole in memory: a store takes a
readable stream and gives one back, from any byte offset (for range requests).
"""

import functools
import os
import tempfile
from pathlib import Path
from typing import IO, Protocol

from writeas import settings

CHUNK = 1024 * 1024


class MissingFile(Exception):
    """The store holds nothing under that key (deleted, or never finished writing)."""


class Store(Protocol):
    def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Store everything `source` holds from its start under `key`, replacing it."""

    def open(self, key: str, start: int = 0, end: int | None = None) -> IO[bytes]:
        """The bytes from `start` up to `end` (exclusive; None: the end of the file) as a
        stream to read and close. A local file may run on past `end`: read no more than
        `end - start`."""

    def delete(self, key: str) -> None:
        """Remove the bytes; a key already gone is not an error."""


class LocalStore:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key {key!r} leaves the media folder")
        return path

    def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        source.seek(0)
        # Written beside its place and renamed into it, so a reader never sees half a file.
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def open(self, key: str, start: int = 0, end: int | None = None) -> IO[bytes]:
        try:
            stream = self._path(key).open("rb")
        except FileNotFoundError:
            raise MissingFile(key) from None
        stream.seek(start)
        return stream

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    def __init__(self, bucket: str, client):
        self.bucket = bucket
        self.client = client

    def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        source.seek(0)
        # Sent in parts (multipart above 8 MiB) as read, so a video never sits in memory.
        self.client.upload_fileobj(
            source, self.bucket, key, ExtraArgs={"ContentType": content_type}
        )

    def open(self, key: str, start: int = 0, end: int | None = None) -> IO[bytes]:
        asked = {}
        if start or end is not None:
            asked["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        from botocore.exceptions import ClientError  # loaded with the client (see `_s3`)

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **asked)["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise MissingFile(key) from None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def current() -> Store:
    """The store the settings of this app (or task, or migration) name."""
    config = settings.current()
    if config.media_store == "s3":
        return _s3(
            config.s3_bucket, config.s3_endpoint_url, config.s3_region,
            config.s3_access_key_id, config.s3_secret_access_key,
        )
    return LocalStore(config.media_dir)


@functools.lru_cache(maxsize=8)
def _s3(bucket: str, endpoint: str, region: str, key_id: str, secret: str) -> S3Store:
    """One client per bucket and keys (clients are thread-safe, and slow to build). Path-style
    addressing, which every S3-compatible server understands; empty keys leave boto3 to
    find its own (an instance role, the environment). boto3 is imported here, by the first
    S3 call, so a site on local files never loads its 25 MB."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or None,
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return S3Store(bucket, client)
