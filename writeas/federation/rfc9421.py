"""RFC 9421 HTTP Message Signatures, verified with the http-message-signatures library.

Its own module because that library, with cryptography's native code, is loaded by the
first request signed this way rather than by every web worker (`signatures.verify` imports
it then). What both signature schemes check (freshness, coverage, key lookup) stays in
`signatures`.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
    http_sfv,
)
from http_message_signatures.structures import CaseInsensitiveDict

from writeas.federation.signatures import (
    _NO_BODY_METHODS,
    SignatureError,
    _check_fresh,
    _check_unexpired,
    _lookup,
    _require,
    _timestamp,
)


@dataclass
class _Request:
    """http_message_signatures reads a message by duck typing; this is the least it needs."""

    method: str
    url: str
    headers: CaseInsensitiveDict


class _Verifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input, max_age=None):
        """The library compares against its own local clock with 5 s of skew; verify() has
        already checked created/expires against the caller's clock and our window."""


class _KeyResolver(HTTPSignatureKeyResolver):
    def __init__(self, resolve_key: Callable[[str, bool], RSAPublicKey | None], refresh: bool):
        self.resolve_key, self.refresh = resolve_key, refresh

    def resolve_public_key(self, key_id: str) -> RSAPublicKey:
        return _lookup(self.resolve_key, key_id, self.refresh)


def verify(method, target, headers, body, resolve_key, now, scheme) -> str:
    """`signatures.verify` for a request signed the RFC 9421 way (it has Signature-Input)."""
    inputs = _parse_dictionary(headers, "signature-input")
    signatures = _parse_dictionary(headers, "signature")
    if len(inputs) != 1 or inputs.keys() != signatures.keys():
        raise SignatureError("expected exactly one signature, labelled alike in both headers")
    (sig_input,) = inputs.values()
    (signature,) = signatures.values()
    if not isinstance(sig_input, http_sfv.InnerList) or not isinstance(signature.value, bytes):
        raise SignatureError("malformed Signature-Input or Signature header")
    key_id = sig_input.params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the signature has no keyid")

    # Only bare components count as covering: a parameter (;req, ;sf, ...) changes the value.
    covered = {item.value for item in sig_input if not item.params}
    _require(covered, "@method")
    if "@target-uri" not in covered:
        _require(covered, "@authority", "@path")
    if bool(body) or method.upper() not in _NO_BODY_METHODS:
        _require(covered, "content-digest")
    if "content-digest" in covered:
        check_content_digest(headers.get("content-digest"), body)
    _check_fresh(_timestamp(sig_input.params.get("created"), "created"), now)
    if "expires" in sig_input.params:
        _check_unexpired(sig_input.params["expires"], now)

    host = str(headers.get("host", "")).strip()
    if not host or not target.startswith("/"):
        raise SignatureError("the request has no Host or its target is not a path")
    url = f"{scheme}://{host}{target}"
    request = _Request(method.upper(), url, CaseInsensitiveDict(headers))
    for refresh in (False, True):
        verifier = _Verifier(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=_KeyResolver(resolve_key, refresh),
        )
        try:
            verifier.verify(request)
        except HTTPMessageSignaturesException as exc:
            # Only a key that fails the cryptographic check is worth fetching again.
            if not isinstance(exc.__cause__, InvalidSignature):
                raise SignatureError(f"the signature was refused: {exc}"[:200]) from exc
        else:
            return key_id
    raise SignatureError("the signature does not verify")


def _parse_dictionary(headers: Mapping[str, str], name: str) -> http_sfv.Dictionary:
    if name not in headers:
        raise SignatureError(f"the {name} header is missing")
    parsed = http_sfv.Dictionary()
    try:
        parsed.parse(str(headers[name]).encode())
    except ValueError:
        raise SignatureError(f"malformed {name} header") from None
    return parsed



def check_content_digest(value: str | None, body: bytes) -> None:
    """RFC 9530's Content-Digest, which a draft-cavage signature may cover too."""
    if not value:
        raise SignatureError("the Content-Digest header is missing")
    parsed = _parse_dictionary({"content-digest": value}, "content-digest")
    member = parsed.get("sha-256")
    if member is None or member.value != hashlib.sha256(body).digest():
        raise SignatureError("the Content-Digest header does not match the body (or lacks sha-256)")
