"""Credentials at rest: AES-256-GCM with a random 96-bit nonce per value and a key id in
front, so keys can rotate — new values use the first key, old values still open with the
key they name.

Keys come from `CREDENTIALS_KEYS` (`id:base64key[,id:base64key…]`, the first encrypts);
without it a key is generated once into the instance folder, like the secret key.
"""

import base64
import json
import os
import secrets
from functools import cached_property
from pathlib import Path

_NONCE = 12
_VERSION = "v1"


class SecretBox:
    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise ValueError("at least one key is needed")
        self._current = keys[0][0]
        self._raw = dict(keys)

    @cached_property
    def _keys(self) -> dict:
        """The ciphers, made on the first seal or open: cryptography's native library (about
        10 MB) then loads in the processes that handle credentials or keys, not in every one."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return {key_id: AESGCM(key) for key_id, key in self._raw.items()}

    def seal(self, value: dict, context: str) -> str:
        """`context` (e.g. the channel's owner and platform) is bound as associated data, so
        a sealed value copied onto another row won't open there."""
        nonce = secrets.token_bytes(_NONCE)
        plain = json.dumps(value, separators=(",", ":")).encode()
        sealed = self._keys[self._current].encrypt(nonce, plain, context.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{_VERSION}:{self._current}:{token}"

    def open(self, sealed: str, context: str) -> dict:
        from cryptography.exceptions import InvalidTag

        try:
            version, key_id, token = sealed.split(":", 2)
            raw = base64.urlsafe_b64decode(token)
            if version != _VERSION or key_id not in self._raw:
                raise ValueError("unknown key")
            plain = self._keys[key_id].decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
        except (ValueError, InvalidTag) as error:
            raise ValueError("credentials could not be decrypted") from error
        return json.loads(plain)

    def key_id_of(self, sealed: str) -> str:
        return sealed.split(":", 2)[1]

    @property
    def current_key_id(self) -> str:
        return self._current


def _parse(spec: str) -> list[tuple[str, bytes]]:
    keys = []
    for entry in spec.split(","):
        key_id, _, encoded = entry.strip().partition(":")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not key_id or len(key) != 32:
            raise RuntimeError("CREDENTIALS_KEYS entries must be id:<32 bytes, base64>")
        keys.append((key_id, key))
    return keys


def load_keys(instance_path: str, spec: str = "") -> list[tuple[str, bytes]]:
    """The keys `spec` (CREDENTIALS_KEYS) names, or the one generated into the instance."""
    spec = spec.strip()
    if spec:
        return _parse(spec)
    key_file = Path(instance_path) / "credentials_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        encoded = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"local:{encoded}")
        except FileExistsError:
            pass
    return _parse(key_file.read_text().strip())
