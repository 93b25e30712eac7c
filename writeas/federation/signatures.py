"""HTTP Signatures: how a fediverse server proves which actor sent a request, both ways.

We sign the draft-cavage-12 way (rsa-sha256) because it is what every ActivityPub server
accepts today, and we verify both that and RFC 9421, which newer servers have begun to send.
Verification is deliberately strict about what a signature covers: a valid signature over too
little (say only the Date) lets anyone replay it on another request, so it is refused.

Pure functions: the caller brings the keys (`resolve_key`) and the clock (`now`), which keeps
this module free of the database and the network, and testable with fixed vectors.
"""

import base64
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from writeas.core.lazy_imports import lazy

# cryptography's native library loads with the first signature made or checked, and RFC
# 9421's library (`rfc9421`) with the first request signed that way.
crypto_exceptions = lazy("cryptography.exceptions")
hashes = lazy("cryptography.hazmat.primitives.hashes")
padding = lazy("cryptography.hazmat.primitives.asymmetric.padding")
rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

# Mastodon accepts requests up to 12 hours old and 1 hour ahead: queued retries arrive late,
# and clocks drift. Stricter would refuse real deliveries; looser widens the replay window.
MAX_AGE = timedelta(hours=12)
MAX_AHEAD = timedelta(hours=1)

ACTIVITY_JSON = "application/activity+json"
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

_DEFAULT_PORTS = {"http": 80, "https": 443}
# hs2019 means "whatever the key is"; we accept only RSA keys, so it is rsa-sha256 here, as
# Mastodon treats it. The rest (hmac-*, ed25519, ecdsa-*) we have no use for and refuse.
_CAVAGE_ALGORITHMS = {"rsa-sha256", "hs2019"}
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*(?:,|\Z)')
_NO_BODY_METHODS = {"GET", "HEAD"}


class SignatureError(Exception):
    """Why a request's signature was refused (the message is safe to show the sender)."""


class _KeyLookupError(Exception):
    """Carries an exception raised by `resolve_key` past the "garbage in" net of `verify`: a key
    store that fails (the network is down) is not the sender's fault, so the caller should see
    the real error rather than a refusal."""

    def __init__(self, original: Exception):
        super().__init__(str(original))
        self.original = original


def digest(body: bytes) -> str:
    """The `Digest` header: Mastodon refuses a signed POST without one, since the signature
    covers the body only through it."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def sign(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: "rsa.RSAPrivateKey",
    body: bytes | None = None,
    content_type: str = ACTIVITY_JSON,
    accept: str = ACCEPT,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to send: Host, Date, and Signature; for a POST (body given) also Digest and
    Content-Type, signing "(request-target) host date digest content-type"; for a GET
    (no body) also Accept, signing "(request-target) host date accept". draft-cavage-12,
    algorithm rsa-sha256, Date in IMF-fixdate (GMT). Host includes the port when the URL has a
    non-default one. (request-target) is "post /path?query" lowercased method.

    The Host sent must be the one signed, so the caller should send these headers as they are
    (an HTTP client that rewrites Host would break the signature)."""
    if '"' in key_id or "\n" in key_id:
        raise ValueError("a keyId cannot hold quotes or newlines")
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    headers = {"Host": host, "Date": format_datetime(_utc(now), usegmt=True)}
    if body is not None:
        headers |= {"Digest": digest(body), "Content-Type": content_type}
        covered = ["(request-target)", "host", "date", "digest", "content-type"]
    else:
        headers["Accept"] = accept
        covered = ["(request-target)", "host", "date", "accept"]

    values = {name.lower(): value for name, value in headers.items()}
    values["(request-target)"] = f"{method.lower()} {target}"
    message = "\n".join(f"{name}: {values[name]}" for name in covered).encode()
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return headers


def verify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: "Callable[[str, bool], rsa.RSAPublicKey | None]",
    *,
    now: datetime | None = None,
    scheme: str = "https",
) -> str:
    """Verify an incoming request; answer the keyId that signed it, or raise SignatureError.
    `target` is the path with its query string as received. `headers` are looked up
    case-insensitively. `resolve_key(key_id, refresh)` gives the public key for a keyId: called
    with refresh=False first; if the signature does not verify with that key, called once more
    with refresh=True (keys rotate) and tried again; None means unknown key -> SignatureError.
    `scheme` only matters to RFC 9421 signatures that cover "@target-uri".

    Everything a sender controls is checked before `resolve_key` is called, so a stale or
    malformed request never makes us fetch a key. An exception raised by `resolve_key` itself
    is passed on unchanged; any other failure is a SignatureError."""
    try:
        lowered = {str(name).lower(): value for name, value in headers.items()}
        if not isinstance(body, bytes):
            raise SignatureError("the request body must be bytes")
        clock = _utc(now)
        if "signature-input" in lowered:
            from writeas.federation import rfc9421

            return rfc9421.verify(method, target, lowered, body, resolve_key, clock, scheme)
        return _verify_cavage(method, target, lowered, body, resolve_key, clock)
    except SignatureError:
        raise
    except _KeyLookupError as exc:
        raise exc.original from None
    except Exception as exc:  # garbage headers must never surface as anything else
        raise SignatureError("malformed signature") from exc


# draft-cavage-http-signatures-12


def _verify_cavage(method, target, headers, body, resolve_key, now) -> str:
    params = _parse_cavage(_cavage_header(headers))
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id or not encoded:
        raise SignatureError("the signature has no keyId or no signature")
    algorithm = params.get("algorithm", "rsa-sha256").lower()
    if algorithm not in _CAVAGE_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm[:40]!r}")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise SignatureError("the signature is not base64") from None

    # The draft's default when "headers" is absent is the Date alone, which _require refuses.
    covered = params.get("headers", "date").lower().split()
    needs_body = bool(body) or method.upper() not in _NO_BODY_METHODS
    _require(covered, "(request-target)", "host")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("the signature covers neither date nor (created)")
    if needs_body and "digest" not in covered and "content-digest" not in covered:
        raise SignatureError("the signature does not cover the body's digest")

    if "digest" in covered:
        _check_digest(headers.get("digest"), body)
    if "content-digest" in covered:
        from writeas.federation import rfc9421

        rfc9421.check_content_digest(headers.get("content-digest"), body)
    if "date" in covered:
        _check_fresh(_parse_date(headers.get("date")), now)
    if "(created)" in covered or "created" in params:
        _check_fresh(_timestamp(params.get("created"), "created"), now)
    if "(expires)" in covered or "expires" in params:
        _check_unexpired(params.get("expires"), now)

    lines = []
    for name in covered:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            value = params[name[1:-1]]
        elif name in headers:
            value = str(headers[name]).strip()
        else:
            raise SignatureError(f"signed header {name[:40]!r} is missing")
        if "\n" in value or "\r" in value:
            raise SignatureError(f"signed header {name[:40]!r} holds a line break")
        lines.append(f"{name}: {value}")
    message = "\n".join(lines).encode()

    def matches(key: "rsa.RSAPublicKey") -> bool:
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except crypto_exceptions.InvalidSignature:
            return False
        return True

    if matches(_lookup(resolve_key, key_id, False)) or matches(_lookup(resolve_key, key_id, True)):
        return key_id
    raise SignatureError("the signature does not verify")


def _cavage_header(headers: Mapping[str, str]) -> str:
    if "signature" in headers:
        return headers["signature"]
    scheme, _, rest = str(headers.get("authorization", "")).partition(" ")
    if scheme.lower() == "signature" and rest.strip():
        return rest
    raise SignatureError("the request is not signed")


def _parse_cavage(value: str) -> dict[str, str]:
    """Signature parameters are a comma list of name="value"; the regex refuses anything else
    rather than guess, and a repeated name is refused because two readers could pick
    different ones."""
    params: dict[str, str] = {}
    value = value.strip()
    position = 0
    while position < len(value):
        match = _CAVAGE_PARAM.match(value, position)
        if match is None or match.end() == position:
            raise SignatureError("malformed Signature header")
        name, quoted, bare = match.groups()
        if name in params:
            raise SignatureError(f"the Signature header repeats {name!r}")
        params[name] = quoted if quoted is not None else bare
        position = match.end()
    return params


# Shared checks


def _lookup(resolve_key, key_id: str, refresh: bool) -> "rsa.RSAPublicKey":
    try:
        key = resolve_key(key_id, refresh)
    except Exception as exc:
        raise _KeyLookupError(exc) from exc
    if key is None:
        raise SignatureError(f"unknown key {key_id[:200]!r}")
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the signing key is not an RSA key")
    return key


def _require(covered, *names: str) -> None:
    for name in names:
        if name not in covered:
            raise SignatureError(f"the signature does not cover {name}")


def _check_digest(value: str | None, body: bytes) -> None:
    """Digest may list several algorithms (RFC 3230); we need, and check, the SHA-256 one."""
    if not value:
        raise SignatureError("the Digest header is missing")
    expected = hashlib.sha256(body).digest()
    for member in str(value).split(","):
        algorithm, _, encoded = member.strip().partition("=")
        if algorithm.lower() == "sha-256":
            try:
                given = base64.b64decode(encoded, validate=True)
            except ValueError:
                break
            if given == expected:
                return
            break
    raise SignatureError("the Digest header does not match the body (or has no SHA-256)")


def _check_fresh(moment: datetime, now: datetime) -> None:
    if moment < now - MAX_AGE:
        raise SignatureError("the request is too old (more than 12 hours)")
    if moment > now + MAX_AHEAD:
        raise SignatureError("the request is dated in the future (more than 1 hour ahead)")


def _check_unexpired(value, now: datetime) -> None:
    if _timestamp(value, "expires") < now:
        raise SignatureError("the signature has expired")


def _parse_date(value: str | None) -> datetime:
    if not value:
        raise SignatureError("the Date header is missing")
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        raise SignatureError("the Date header is not an HTTP date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(value, name: str) -> datetime:
    """created/expires are integer Unix times (a bare or quoted number in draft-cavage)."""
    text = str(value) if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise SignatureError(f"the signature's {name} is missing or not a Unix time")
    return datetime.fromtimestamp(int(text), UTC)


def _utc(moment: datetime | None) -> datetime:
    """A naive datetime is taken to be UTC: that is what `writeas.core.clock.utcnow` gives."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
