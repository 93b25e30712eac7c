"""The Bluesky adapter against a local PDS speaking the same XRPC API over a real socket."""

import io
import json
import time

import platform_servers.bluesky
import pytest
from PIL import Image
from platform_servers import closed_port_url

from writeas.crossposting.platforms.base import (
    AUTH,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Media,
    PlatformError,
)
from writeas.crossposting.platforms.bluesky import Bluesky, record_key

SERVER = platform_servers.bluesky  # the `state` and `server` fixtures serve it
ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def image(kind: str) -> bytes:
    """A real image: the reference PDS sniffs an upload's type and refuses (500) a PNG
    signature with nothing readable behind it."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, kind)
    return out.getvalue()


PNG, JPEG = image("PNG"), image("JPEG")


def connect(http, server, state) -> Account:
    credentials = {"app_password": state.app_password}
    return Bluesky().verify(http, server, "@Alice.bsky.social", credentials)


def content(text="Hello from the blog https://blog.example/hello #writing", **kwargs) -> Content:
    return Content(text=text, idempotency_key=Bluesky().new_idempotency_key(), **kwargs)


def creates(state) -> list[dict]:
    return [r for r in state.requests if r["path"].endswith("repo.createRecord")]


def decode_tid(tid: str) -> int:
    value = 0
    for char in tid:
        value = value * 32 + ALPHABET.index(char)
    return value


def test_idempotency_keys_are_tids_of_now():
    platform = Bluesky()
    keys = [platform.new_idempotency_key() for _ in range(200)]
    assert all(len(key) == 13 and set(key) <= set(ALPHABET) for key in keys)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    micros = decode_tid(keys[-1]) >> 10
    assert abs(micros / 1e6 - time.time()) < 5
    assert record_key(keys[0]) == keys[0]
    # A key we didn't choose still maps to one stable, valid record key.
    assert record_key("0f" * 16) == record_key("0f" * 16)
    assert decode_tid(record_key("0f" * 16)) < 2**63


def test_verify_opens_a_session_and_keeps_the_app_password(http, server, state):
    account = connect(http, server, state)
    assert account.handle == "alice.bsky.social"
    assert account.account_id == state.did
    assert account.credentials["app_password"] == state.app_password
    assert account.credentials["did"] == state.did
    assert account.credentials["access_jwt"] in state.access_tokens
    assert account.credentials["refresh_jwt"] in state.refresh_tokens
    body = json.loads(state.requests[-1]["body"])
    assert body == {"identifier": "alice.bsky.social", "password": state.app_password}


def test_verify_refuses_a_wrong_app_password(http, server):
    with pytest.raises(PlatformError) as raised:
        Bluesky().verify(http, server, "alice.bsky.social", {"app_password": "nope"})
    assert raised.value.status == 400
    assert raised.value.message == "Invalid identifier or password"


def test_verify_reports_an_unreachable_pds(http):
    with pytest.raises(PlatformError) as raised:
        Bluesky().verify(http, closed_port_url(), "alice.bsky.social", {"app_password": "x"})
    assert raised.value.status == 502


def test_publish_creates_a_post_at_the_chosen_record_key(http, server, state):
    account = connect(http, server, state)
    post = content()
    outcome = Bluesky().publish(http, server, account, post)

    assert outcome.kind == PUBLISHED, outcome.error
    assert outcome.post_id == post.idempotency_key
    assert outcome.url == f"https://bsky.app/profile/alice.bsky.social/post/{post.idempotency_key}"
    stored = state.records[post.idempotency_key]
    assert outcome.uri == stored["uri"] == f"at://{state.did}/app.bsky.feed.post/{outcome.post_id}"
    assert outcome.cid == stored["cid"]
    assert outcome.credentials is None  # nothing was refreshed

    request = creates(state)[0]
    assert request["headers"]["Authorization"] == f"Bearer {account.credentials['access_jwt']}"
    body = json.loads(request["body"])
    assert body["repo"] == state.did and body["validate"] is True
    record = stored["value"]
    assert record["text"] == post.text
    assert record["createdAt"].endswith("Z")
    link, tag = record["facets"]
    raw = post.text.encode()
    assert (
        raw[link["index"]["byteStart"] : link["index"]["byteEnd"]] == b"https://blog.example/hello"
    )
    assert link["features"][0]["uri"] == "https://blog.example/hello"
    assert tag["features"][0] == {"$type": "app.bsky.richtext.facet#tag", "tag": "writing"}
    assert "embed" not in record


def test_images_are_uploaded_as_blobs_with_alt_text(http, server, state):
    account = connect(http, server, state)
    images = [
        Media(PNG, "image/png", alt_text="A lighthouse at dusk"),
        Media(JPEG, "image/jpeg"),
    ]
    outcome = Bluesky().publish(http, server, account, content(media=images))

    assert outcome.kind == PUBLISHED, outcome.error
    uploads = [r for r in state.requests if r["path"].endswith("repo.uploadBlob")]
    assert [u["headers"]["Content-Type"] for u in uploads] == ["image/png", "image/jpeg"]
    assert uploads[0]["body"] == PNG
    embed = state.records[outcome.post_id]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in embed["images"]] == ["A lighthouse at dusk", ""]
    first = embed["images"][0]["image"]
    assert first["mimeType"] == "image/png" and first["size"] == len(PNG)
    assert state.blobs[first["ref"]["$link"]]["data"] == PNG


def test_text_over_the_limit_is_refused_permanently(http, server, state):
    account = connect(http, server, state)
    outcome = Bluesky().publish(http, server, account, content("é" * 301))
    assert outcome.kind == PERMANENT
    assert outcome.error == (
        "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) "
        "at $.record.text"
    )
    assert not state.records


def test_rate_limit_asks_to_retry_after_the_reset(http, server, state):
    account = connect(http, server, state)
    state.rate_limited = True
    outcome = Bluesky().publish(http, server, account, content())
    assert outcome.kind == RETRY
    assert outcome.error == "Rate Limit Exceeded"
    assert 28 <= outcome.retry_after <= 31


def test_expired_access_token_is_refreshed_and_rotated(http, server, state):
    account = connect(http, server, state)
    old_refresh = account.credentials["refresh_jwt"]
    state.expire_token = True
    outcome = Bluesky().publish(http, server, account, content())

    assert outcome.kind == PUBLISHED, outcome.error
    assert len(state.records) == 1
    rotated = outcome.credentials
    assert rotated["access_jwt"] in state.access_tokens
    assert rotated["refresh_jwt"] in state.refresh_tokens
    assert old_refresh not in state.refresh_tokens
    assert rotated["app_password"] == state.app_password and rotated["did"] == state.did
    refresh = next(r for r in state.requests if r["path"].endswith("refreshSession"))
    assert refresh["headers"]["Authorization"] == f"Bearer {old_refresh}"


def test_expired_refresh_token_falls_back_to_the_app_password(http, server, state):
    account = connect(http, server, state)
    state.expire_token = state.expire_refresh = True
    outcome = Bluesky().publish(http, server, account, content())

    assert outcome.kind == PUBLISHED, outcome.error
    assert outcome.credentials["access_jwt"] in state.access_tokens
    logins = [r for r in state.requests if r["path"].endswith("createSession")]
    assert json.loads(logins[-1]["body"])["identifier"] == state.did


def test_revoked_app_password_needs_reconnecting(http, server, state):
    account = connect(http, server, state)
    state.expire_token = state.expire_refresh = True
    state.app_password = "revoked-and-replaced"
    outcome = Bluesky().publish(http, server, account, content())
    assert outcome.kind == AUTH
    assert outcome.error == "Invalid identifier or password"
    assert not state.records


def test_the_same_record_key_never_posts_twice(http, server, state):
    account = connect(http, server, state)
    post = content()
    first = Bluesky().publish(http, server, account, post)
    again = Bluesky().publish(http, server, account, post)

    assert first.kind == again.kind == PUBLISHED, again.error
    assert (again.post_id, again.uri, again.cid) == (first.post_id, first.uri, first.cid)
    assert len(state.records) == 1
    assert len(creates(state)) == 2  # the second create was refused: the key was taken


def test_timeout_after_send_is_unknown_and_a_retry_finds_the_post(http, server, state):
    account = connect(http, server, state)
    post = content()
    state.slow_seconds = 3
    outcome = Bluesky().publish(http, server, account, post)
    assert outcome.kind == UNKNOWN
    assert post.idempotency_key in state.records  # it did get through

    state.slow_seconds = 0
    retried = Bluesky().publish(http, server, account, post)
    assert retried.kind == PUBLISHED, retried.error
    assert retried.uri == state.records[post.idempotency_key]["uri"]
    assert len(state.records) == 1


def test_server_error_without_a_record_is_retried(http, server, state):
    account = connect(http, server, state)
    state.fail_next = 502
    outcome = Bluesky().publish(http, server, account, content())
    assert outcome.kind == RETRY
    assert not state.records


def test_connection_refused_is_retried(http, state):
    account = Account(
        "alice.bsky.social",
        state.did,
        {
            "app_password": "x",
            "did": state.did,
            "access_jwt": "a",
            "refresh_jwt": "r",
        },
    )
    outcome = Bluesky().publish(http, closed_port_url(), account, content())
    assert outcome.kind == RETRY


def test_a_first_comment_is_a_reply_made_once_however_often_the_post_is_sent(
    http, server, state
):
    account = connect(http, server, state)
    post = content(first_comment="Sources in the post.")
    first = Bluesky().publish(http, server, account, post)
    again = Bluesky().publish(http, server, account, post)

    assert first.first_comment["status"] == again.first_comment["status"] == "published"
    assert again.first_comment == first.first_comment
    assert len(state.records) == 2  # the post and its one reply
    reply = state.records[first.first_comment["id"]]["value"]
    parent = {"uri": first.uri, "cid": first.cid}
    assert reply["text"] == "Sources in the post."
    assert reply["reply"] == {"root": parent, "parent": parent}


def test_a_linked_post_gets_a_card_and_images_their_aspect_ratio(http, server, state):
    account = connect(http, server, state)
    url = "https://write.example/alice/seed-saving"
    # compose_short shortened the title to make room; the card keeps the whole of it.
    text = f"Seed saving: a…\n\nKeep the best pods.\n\n{url}"
    linked = content(text, title="Seed saving: a season's notes", canonical_url=url)
    outcome = Bluesky().publish(http, server, account, linked)
    assert state.records[outcome.post_id]["value"]["embed"]["external"] == {
        "uri": url,
        "title": "Seed saving: a season's notes",
        "description": "Keep the best pods.",
    }

    images = [Media(PNG, "image/png", width=1200, height=800), Media(JPEG, "image/jpeg")]
    outcome = Bluesky().publish(
        http, server, account, content(text, canonical_url=url, media=images)
    )
    embed = state.records[outcome.post_id]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"  # one embed a post: the images
    assert embed["images"][0]["aspectRatio"] == {"width": 1200, "height": 800}
    assert "aspectRatio" not in embed["images"][1]  # dimensions unknown: none made up
