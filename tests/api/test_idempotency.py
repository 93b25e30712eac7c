"""`Idempotency-Key` on the create endpoints: replays return the stored response and
create nothing; a different body is a 409 `idempotency_conflict`; the same key in flight is a
409 `idempotency_in_progress` (seed 002's codes)."""

from datetime import timedelta

import pytest
from calls import count
from sqlalchemy import select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Collection, IdempotencyRecord, Post
from writeas.services import idempotency


def test_replayed_key_returns_the_first_response_and_creates_nothing(api, app):
    headers = {"Idempotency-Key": "post-launch-001"}
    first = api.call("POST", "/api/posts", json={"body": "Once only"}, headers=headers)
    again = api.call("POST", "/api/posts", json={"body": "Once only"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json  # same id, same modify token
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Post) == 1
    other = api.call(
        "POST",
        "/api/posts",
        json={"body": "Once only"},
        headers={"Idempotency-Key": "post-launch-002"},
    )
    assert other.json["data"]["id"] != first.json["data"]["id"]
    assert count(app, Post) == 2


def test_same_key_with_a_different_body_is_a_409_conflict(api, app):
    headers = {"Idempotency-Key": "k1"}
    api.call("POST", "/api/posts", json={"body": "one"}, headers=headers)
    response = api.call("POST", "/api/posts", json={"body": "two"}, headers=headers)
    assert response.status_code == 409 and "different request" in response.json["error_msg"]
    assert response.json["error_code"] == "idempotency_conflict"
    assert response.json["code"] == 409
    assert count(app, Post) == 1


def test_same_key_while_in_flight_is_409(api, app):
    fingerprint = idempotency.fingerprint("POST", "/api/posts?", b'{"body": "slow"}')
    with app.app_context():
        # As if another worker claimed this key and is still publishing.
        db.session.add(
            IdempotencyRecord(scope="anon:127.0.0.1", key="busy", fingerprint=fingerprint)
        )
        db.session.commit()
    response = api.call(
        "POST",
        "/api/posts",
        data=b'{"body": "slow"}',
        headers={"Idempotency-Key": "busy", "Content-Type": "application/json"},
    )
    assert response.status_code == 409
    assert response.json["error_code"] == "idempotency_in_progress"
    assert count(app, Post) == 0


def test_abandoned_and_expired_keys_are_reusable(api, app):
    headers = {"Idempotency-Key": "old"}
    first = api.call("POST", "/api/posts", json={"body": "x"}, headers=headers).json["data"]["id"]
    with app.app_context():
        record = db.session.scalar(select(IdempotencyRecord))
        record.created = utcnow() - timedelta(hours=25)
        db.session.commit()
    second = api.call("POST", "/api/posts", json={"body": "x"}, headers=headers).json["data"]["id"]
    assert first != second and count(app, Post) == 2


def test_failed_requests_free_the_key(api, app):
    headers = {"Idempotency-Key": "retry-me"}
    assert api.call("POST", "/api/posts", json={"body": ""}, headers=headers).status_code == 400
    assert api.call("POST", "/api/posts", json={"body": ""}, headers=headers).status_code == 400
    assert count(app, IdempotencyRecord) == 0


def test_keys_are_per_client(api, alice, bob):
    headers = {"Idempotency-Key": "shared-name"}
    a = api.call("POST", "/api/posts", token=alice, json={"body": "x"}, headers=headers)
    b = api.call("POST", "/api/posts", token=bob, json={"body": "x"}, headers=headers)
    assert a.json["data"]["id"] != b.json["data"]["id"]


@pytest.mark.parametrize("key", ["", "k" * 129, "bad\tkey"])
def test_invalid_keys_are_400(api, key):
    response = api.call("POST", "/api/posts", json={"body": "x"}, headers={"Idempotency-Key": key})
    assert response.status_code == 400 and "Idempotency-Key" in response.json["error_msg"]


def test_collection_endpoints_are_idempotent(api, app, alice):
    headers = {"Idempotency-Key": "blog-1"}
    for _ in range(2):
        created = api.call(
            "POST", "/api/collections", token=alice, json={"title": "Diary"}, headers=headers
        )
        assert created.status_code == 201 and created.json["data"]["alias"] == "diary"
    assert count(app, Collection) == 2  # alice's own blog and this one
    for _ in range(2):
        post = api.call(
            "POST",
            "/api/collections/diary/posts",
            token=alice,
            json={"body": "x"},
            headers={"Idempotency-Key": "blog-post-1"},
        )
        assert post.status_code == 201
    assert count(app, Post) == 1
