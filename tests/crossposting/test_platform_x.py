"""The X adapter against a local server speaking X API v2 over a real socket."""

import base64

import platform_servers.x
import pytest
from platform_servers import closed_port_url
from platform_servers.x import DUPLICATE, INVALID_TOKEN, NOT_PERMITTED, State

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
from writeas.crossposting.platforms.x import X

SERVER = platform_servers.x  # the `state` and `server` fixtures serve it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def credentials(state: State) -> dict:
    return {
        "access_token": next(iter(state.access_tokens)),
        "refresh_token": next(iter(state.refresh_tokens)),
        "client_id": state.client_id,
    }


def account(state: State) -> Account:
    return Account("AliceWrites", state.user["id"], credentials(state))


def content(text="A new post on the blog: https://blog.example/hello", **kwargs) -> Content:
    return Content(text=text, idempotency_key=X().new_idempotency_key(), **kwargs)


def requests_to(state: State, path: str) -> list[dict]:
    return [r for r in state.requests if r["path"] == path]


def test_verify_matches_the_handle_case_insensitively(http, server, state):
    verified = X().verify(http, server, "@alicewrites", credentials(state))
    assert verified.handle == "AliceWrites"
    assert verified.account_id == state.user["id"]
    assert verified.credentials == credentials(state)
    me = requests_to(state, "/2/users/me")[0]
    assert me["headers"]["Authorization"] == f"Bearer {verified.credentials['access_token']}"


def test_verify_refuses_another_accounts_token(http, server, state):
    with pytest.raises(PlatformError) as raised:
        X().verify(http, server, "bob", credentials(state))
    assert raised.value.status == 400
    assert "@AliceWrites" in raised.value.message


def test_verify_refuses_dead_tokens(http, server, state):
    creds = credentials(state)
    state.expire_token = state.revoke_refresh = True
    with pytest.raises(PlatformError) as raised:
        X().verify(http, server, "AliceWrites", creds)
    assert raised.value.status == 400
    assert raised.value.message == INVALID_TOKEN


def test_verify_returns_rotated_tokens_after_a_refresh(http, server, state):
    creds = credentials(state)
    state.expire_token = True
    verified = X().verify(http, server, "AliceWrites", creds)
    assert verified.credentials["access_token"] in state.access_tokens
    assert verified.credentials["refresh_token"] in state.refresh_tokens
    assert creds["refresh_token"] not in state.refresh_tokens


def test_verify_reports_an_unreachable_api(http, state):
    with pytest.raises(PlatformError) as raised:
        X().verify(http, closed_port_url(), "AliceWrites", {"access_token": "t"})
    assert raised.value.status == 502


def test_publish_creates_a_post(http, server, state):
    post = content()
    outcome = X().publish(http, server, account(state), post)

    assert outcome.kind == PUBLISHED, outcome.error
    tweet = state.tweets[0]
    assert outcome.post_id == tweet["id"]
    assert outcome.url == f"https://x.com/AliceWrites/status/{tweet['id']}"
    assert outcome.credentials is None
    sent = requests_to(state, "/2/tweets")[0]
    assert sent["json"] == {"text": post.text}
    assert sent["headers"]["Authorization"] == "Bearer x-access-0"


def test_images_are_uploaded_with_alt_text(http, server, state):
    images = [
        Media(PNG, "image/png", alt_text="A lighthouse at dusk", filename="light.png"),
        Media(b"GIF89a" + b"\x00" * 16, "image/gif"),
    ]
    outcome = X().publish(http, server, account(state), content(media=images))

    assert outcome.kind == PUBLISHED, outcome.error
    uploads = requests_to(state, "/2/media/upload")
    assert [u["form"].get("media_category") for u in uploads] == ["tweet_image"] * 2
    assert uploads[0]["form"]["media_type"] == "image/png"
    assert "media_type" not in uploads[1]["form"]  # not in X's list: X sniffs the file
    media_ids = state.tweets[0]["media_ids"]
    assert [state.media[m]["alt_text"] for m in media_ids] == ["A lighthouse at dusk", None]
    assert state.media[media_ids[0]]["data"] == PNG
    metadata = requests_to(state, "/2/media/metadata")
    assert metadata[0]["json"] == {
        "id": media_ids[0],
        "metadata": {"alt_text": {"text": "A lighthouse at dusk"}},
    }
    assert len(metadata) == 1


def test_text_over_the_limit_is_refused_permanently(http, server, state):
    outcome = X().publish(http, server, account(state), content("word " * 60))
    assert outcome.kind == PERMANENT
    assert outcome.error == NOT_PERMITTED
    assert not state.tweets


def test_rate_limit_asks_to_retry_after_the_reset(http, server, state):
    state.rate_limited = True
    outcome = X().publish(http, server, account(state), content())
    assert outcome.kind == RETRY
    assert 28 <= outcome.retry_after <= 31


def test_expired_token_is_refreshed_and_the_rotation_is_returned(http, server, state):
    old = account(state)
    state.expire_token = True
    outcome = X().publish(http, server, old, content())

    assert outcome.kind == PUBLISHED, outcome.error
    assert len(state.tweets) == 1
    rotated = outcome.credentials
    assert rotated["access_token"] in state.access_tokens
    assert rotated["refresh_token"] in state.refresh_tokens
    assert rotated["client_id"] == state.client_id
    refresh = requests_to(state, "/2/oauth2/token")[0]
    assert refresh["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": "x-refresh-0",
        "client_id": state.client_id,
    }
    assert "Authorization" not in refresh["headers"]  # a public client sends no secret
    # The old refresh token is used up: only the returned credentials keep the channel alive.
    state.expire_token = True
    assert X().publish(http, server, old, content("again")).kind == AUTH
    assert (
        X().publish(http, server, Account("AliceWrites", "1", rotated), content("and again")).kind
        == PUBLISHED
    )


def test_confidential_client_refreshes_with_basic_auth(http, server, state):
    state.client_secret = "s3cret"
    creds = {**credentials(state), "client_secret": "s3cret"}
    state.expire_token = True
    outcome = X().publish(http, server, Account("AliceWrites", "1", creds), content())

    assert outcome.kind == PUBLISHED, outcome.error
    assert outcome.credentials["client_secret"] == "s3cret"
    refresh = requests_to(state, "/2/oauth2/token")[0]
    basic = base64.b64encode(b"x-client-id:s3cret").decode()
    assert refresh["headers"]["Authorization"] == f"Basic {basic}"


def test_failed_refresh_needs_reconnecting(http, server, state):
    state.expire_token = state.revoke_refresh = True
    outcome = X().publish(http, server, account(state), content())
    assert outcome.kind == AUTH
    assert outcome.error == INVALID_TOKEN
    assert not state.tweets


def test_duplicate_content_is_refused_verbatim(http, server, state):
    post = content()
    assert X().publish(http, server, account(state), post).kind == PUBLISHED
    again = X().publish(http, server, account(state), post)
    assert again.kind == PERMANENT
    assert again.error == DUPLICATE
    assert len(state.tweets) == 1


def test_timeout_after_send_is_unknown(http, server, state):
    state.slow_seconds = 3
    outcome = X().publish(http, server, account(state), content())
    assert outcome.kind == UNKNOWN
    assert len(state.tweets) == 1  # it did get through


def test_server_error_on_posting_is_unknown(http, server, state):
    """No idempotency key: a 503 may still have posted, so it must not look retry-safe."""
    state.fail_next = 503
    outcome = X().publish(http, server, account(state), content())
    assert outcome.kind == UNKNOWN


def test_connection_refused_is_retried(http, state):
    outcome = X().publish(http, closed_port_url(), account(state), content())
    assert outcome.kind == RETRY
