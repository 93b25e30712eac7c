"""Argon2id password hashing (argon2-cffi): memory-hard, the current OWASP first choice.

The cost is argon2-cffi's default (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4
lanes), about 0.1 s a hash on one core, unless the operator sets `ARGON2_MEMORY_KIB` and
`ARGON2_TIME_COST` (a small host may need less memory per log-in; the test suite, which
signs up thousands of users, uses the least). The factory sets it once per process. A hash
records its own parameters, so changing them never locks anyone out: old hashes still
verify, new ones use the new cost.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure(time_cost: int, memory_kib: int) -> None:
    global _hasher
    if (time_cost, memory_kib) != (_hasher.time_cost, _hasher.memory_cost):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
