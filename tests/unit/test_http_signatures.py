"""HTTP Signatures against fixed vectors: the draft's own examples, the peers' libraries
(bovine for draft-cavage, http_message_signatures for RFC 9421), and the refusals that
keep a signature from being replayed or forged."""

import asyncio
import base64
import contextlib
import hashlib
import importlib
import random
import string
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms

from writeas.federation.signatures import SignatureError, digest, sign, verify

# draft-cavage-http-signatures-12, Appendix C: the "Test" key (1024-bit RSA, despite the text)
# and the request every example signs.
DRAFT_PUBLIC_PEM = b"""-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
DRAFT_PRIVATE_PEM = b"""-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
DRAFT_TARGET = "/foo?param=value&pet=dog"
DRAFT_BODY = b'{"hello": "world"}'
DRAFT_DATE = "Sun, 05 Jan 2014 21:31:40 GMT"
DRAFT_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
DRAFT_HEADERS = {
    "Host": "example.com",
    "Date": DRAFT_DATE,
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
# The published signatures (C.1 default: date only; C.2 basic; C.3 all headers).
DRAFT_C1 = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5"
    "lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
DRAFT_C2 = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3H"
    "Mbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
DRAFT_C3 = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52L"
    "aEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)
C3_COVERED = "(request-target) host date content-type digest content-length"

DRAFT_KEY = load_pem_private_key(DRAFT_PRIVATE_PEM, password=None)
DRAFT_PUBLIC = load_pem_public_key(DRAFT_PUBLIC_PEM)
# 1024 bits: generated fast, and strength is not what these tests are about.
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505

# Self-generated (RSA PKCS#1 v1.5 is deterministic): what our sign() makes of the draft's
# request with the draft's key. A change in our canonicalisation changes these.
OUR_POST_SIGNATURE = (
    'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date digest '
    'content-type",signature="Ev3r3NlHA8voF11N4uVMnCbbK/2gb3fPfc4J5orTSEv58rq7UCxn4EtsMEliFYRja'
    "V6rotCAau8Uv2/cH/m5e/OhryWE7iU/VnCU6LtGN7u+JUs+kw8BvPXu+KqL3y+7bH1Sdxo3W+KnkQlwKlt6TOIdsohA"
    'z7HrrpV5zWqHVIE="'
)
OUR_GET_SIGNATURE = (
    'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date accept",'
    'signature="kvh4B6RJX/YiFIHSlxfBB+Os5tZ2c5De1ABUQtk++yZ1A3wVNI1Ld8rrLTgQGPebxhLKtt+PojMnsDD'
    "maxRCqfa5rt6zUTghBFXSJE0MkKnUe37Hpf4JbmWuoIc/6MPMnuGhDBTdGxNNzO9h586OvtD0Y/qNazn6sumW5e9OtQ"
    's="'
)
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class Keys:
    """A resolve_key that answers from a list, one entry per call, and records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, key_id, refresh):
        self.calls.append((key_id, refresh))
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        return answer.public_key() if isinstance(answer, rsa.RSAPrivateKey) else answer


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cavage(method, target, headers, covered, *, key=DRAFT_KEY, algorithm="rsa-sha256", **params):
    """Sign like a peer might: any covered list, algorithm label, and (created)/(expires)."""
    values = {name.lower(): value for name, value in headers.items()}
    values["(request-target)"] = f"{method.lower()} {target}"
    values |= {f"({name})": str(value) for name, value in params.items()}
    message = "\n".join(f"{name}: {values[name]}" for name in covered.split())
    signature = b64(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256()))
    parts = ['keyId="Test"'] + ([f'algorithm="{algorithm}"'] if algorithm else [])
    parts += [f'headers="{covered}"'] + [f"{name}={value}" for name, value in params.items()]
    return {**headers, "Signature": ",".join([*parts, f'signature="{signature}"'])}


def c3_headers(**changes):
    signature = f'keyId="Test",algorithm="rsa-sha256",headers="{C3_COVERED}",signature="{DRAFT_C3}"'
    return {**DRAFT_HEADERS, "Signature": signature, **changes}


def refused(*args, match=None, **kwargs):
    with pytest.raises(SignatureError, match=match):
        verify(*args, **kwargs)


# The draft's published vectors


def test_the_digest_of_the_drafts_body_is_the_drafts():
    assert digest(DRAFT_BODY) == DRAFT_HEADERS["Digest"]


def test_draft_c3_published_signature_verifies():
    keys = Keys(DRAFT_KEY)
    assert verify("POST", DRAFT_TARGET, c3_headers(), DRAFT_BODY, keys, now=DRAFT_NOW) == "Test"
    assert keys.calls == [("Test", False)]


def test_draft_c3_in_an_authorization_header_and_any_header_case():
    headers = {name.upper(): value for name, value in DRAFT_HEADERS.items()}
    params = f'keyId="Test",algorithm="rsa-sha256",headers="{C3_COVERED}",signature="{DRAFT_C3}"'
    headers["authorization"] = "Signature " + params
    assert verify("post", DRAFT_TARGET, headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)


@pytest.mark.parametrize(
    ("target", "headers", "body", "match"),
    [
        (DRAFT_TARGET, c3_headers(), b'{"hello": "World"}', "Digest"),
        # The attacker recomputes the digest: now the signature no longer matches.
        (
            DRAFT_TARGET,
            c3_headers(Digest=digest(b'{"hello": "World"}')),
            b'{"hello": "World"}',
            "does not verify",
        ),
        (DRAFT_TARGET, c3_headers(**{"Content-Type": "text/plain"}), DRAFT_BODY, "does not verify"),
        (DRAFT_TARGET, c3_headers(**{"Content-Length": "19"}), DRAFT_BODY, "does not verify"),
        (DRAFT_TARGET, c3_headers(Host="example.org"), DRAFT_BODY, "does not verify"),
        ("/foo?param=value&pet=cat", c3_headers(), DRAFT_BODY, "does not verify"),
        ("/foo", c3_headers(), DRAFT_BODY, "does not verify"),
    ],
    ids=["body", "body-and-digest", "content-type", "content-length", "host", "query", "path"],
)
def test_draft_c3_tampered_is_refused(target, headers, body, match):
    refused("POST", target, headers, body, Keys(DRAFT_KEY), now=DRAFT_NOW, match=match)


def test_draft_c3_as_another_method_is_refused():
    refused("PUT", DRAFT_TARGET, c3_headers(), DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)


def test_draft_c3_with_the_wrong_key_is_refused_after_one_refresh():
    keys = Keys(OTHER_KEY)
    refused(
        "POST", DRAFT_TARGET, c3_headers(), DRAFT_BODY, keys, now=DRAFT_NOW, match="does not verify"
    )
    assert keys.calls == [("Test", False), ("Test", True)]


def test_draft_c1_and_c2_are_valid_but_cover_too_little():
    """Both published signatures are genuine, yet C.1 covers only the Date and C.2 leaves the
    body out: either could be replayed with another request or another body."""
    plain = 'keyId="Test",algorithm="rsa-sha256",signature="' + DRAFT_C1 + '"'
    c2_string = f"(request-target): post {DRAFT_TARGET}\nhost: example.com\ndate: {DRAFT_DATE}"
    for published, signed in ((DRAFT_C1, f"date: {DRAFT_DATE}"), (DRAFT_C2, c2_string)):
        raw = base64.b64decode(published)
        DRAFT_PUBLIC.verify(raw, signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    refused(
        "POST",
        DRAFT_TARGET,
        {**DRAFT_HEADERS, "Signature": plain},
        DRAFT_BODY,
        Keys(DRAFT_KEY),
        now=DRAFT_NOW,
        match="request-target",
    )
    basic = (
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
        f'signature="{DRAFT_C2}"'
    )
    refused(
        "POST",
        DRAFT_TARGET,
        {**DRAFT_HEADERS, "Signature": basic},
        DRAFT_BODY,
        Keys(DRAFT_KEY),
        now=DRAFT_NOW,
        match="digest",
    )


# Our sign(), against fixed self-generated vectors


def test_our_post_signature_is_the_fixed_vector():
    url = "https://example.com" + DRAFT_TARGET
    headers = sign(
        "POST",
        url,
        key_id="Test",
        private_key=DRAFT_KEY,
        body=DRAFT_BODY,
        content_type="application/json",
        now=DRAFT_NOW,
    )
    assert headers == {
        "Host": "example.com",
        "Date": DRAFT_DATE,
        "Digest": DRAFT_HEADERS["Digest"],
        "Content-Type": "application/json",
        "Signature": OUR_POST_SIGNATURE,
    }
    # The vector is over exactly this string (checked without our verify()).
    message = (
        f"(request-target): post {DRAFT_TARGET}\nhost: example.com\ndate: {DRAFT_DATE}\n"
        f"digest: {DRAFT_HEADERS['Digest']}\ncontent-type: application/json"
    )
    raw = base64.b64decode(OUR_POST_SIGNATURE.split('signature="')[1].rstrip('"'))
    DRAFT_PUBLIC.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert verify("POST", DRAFT_TARGET, headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)


def test_our_get_signature_is_the_fixed_vector():
    url = "https://example.com" + DRAFT_TARGET
    headers = sign("GET", url, key_id="Test", private_key=DRAFT_KEY, now=DRAFT_NOW)
    assert headers == {
        "Host": "example.com",
        "Date": DRAFT_DATE,
        "Accept": ACCEPT,
        "Signature": OUR_GET_SIGNATURE,
    }
    message = (
        f"(request-target): get {DRAFT_TARGET}\nhost: example.com\ndate: {DRAFT_DATE}\n"
        f"accept: {ACCEPT}"
    )
    raw = base64.b64decode(OUR_GET_SIGNATURE.split('signature="')[1].rstrip('"'))
    DRAFT_PUBLIC.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert verify("GET", DRAFT_TARGET, headers, b"", Keys(DRAFT_KEY), now=DRAFT_NOW) == "Test"


def test_our_post_and_get_verify_now():
    key_id = "https://blog.example/@/alice#main-key"
    post = sign(
        "POST",
        "https://peer.example/inbox",
        key_id=key_id,
        private_key=OTHER_KEY,
        body=b'{"type": "Follow"}',
    )
    assert post["Digest"] == "SHA-256=" + b64(hashlib.sha256(b'{"type": "Follow"}').digest())
    assert post["Content-Type"] == "application/activity+json"
    assert verify("POST", "/inbox", post, b'{"type": "Follow"}', Keys(OTHER_KEY)) == key_id
    refused("POST", "/inbox", post, b'{"type": "Undo"}', Keys(OTHER_KEY))

    get = sign("GET", "https://peer.example/users/bob?page=2", key_id=key_id, private_key=OTHER_KEY)
    assert set(get) == {"Host", "Date", "Accept", "Signature"}
    assert verify("GET", "/users/bob?page=2", get, b"", Keys(OTHER_KEY)) == key_id
    refused("GET", "/users/bob", get, b"", Keys(OTHER_KEY))  # the query is signed too


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8123/x", "127.0.0.1:8123"),
        ("https://Example.COM:443/x", "example.com"),
        ("http://example.com:80/x", "example.com"),
        ("https://example.com:80/x", "example.com:80"),
        ("http://[::1]:8123/x", "[::1]:8123"),
    ],
)
def test_host_carries_a_non_default_port(url, host):
    headers = sign("GET", url, key_id="k", private_key=OTHER_KEY, now=DRAFT_NOW)
    assert headers["Host"] == host
    assert verify("GET", "/x", headers, b"", Keys(OTHER_KEY), now=DRAFT_NOW) == "k"


def test_signing_at_another_time_changes_date_and_signature():
    first = sign("GET", "https://peer.example/a", key_id="k", private_key=OTHER_KEY, now=DRAFT_NOW)
    later = DRAFT_NOW + timedelta(seconds=1)
    second = sign("GET", "https://peer.example/a", key_id="k", private_key=OTHER_KEY, now=later)
    assert first["Date"] == DRAFT_DATE and second["Date"] == "Sun, 05 Jan 2014 21:31:41 GMT"
    assert first["Signature"] != second["Signature"]


def test_a_naive_now_is_utc():
    naive = sign(
        "GET",
        "https://p.example/a",
        key_id="k",
        private_key=OTHER_KEY,
        now=DRAFT_NOW.replace(tzinfo=None),
    )
    assert naive["Date"] == DRAFT_DATE
    assert verify("GET", "/a", naive, b"", Keys(OTHER_KEY), now=DRAFT_NOW.replace(tzinfo=None))


# The Date window, (created) and (expires)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(hours=-11, minutes=-59), True),
        (timedelta(hours=-12, minutes=-1), False),
        (timedelta(minutes=59), True),
        (timedelta(minutes=61), False),
    ],
    ids=["11h59m-old", "12h01m-old", "59m-ahead", "61m-ahead"],
)
def test_date_window(offset, accepted):
    headers = sign(
        "POST",
        "https://p.example/inbox",
        key_id="k",
        private_key=OTHER_KEY,
        body=b"{}",
        now=DRAFT_NOW + offset,
    )
    if accepted:
        assert verify("POST", "/inbox", headers, b"{}", Keys(OTHER_KEY), now=DRAFT_NOW) == "k"
    else:
        refused("POST", "/inbox", headers, b"{}", Keys(OTHER_KEY), now=DRAFT_NOW, match="hour")


@pytest.mark.parametrize("date", [None, "", "yesterday", "Sun, 35 Jan 2014 21:31:40 GMT"])
def test_missing_or_unparseable_date_is_refused(date):
    headers = {"Host": "p.example", "Date": date or ""}
    signed = cavage("GET", "/a", headers, "(request-target) host date")
    if date is None:
        del signed["Date"]
    refused("GET", "/a", signed, b"", Keys(DRAFT_KEY), now=DRAFT_NOW, match="Date")


def test_created_and_expires_pseudo_headers():
    created = int(DRAFT_NOW.timestamp())
    headers = cavage(
        "GET",
        "/a",
        {"Host": "p.example"},
        "(request-target) host (created) (expires)",
        algorithm="hs2019",
        created=created,
        expires=created + 300,
    )
    assert verify("GET", "/a", headers, b"", Keys(DRAFT_KEY), now=DRAFT_NOW) == "Test"
    refused(
        "GET",
        "/a",
        headers,
        b"",
        Keys(DRAFT_KEY),
        now=DRAFT_NOW + timedelta(minutes=6),
        match="expired",
    )
    stale = cavage(
        "GET",
        "/a",
        {"Host": "p.example"},
        "(request-target) host (created)",
        created=created - 13 * 3600,
    )
    refused("GET", "/a", stale, b"", Keys(DRAFT_KEY), now=DRAFT_NOW, match="too old")
    missing = cavage(
        "GET", "/a", {"Host": "p.example"}, "(request-target) host (created)", created=created
    )
    missing["Signature"] = missing["Signature"].replace(f",created={created}", "")
    refused("GET", "/a", missing, b"", Keys(DRAFT_KEY), now=DRAFT_NOW, match="created")


# Coverage, algorithms, digests


POST_HEADERS = {
    "Host": "p.example",
    "Date": DRAFT_DATE,
    "Digest": DRAFT_HEADERS["Digest"],
    "Content-Type": "application/activity+json",
}


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        ("(request-target) host date content-type", "digest"),
        ("host date digest", "request-target"),
        ("(request-target) date digest", "host"),
        ("(request-target) host digest", "date"),
    ],
)
def test_post_coverage_is_required(covered, missing):
    headers = cavage("POST", "/inbox", POST_HEADERS, covered)
    refused("POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match=missing)


def test_get_needs_no_digest_but_a_get_with_a_body_does():
    headers = cavage("GET", "/a", POST_HEADERS, "(request-target) host date")
    assert verify("GET", "/a", headers, b"", Keys(DRAFT_KEY), now=DRAFT_NOW) == "Test"
    refused("GET", "/a", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match="digest")


@pytest.mark.parametrize("algorithm", ["hs2019", "HS2019", "rsa-sha256", None])
def test_rsa_algorithms_accepted(algorithm):
    headers = cavage(
        "POST", "/inbox", POST_HEADERS, "(request-target) host date digest", algorithm=algorithm
    )
    assert verify("POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW) == "Test"


@pytest.mark.parametrize("algorithm", ["ed25519", "hmac-sha256", "rsa-sha1", "ecdsa-sha256", ""])
def test_other_algorithms_refused(algorithm):
    headers = cavage(
        "POST",
        "/inbox",
        POST_HEADERS,
        "(request-target) host date digest",
        algorithm=algorithm or "x",
    )
    if not algorithm:
        headers["Signature"] = headers["Signature"].replace('algorithm="x"', 'algorithm=""')
    keys = Keys(DRAFT_KEY)
    refused("POST", "/inbox", headers, DRAFT_BODY, keys, now=DRAFT_NOW, match="algorithm")
    assert keys.calls == []  # refused before any key is fetched


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (f"sha-512=AAAA,{DRAFT_HEADERS['Digest']}", True),
        (DRAFT_HEADERS["Digest"].replace("SHA-256", "sha-256"), True),
        ("MD5=Sd/dVLAcvNLSq16eXua5uQ==", False),
        ("SHA-256=" + b64(hashlib.sha256(b"other").digest()), False),
        ("SHA-256=not base64!", False),
    ],
)
def test_digest_lists_need_a_matching_sha256(value, accepted):
    headers = cavage(
        "POST", "/inbox", {**POST_HEADERS, "Digest": value}, "(request-target) host date digest"
    )
    if accepted:
        assert verify("POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)
    else:
        refused(
            "POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match="Digest"
        )


def test_a_signed_content_digest_stands_for_digest():
    value = f"sha-256=:{b64(hashlib.sha256(DRAFT_BODY).digest())}:"
    base = {"Host": "p.example", "Date": DRAFT_DATE, "Content-Digest": value}
    headers = cavage("POST", "/inbox", base, "(request-target) host date content-digest")
    assert verify("POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)
    refused(
        "POST", "/inbox", headers, b"{}", Keys(DRAFT_KEY), now=DRAFT_NOW, match="Content-Digest"
    )


def test_a_line_break_in_a_signed_header_is_refused():
    headers = cavage("POST", "/inbox", POST_HEADERS, "(request-target) host date digest")
    headers["Host"] = "p.example\ndate: x"
    refused(
        "POST", "/inbox", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match="line break"
    )


# Keys: unknown, rotated, failing


def signed_post():
    return sign(
        "POST",
        "https://p.example/inbox",
        key_id="k",
        private_key=DRAFT_KEY,
        body=b"{}",
        now=DRAFT_NOW,
    )


def test_a_rotated_key_is_refetched_once():
    keys = Keys(OTHER_KEY, DRAFT_KEY)
    assert verify("POST", "/inbox", signed_post(), b"{}", keys, now=DRAFT_NOW) == "k"
    assert keys.calls == [("k", False), ("k", True)]


def test_a_good_cached_key_is_fetched_once():
    keys = Keys(DRAFT_KEY)
    assert verify("POST", "/inbox", signed_post(), b"{}", keys, now=DRAFT_NOW) == "k"
    assert keys.calls == [("k", False)]


def test_unknown_key_is_refused():
    keys = Keys(None)
    refused("POST", "/inbox", signed_post(), b"{}", keys, now=DRAFT_NOW, match="unknown key")
    assert keys.calls == [("k", False)]
    keys = Keys(OTHER_KEY, None)  # the key vanished on refresh
    refused("POST", "/inbox", signed_post(), b"{}", keys, now=DRAFT_NOW, match="unknown key")
    assert len(keys.calls) == 2


def test_a_non_rsa_key_is_refused():
    keys = Keys(ed25519.Ed25519PrivateKey.generate().public_key())
    refused("POST", "/inbox", signed_post(), b"{}", keys, now=DRAFT_NOW, match="RSA")


def test_a_failing_key_store_is_not_the_senders_fault():
    class StoreDown(Exception):
        pass

    def resolve_key(key_id, refresh):
        raise StoreDown("database is locked")

    with pytest.raises(StoreDown):
        verify("POST", "/inbox", signed_post(), b"{}", resolve_key, now=DRAFT_NOW)


def test_a_stale_request_fetches_no_key():
    keys = Keys(DRAFT_KEY)
    later = DRAFT_NOW + timedelta(days=1)
    refused("POST", "/inbox", signed_post(), b"{}", keys, now=later, match="too old")
    assert keys.calls == []


# Garbage in, SignatureError out


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Host": "p.example"},
        {"Signature": ""},
        {"Signature": "garbage"},
        {"Signature": 'keyId="k"'},
        {"Signature": 'keyId="k",signature="!!!"'},
        {"Signature": 'keyId="k",keyId="j",headers="date",signature="AA=="'},
        {"Signature": 'keyId="k,headers="(request-target)",signature="AA=="'},
        {"Signature": "keyId=k,,signature=AA==,"},
        {"Signature": '=,=,"""'},
        {"Signature": 'keyId="\u00e9",signature="\u2603"'},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Signature"},
        {"Signature": None},
        {"Signature": b'keyId="k"'},
        {"Signature-Input": "", "Signature": ""},
        {"Signature-Input": "sig=(", "Signature": "sig=:AA==:"},
        {"Signature-Input": 'sig=("@method");keyid="k"', "Signature": "sig=:AA==:"},
        {"Signature-Input": 'sig=("@method");created=1', "Signature": 'sig="x"'},
        {"Signature-Input": "sig=1", "Signature": "sig=:AA==:"},
        {"Signature-Input": 'a=("@method"), b=("@path")', "Signature": "a=:AA==:, b=:AA==:"},
    ],
)
def test_garbage_headers_raise_only_signature_error(headers):
    refused("POST", "/inbox", headers, b"{}", Keys(DRAFT_KEY), now=DRAFT_NOW)


def test_non_bytes_body_is_refused():
    refused("POST", "/inbox", signed_post(), "{}", Keys(DRAFT_KEY), now=DRAFT_NOW)


def test_fuzzed_headers_raise_only_signature_error():
    rng = random.Random(9421)
    alphabet = string.printable + '"=,;:()@\u00e9\u2603\x00'
    valid = signed_post()
    names = [
        "Signature",
        "Signature-Input",
        "Authorization",
        "Date",
        "Digest",
        "Host",
        "Content-Digest",
    ]
    for _ in range(400):
        headers = dict(valid)
        for name in rng.sample(names, rng.randint(1, 3)):
            if name in headers and rng.random() < 0.5:  # mutate a few characters
                chars = list(headers[name])
                for _ in range(rng.randint(1, 4)):
                    chars[rng.randrange(len(chars))] = rng.choice(alphabet)
                headers[name] = "".join(chars)
            else:
                headers[name] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        with contextlib.suppress(SignatureError):  # anything else fails the test
            verify("POST", "/inbox", headers, b"{}", Keys(DRAFT_KEY), now=DRAFT_NOW)


# bovine, a peer's own library (draft-cavage)


@pytest.fixture(scope="module")
def bovine(tmp_path_factory):
    """bovine opens ./bovine_jsonld_cache.sqlite when imported: keep it out of the repository."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("bovine"))
        crypto = importlib.import_module("bovine.crypto")
        types = importlib.import_module("bovine.crypto.types")
        helper = importlib.import_module("bovine.crypto.helper")
        http_signature = importlib.import_module("bovine.crypto.http_signature")
        utils = importlib.import_module("bovine.utils")
    return SimpleNamespace(
        crypto=crypto, types=types, helper=helper, http_signature=http_signature, utils=utils
    )


PRIVATE_PEM = DRAFT_KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
KEY_ID = "https://bovine.example/actor#main-key"


def test_bovine_signed_post_verifies_with_ours(bovine):
    secret = bovine.types.CryptographicSecret.from_pem(KEY_ID, PRIVATE_PEM)
    body = b'{"type": "Create"}'
    date, body_digest = bovine.utils.get_gmt_now(), bovine.helper.content_digest_sha256(body)
    signature = (
        bovine.http_signature.build_signature("blog.example", "post", "/api/collections/a/inbox")
        .with_field("date", date)
        .with_field("digest", body_digest)
        .with_field("content-type", "application/activity+json")
        .sign_for_http_draft(secret)
    )
    headers = {
        "host": "blog.example",
        "date": date,
        "digest": body_digest,
        "content-type": "application/activity+json",
        "signature": signature,
    }
    keys = Keys(DRAFT_KEY)
    assert verify("POST", "/api/collections/a/inbox", headers, body, keys) == KEY_ID
    refused("POST", "/api/collections/a/inbox", headers, body + b" ", keys)


def test_bovine_signed_get_verifies_with_ours(bovine):
    secret = bovine.types.CryptographicSecret.from_pem(KEY_ID, PRIVATE_PEM)
    date = bovine.utils.get_gmt_now()
    signature = (
        bovine.http_signature.build_signature("blog.example:8123", "get", "/a?page=1")
        .with_field("date", date)
        .with_field("accept", "application/activity+json")
        .sign_for_http_draft(secret)
    )
    headers = {
        "Host": "blog.example:8123",
        "Date": date,
        "Accept": "application/activity+json",
        "Signature": signature,
    }
    assert verify("GET", "/a?page=1", headers, b"", Keys(DRAFT_KEY)) == KEY_ID


def bovine_check(bovine, method, url, headers, body):
    async def key_retriever(key_id):
        assert key_id == KEY_ID
        return bovine.types.CryptographicIdentifier.from_pem(
            DRAFT_PUBLIC_PEM.decode(), "https://blog.example/actor"
        )

    async def get_body():
        return body

    validate = bovine.crypto.build_validate_http_signature_raw(key_retriever)
    lowered = {name.lower(): value for name, value in headers.items()}
    # A thread of its own: an earlier test (a browser's, say) may have left this thread
    # an event loop, and asyncio.run refuses to start inside one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, validate(method, url, lowered, get_body)).result()


def test_our_post_verifies_with_bovine(bovine):
    """bovine's verifier takes (request-target) from the path alone, so no query here."""
    url, body = "https://bovine.example/inbox", b'{"type": "Follow"}'
    headers = sign("POST", url, key_id=KEY_ID, private_key=DRAFT_KEY, body=body)
    assert bovine_check(bovine, "post", url, headers, body) == "https://blog.example/actor"
    assert bovine_check(bovine, "post", url, headers, body + b" ") is None


def test_our_get_verifies_with_bovine(bovine):
    url = "https://bovine.example/actor"
    headers = sign("GET", url, key_id=KEY_ID, private_key=DRAFT_KEY)
    assert bovine_check(bovine, "get", url, headers, b"") == "https://blog.example/actor"


# RFC 9421, signed by http_message_signatures


class PrivateKeys(HTTPSignatureKeyResolver):
    def resolve_private_key(self, key_id):
        return DRAFT_KEY


def rfc9421(
    method="POST",
    url="https://blog.example/inbox?x=1",
    body=DRAFT_BODY,
    covered=("@method", "@authority", "@path", "content-digest", "date"),
    created=DRAFT_NOW,
    **sign_args,
):
    parts = url.split("/", 3)
    headers = {"Host": parts[2], "Date": DRAFT_DATE, "Content-Type": "application/activity+json"}
    if body:
        headers["Content-Digest"] = f"sha-256=:{b64(hashlib.sha256(body).digest())}:"
    message = SimpleNamespace(method=method, url=url, headers=headers)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=PrivateKeys()
    )
    signer.sign(message, key_id=KEY_ID, created=created, covered_component_ids=covered, **sign_args)
    return headers


def test_rfc9421_post_verifies():
    headers = rfc9421()
    assert "Signature-Input" in headers
    keys = Keys(DRAFT_KEY)
    assert verify("POST", "/inbox?x=1", headers, DRAFT_BODY, keys, now=DRAFT_NOW) == KEY_ID
    assert keys.calls == [(KEY_ID, False)]


def test_rfc9421_target_uri_and_scheme():
    headers = rfc9421(
        method="GET",
        url="http://blog.example:8123/actor",
        body=b"",
        covered=("@method", "@target-uri"),
    )
    assert (
        verify("GET", "/actor", headers, b"", Keys(DRAFT_KEY), now=DRAFT_NOW, scheme="http")
        == KEY_ID
    )
    refused("GET", "/actor", headers, b"", Keys(DRAFT_KEY), now=DRAFT_NOW)  # https != http


@pytest.mark.parametrize(
    ("method", "target", "change", "body", "match"),
    [
        ("POST", "/inbox?x=1", {}, b'{"hello": "World"}', "Content-Digest"),
        (
            "POST",
            "/inbox?x=1",
            {"Content-Digest": f"sha-256=:{b64(hashlib.sha256(b'{}').digest())}:"},
            b"{}",
            "does not verify",
        ),
        ("POST", "/outbox?x=1", {}, DRAFT_BODY, "does not verify"),
        ("PUT", "/inbox?x=1", {}, DRAFT_BODY, "does not verify"),
        (
            "POST",
            "/inbox?x=1",
            {"Date": "Mon, 06 Jan 2014 21:31:40 GMT"},
            DRAFT_BODY,
            "does not verify",
        ),
        ("POST", "/inbox?x=1", {"Host": "evil.example"}, DRAFT_BODY, "does not verify"),
    ],
    ids=["body", "body-and-digest", "path", "method", "date", "authority"],
)
def test_rfc9421_tampered_is_refused(method, target, change, body, match):
    headers = {**rfc9421(), **change}
    keys = Keys(DRAFT_KEY)
    refused(method, target, headers, body, keys, now=DRAFT_NOW, match=match)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(hours=-11, minutes=-59), True),
        (timedelta(hours=-12, minutes=-1), False),
        (timedelta(minutes=59), True),
        (timedelta(minutes=61), False),
    ],
)
def test_rfc9421_created_window(offset, accepted):
    headers = rfc9421(created=DRAFT_NOW + offset)
    if accepted:
        assert verify("POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)
    else:
        refused(
            "POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match="hour"
        )


def test_rfc9421_expired_is_refused():
    headers = rfc9421(expires=DRAFT_NOW + timedelta(minutes=5))
    assert verify("POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)
    refused(
        "POST",
        "/inbox?x=1",
        headers,
        DRAFT_BODY,
        Keys(DRAFT_KEY),
        now=DRAFT_NOW + timedelta(minutes=6),
        match="expired",
    )


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (("@authority", "@path", "content-digest"), "@method"),
        (("@method", "@path", "content-digest"), "@authority"),
        (("@method", "@authority", "content-digest"), "@path"),
        (("@method", "@authority", "@path", "date"), "content-digest"),
    ],
)
def test_rfc9421_coverage_is_required(covered, missing):
    headers = rfc9421(covered=covered)
    refused(
        "POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match=missing
    )


def test_rfc9421_rotated_key_is_refetched_once():
    keys = Keys(OTHER_KEY, DRAFT_KEY)
    assert verify("POST", "/inbox?x=1", rfc9421(), DRAFT_BODY, keys, now=DRAFT_NOW) == KEY_ID
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]
    keys = Keys(OTHER_KEY)
    refused(
        "POST", "/inbox?x=1", rfc9421(), DRAFT_BODY, keys, now=DRAFT_NOW, match="does not verify"
    )
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]
    keys = Keys(None)
    refused("POST", "/inbox?x=1", rfc9421(), DRAFT_BODY, keys, now=DRAFT_NOW, match="unknown")
    assert keys.calls == [(KEY_ID, False)]


def test_rfc9421_other_algorithms_are_refused():
    headers = rfc9421()
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        'alg="rsa-v1_5-sha256"', 'alg="ed25519"'
    )
    refused("POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW)


def test_rfc9421_without_created_is_refused():
    headers = rfc9421()
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        f";created={int(DRAFT_NOW.timestamp())}", ""
    )
    refused(
        "POST", "/inbox?x=1", headers, DRAFT_BODY, Keys(DRAFT_KEY), now=DRAFT_NOW, match="created"
    )


def test_rfc9421_a_component_with_parameters_does_not_count_as_covered():
    """`"content-digest";bs` signs a wrapped form of the value, not the value we check."""
    headers = rfc9421(covered=("@method", "@authority", "@path", '"content-digest";bs'))
    refused(
        "POST",
        "/inbox?x=1",
        headers,
        DRAFT_BODY,
        Keys(DRAFT_KEY),
        now=DRAFT_NOW,
        match="content-digest",
    )


def test_a_repeated_signature_parameter_is_refused():
    """Two readers could pick different keyIds; neither should be trusted."""
    headers = signed_post()
    headers["Signature"] = 'keyId="https://evil.example/key",' + headers["Signature"]
    refused("POST", "/inbox", headers, b"{}", Keys(DRAFT_KEY), now=DRAFT_NOW, match="repeats")
