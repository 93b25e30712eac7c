"""Credentials encrypted at rest: AEAD with random nonces, bound to their row, rotatable."""

import base64
import secrets

import pytest

from writeas.core.secretbox import SecretBox, load_keys


def key() -> bytes:
    return secrets.token_bytes(32)


def test_round_trip_and_random_nonces():
    box = SecretBox([("k1", key())])
    value = {"access_token": "s3cret-token", "n": 1}
    first, second = box.seal(value, "user:1:mastodon"), box.seal(value, "user:1:mastodon")
    assert first != second  # a fresh nonce every time
    assert "s3cret" not in first
    assert box.open(first, "user:1:mastodon") == value == box.open(second, "user:1:mastodon")


def test_tampering_or_another_context_fails():
    box = SecretBox([("k1", key())])
    sealed = box.seal({"a": "b"}, "user:1:x")
    with pytest.raises(ValueError):
        box.open(sealed, "user:2:x")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(ValueError):
        box.open(flipped, "user:1:x")
    with pytest.raises(ValueError):
        box.open("garbage", "user:1:x")


def test_rotation_keeps_old_values_readable():
    old, new = key(), key()
    sealed_old = SecretBox([("2025", old)]).seal({"t": 1}, "c")
    rotated = SecretBox([("2026", new), ("2025", old)])
    assert rotated.open(sealed_old, "c") == {"t": 1}
    assert rotated.key_id_of(rotated.seal({"t": 2}, "c")) == "2026"
    with pytest.raises(ValueError):
        SecretBox([("2026", new)]).open(sealed_old, "c")


def test_keys_from_the_setting_or_generated_once(tmp_path):
    generated = load_keys(str(tmp_path))
    assert load_keys(str(tmp_path)) == generated
    assert ((tmp_path / "credentials_key").stat().st_mode & 0o777) == 0o600
    encoded = base64.urlsafe_b64encode(key()).decode()
    assert [k for k, _ in load_keys(str(tmp_path), f"a:{encoded},b:{encoded}")] == ["a", "b"]
    with pytest.raises(RuntimeError):
        load_keys(str(tmp_path), "a:dG9vc2hvcnQ=")


def test_the_credentials_keys_setting_reaches_the_box(make_app, monkeypatch):
    encoded = base64.urlsafe_b64encode(key()).decode()
    monkeypatch.setenv("CREDENTIALS_KEYS", f"env:{encoded}")
    box = make_app().extensions["writeas.secretbox"]
    assert box.key_id_of(box.seal({"t": 1}, "c")) == "env"
