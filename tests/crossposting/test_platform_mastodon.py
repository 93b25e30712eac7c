"""The Mastodon adapter against a local server speaking Mastodon's API over a real socket."""

import platform_servers.mastodon
import pytest
from platform_servers import closed_port_url

from writeas.crossposting.platforms import registry
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
from writeas.crossposting.platforms.mastodon import MEDIA_POLLS, Mastodon

SERVER = platform_servers.mastodon  # the `state` and `server` fixtures serve it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def account(state):
    return Account("alice", state.account["id"], {"access_token": state.access_token})


def content(text="Hello from the blog.", key="key-1", **extra):
    return Content(text=text, idempotency_key=key, **extra)


def test_registered_with_mastodons_limits():
    platform = registry()["mastodon"]
    assert isinstance(platform, Mastodon)
    assert platform.default_base_url == "https://mastodon.social"
    limits = platform.media_limits
    assert (limits.max_images, limits.max_bytes, limits.max_alt_text) == (4, 16 << 20, 1500)


@pytest.mark.parametrize("handle", ["alice", "@alice", "alice@mastodon.example", "@Alice@x.y"])
def test_verify_accepts_the_handle_forms(server, http, state, handle):
    found = Mastodon().verify(http, server, handle, {"access_token": state.access_token})
    assert (found.handle, found.account_id) == ("alice", "109382")
    assert found.credentials == {"access_token": state.access_token}
    request = state.requests[-2]
    assert request["path"] == "/api/v1/accounts/verify_credentials"
    assert request["headers"]["Authorization"] == f"Bearer {state.access_token}"


def test_verify_refuses_a_bad_token(server, http):
    with pytest.raises(PlatformError) as refused:
        Mastodon().verify(http, server, "alice", {"access_token": "wrong"})
    assert (refused.value.message, refused.value.status) == ("The access token is invalid", 400)


def test_verify_refuses_someone_elses_handle(server, http, state):
    with pytest.raises(PlatformError) as refused:
        Mastodon().verify(http, server, "bob@mastodon.example", {"access_token": "mastodon-token"})
    assert refused.value.status == 400
    assert "@alice" in refused.value.message


def test_verify_reports_an_unreachable_server_as_502(http):
    with pytest.raises(PlatformError) as refused:
        Mastodon().verify(http, closed_port_url(), "alice", {"access_token": "t"})
    assert refused.value.status == 502


def test_publish_posts_a_status_with_the_idempotency_key(server, http, state, account):
    outcome = Mastodon().publish(http, server, account, content(key="delivery-7"))
    assert outcome.kind == PUBLISHED, outcome
    [status] = state.statuses
    assert status["text"] == "Hello from the blog."
    assert status["idempotency_key"] == "delivery-7"
    assert outcome.post_id == status["id"]
    assert outcome.url == f"{server}/@alice/{status['id']}"
    assert outcome.uri == f"{server}/users/alice/statuses/{status['id']}"
    headers = state.requests[-1]["headers"]
    assert headers["Authorization"] == "Bearer mastodon-token"
    assert outcome.credentials is None


def test_publish_uploads_images_with_alt_text_and_waits_for_processing(
    server, http, state, account
):
    state.processing_polls = 3
    images = [
        Media(PNG, "image/png", alt_text="A red kite over a hill", filename="kite.png"),
        Media(PNG + b"2", "image/png", alt_text="", filename="hill.png"),
    ]
    outcome = Mastodon().publish(http, server, account, content(media=images))
    assert outcome.kind == PUBLISHED, outcome
    [status] = state.statuses
    stored = [state.media[media_id] for media_id in status["media_ids"]]
    assert [m["description"] for m in stored] == ["A red kite over a hill", ""]
    assert [m["data"] for m in stored] == [PNG, PNG + b"2"]
    assert [m["filename"] for m in stored] == ["kite.png", "hill.png"]
    paths = [r["path"] for r in state.requests]
    assert paths.count("/api/v2/media") == 2
    assert sum(p.startswith("/api/v1/media/") for p in paths) == 6


def test_media_still_processing_is_retried_later_without_posting(server, http, state, account):
    state.processing_polls = MEDIA_POLLS + 5
    outcome = Mastodon().publish(http, server, account, content(media=[Media(PNG, "image/png")]))
    assert outcome.kind == RETRY
    assert outcome.retry_after and outcome.retry_after > 0
    assert state.statuses == []


def test_text_over_the_limit_is_refused_verbatim(server, http, state, account):
    outcome = Mastodon().publish(http, server, account, content(text="x" * 501))
    assert outcome.kind == PERMANENT
    assert outcome.error == "Validation failed: Text character limit of 500 exceeded"
    assert state.statuses == []


def test_too_long_alt_text_is_refused_verbatim(server, http, state, account):
    image = Media(PNG, "image/png", alt_text="a" * 1501)
    outcome = Mastodon().publish(http, server, account, content(media=[image]))
    assert outcome.kind == PERMANENT
    assert outcome.error.startswith("Validation failed: Description is too long")
    assert state.statuses == []


def test_rate_limit_waits_until_the_reset_time(server, http, state, account):
    state.rate_limited = True
    state.rate_limit_reset_seconds = 30
    outcome = Mastodon().publish(http, server, account, content())
    assert outcome.kind == RETRY
    assert outcome.error == "Too many requests"
    assert 25 <= outcome.retry_after <= 30
    assert state.statuses == []


def test_an_expired_token_needs_reconnecting(server, http, state, account):
    state.expire_token = True
    outcome = Mastodon().publish(http, server, account, content())
    assert outcome.kind == AUTH
    assert outcome.error == "The access token is invalid"
    assert outcome.credentials is None
    assert state.statuses == []


def test_server_errors_are_retried(server, http, state, account):
    state.fail_next = 503
    assert Mastodon().publish(http, server, account, content()).kind == RETRY
    assert Mastodon().publish(http, server, account, content()).kind == PUBLISHED


def test_the_same_idempotency_key_never_posts_twice(server, http, state, account):
    first = Mastodon().publish(http, server, account, content(key="same"))
    again = Mastodon().publish(http, server, account, content(key="same"))
    assert first.kind == again.kind == PUBLISHED
    assert (again.post_id, again.url) == (first.post_id, first.url)
    assert len(state.statuses) == 1
    other = Mastodon().publish(http, server, account, content(key="another"))
    assert other.post_id != first.post_id
    assert len(state.statuses) == 2


def test_a_timeout_after_sending_is_unknown_and_a_retry_finds_the_post(
    server, http, state, account
):
    state.slow_seconds = 3
    outcome = Mastodon().publish(http, server, account, content(key="slow"))
    assert outcome.kind == UNKNOWN
    assert len(state.statuses) == 1
    state.slow_seconds = 0
    retried = Mastodon().publish(http, server, account, content(key="slow"))
    assert retried.kind == PUBLISHED
    assert retried.post_id == state.statuses[0]["id"]
    assert len(state.statuses) == 1


def test_a_refused_connection_is_safe_to_retry(http, account):
    outcome = Mastodon().publish(http, closed_port_url(), account, content())
    assert outcome.kind == RETRY
