"""The LinkedIn adapter against a local server speaking LinkedIn's API over a real socket."""

import platform_servers.linkedin
import pytest
from platform_servers import closed_port_url
from platform_servers.linkedin import (
    CREDENTIALS,
    ORGANIZATION,
    PERSON,
    TEXT,
    account,
    note,
    read_little,
)

from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import (
    AUTH,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Media,
    PlatformError,
)
from writeas.crossposting.platforms.linkedin import API_VERSION, LinkedIn, little_text

SERVER = platform_servers.linkedin  # the `state` and `server` fixtures serve it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_registered():
    assert isinstance(registry()["linkedin"], LinkedIn)
    assert registry()["linkedin"].default_base_url == "https://api.linkedin.com"


def test_little_text_escapes_every_reserved_character_and_templates_hashtags():
    assert little_text("a (b) #tag x#no") == "a \\(b\\) {hashtag|\\#|tag} x\\#no"
    assert little_text("#seeds_2026") == "{hashtag|\\#|seeds\\_2026}"
    # Unescaped, LinkedIn would cut at the first reserved character; escaped, nothing is lost.
    assert read_little(TEXT) == "Seed saving "
    assert read_little(little_text(TEXT)) == TEXT


def test_verify_uses_the_members_urn(server, http):
    result = LinkedIn().verify(http, server, "alice", CREDENTIALS)
    assert (result.handle, result.account_id) == ("alice", PERSON)
    assert result.credentials == CREDENTIALS


def test_verify_falls_back_to_the_members_name(server, http):
    assert LinkedIn().verify(http, server, " ", CREDENTIALS).handle == "Alice Gardener"


def test_verify_accepts_an_organization_author(server, http):
    credentials = {**CREDENTIALS, "author_urn": ORGANIZATION}
    assert LinkedIn().verify(http, server, "garden-co", credentials).account_id == ORGANIZATION


@pytest.mark.parametrize("author", ["urn:li:person:someoneelse", "urn:li:group:5", "alice"])
def test_verify_rejects_authors_the_token_cannot_be(server, http, author):
    with pytest.raises(PlatformError) as caught:
        LinkedIn().verify(http, server, "alice", {**CREDENTIALS, "author_urn": author})
    assert caught.value.status == 400


def test_verify_rejects_a_bad_token(server, http):
    with pytest.raises(PlatformError) as caught:
        LinkedIn().verify(http, server, "alice", {"access_token": "nope"})
    assert (caught.value.status, caught.value.message) == (400, "Invalid access token")


def test_verify_unreachable_is_a_502(http):
    with pytest.raises(PlatformError) as caught:
        LinkedIn().verify(http, closed_port_url(), "alice", CREDENTIALS)
    assert caught.value.status == 502


def test_publish_creates_a_post(state, server, http):
    outcome = LinkedIn().publish(http, server, account(), note())
    assert outcome.kind == PUBLISHED
    [stored] = state.posts
    assert outcome.post_id == stored["urn"]
    assert outcome.url == f"https://www.linkedin.com/feed/update/{stored['urn']}"
    assert stored["headers"]["Linkedin-Version"] == API_VERSION
    assert stored["headers"]["X-Restli-Protocol-Version"] == "2.0.0"
    assert stored["text"] == TEXT  # nothing cut off
    assert stored["post"] == {
        "author": PERSON,
        "commentary": little_text(TEXT),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }


def test_one_image_is_uploaded_and_attached_with_alt_text(state, server, http):
    media = [Media(PNG, "image/png", "Bean pods drying", "pods.png")]
    outcome = LinkedIn().publish(http, server, account(), note(media=media))
    assert outcome.kind == PUBLISHED
    [(urn, image)] = state.images.items()
    assert image == {"owner": PERSON, "data": PNG, "content_type": "image/png"}
    assert state.posts[0]["post"]["content"] == {
        "media": {"id": urn, "altText": "Bean pods drying"}
    }


def test_several_images_use_multi_image(state, server, http):
    media = [Media(PNG, "image/png", "one"), Media(PNG, "image/png", "")]
    outcome = LinkedIn().publish(http, server, account(ORGANIZATION), note(media=media))
    assert outcome.kind == PUBLISHED
    first, second = state.images
    assert state.posts[0]["post"]["content"] == {
        "multiImage": {"images": [{"id": first, "altText": "one"}, {"id": second}]}
    }
    assert state.posts[0]["post"]["author"] == ORGANIZATION


def test_over_long_text_is_refused_verbatim(state, server, http):
    outcome = LinkedIn().publish(http, server, account(), note(text="x" * 3001))
    assert outcome.kind == PERMANENT
    assert outcome.error == (
        "com.linkedin.content.common.exception.BadRequestResponseException: "
        "ShareCommentary text length (3001 characters) exceeded the maximum allowed "
        "(3000 characters)"
    )
    assert state.posts == []


def test_rate_limit_honours_retry_after(state, server, http):
    state.rate_limited, state.retry_after = True, 60
    outcome = LinkedIn().publish(http, server, account(), note())
    assert outcome.kind == RETRY
    assert outcome.retry_after == pytest.approx(60)


def test_rate_limit_without_header_is_still_retry(state, server, http):
    state.rate_limited = True
    outcome = LinkedIn().publish(http, server, account(), note())
    assert (outcome.kind, outcome.retry_after) == (RETRY, None)
    assert outcome.error.startswith("Resource level throttle")


def test_revoked_token_needs_reconnecting(state, server, http):
    state.expire_token = True
    outcome = LinkedIn().publish(http, server, account(), note())
    assert outcome.kind == AUTH
    assert outcome.error == "The token used in the request has been revoked by the user"
    assert outcome.credentials is None


def test_duplicate_is_the_post_already_published(state, server, http):
    first = LinkedIn().publish(http, server, account(), note())
    again = LinkedIn().publish(http, server, account(), note())
    assert again.kind == PUBLISHED
    assert (again.post_id, again.url) == (first.post_id, first.url)
    assert len(state.posts) == 1


def test_timeout_after_send_is_unknown_and_the_retry_finds_the_post(state, server, fast_http, http):
    state.slow_seconds = 3
    outcome = LinkedIn().publish(fast_http, server, account(), note())
    assert outcome.kind == UNKNOWN
    [stored] = state.posts
    state.slow_seconds = 0
    retried = LinkedIn().publish(http, server, account(), note())
    assert (retried.kind, retried.post_id) == (PUBLISHED, stored["urn"])
    assert len(state.posts) == 1
