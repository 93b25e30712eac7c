"""Identifiers and bearer secrets.

Post ids are public but must be unguessable (they are the only thing protecting an
unlisted anonymous post), so they come from `secrets`, not `random`. Bearer secrets are
stored as SHA-256 digests: they carry 128+ bits of entropy, so a slow KDF would add cost
without adding safety, and a digest lets the database index the lookup.
"""

import hashlib
import hmac
import secrets
import string
import uuid

_ID_ALPHABET = string.ascii_lowercase + string.digits
_TOKEN_ALPHABET = string.ascii_letters + string.digits
POST_ID_LENGTH = 13  # 36**13 ≈ 2**67
MODIFY_TOKEN_LENGTH = 32  # 62**32 ≈ 2**190


def new_post_id() -> str:
    return _random_string(_ID_ALPHABET, POST_ID_LENGTH)


def new_modify_token() -> str:
    return _random_string(_TOKEN_ALPHABET, MODIFY_TOKEN_LENGTH)


def _random_string(alphabet: str, length: int) -> str:
    """`secrets.choice` per character asks the kernel for randomness once per character;
    one read of twice the bytes needed almost always suffices."""
    chosen = ""
    while len(chosen) < length:
        chosen += symbols_from(alphabet, secrets.token_bytes(2 * length))
    return chosen[:length]


def symbols_from(alphabet: str, random_bytes: bytes) -> str:
    """Each byte as one symbol, keeping every symbol equally likely: a byte at or above the
    largest multiple of the alphabet's size is dropped (with 62 symbols, 248–255 would
    otherwise make the first eight likelier than the rest)."""
    size = len(alphabet)
    limit = 256 - 256 % size
    return "".join(alphabet[byte % size] for byte in random_bytes if byte < limit)


def new_uid() -> str:
    """128 random bits in hex: an identity no other row will ever have had."""
    return secrets.token_hex(16)


def new_access_token() -> str:
    return str(uuid.uuid4())


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str | None, stored_digest: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(digest(token), stored_digest)
