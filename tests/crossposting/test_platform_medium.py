"""The Medium adapter against a local server speaking Medium's API over a real socket."""

import platform_servers.medium
import pytest
from platform_servers import closed_port_url
from platform_servers.medium import CREDENTIALS, USER_ID, account, article

from writeas.crossposting.formatting import compose_long
from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import (
    AUTH,
    PERMANENT,
    PUBLISHED,
    RETRY,
    Media,
    PlatformError,
)
from writeas.crossposting.platforms.medium import Medium, medium_tags

SERVER = platform_servers.medium  # the `state` and `server` fixtures serve it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_registered():
    assert isinstance(registry()["medium"], Medium)
    assert registry()["medium"].default_base_url == "https://api.medium.com"


@pytest.mark.parametrize("handle", ["alice", "@Alice"])
def test_verify_returns_the_author_id(server, http, handle):
    result = Medium().verify(http, server, handle, CREDENTIALS)
    assert (result.handle, result.account_id) == ("alice", USER_ID)
    assert result.credentials == CREDENTIALS


def test_verify_rejects_a_bad_token(server, http):
    with pytest.raises(PlatformError) as caught:
        Medium().verify(http, server, "alice", {"integration_token": "nope"})
    assert (caught.value.status, caught.value.message) == (400, "Token was invalid.")


def test_verify_rejects_another_users_handle(server, http):
    with pytest.raises(PlatformError) as caught:
        Medium().verify(http, server, "@bob", CREDENTIALS)
    assert caught.value.status == 400
    assert "@alice" in caught.value.message


def test_verify_unreachable_is_a_502(http):
    with pytest.raises(PlatformError) as caught:
        Medium().verify(http, closed_port_url(), "alice", CREDENTIALS)
    assert caught.value.status == 502


def test_publish_sends_markdown_with_title_and_canonical_link(state, server, http):
    outcome = Medium().publish(http, server, account(), article())
    assert outcome.kind == PUBLISHED
    [stored] = state.posts
    assert outcome.post_id == stored["created"]["id"]
    assert outcome.url == stored["created"]["url"]
    assert stored["headers"]["Authorization"] == "Bearer integration-1"
    sent = stored["request"]
    url = "https://write.example/alice/seed-saving"
    assert sent == {
        "title": "Seed saving",
        "contentFormat": "markdown",
        "content": "# Seed saving\n\nKeep the best pods.\n\nDry them **well**.\n\n"
        f"*Originally published at [{url}]({url}).*",
        "canonicalUrl": url,
        "tags": ["gardening", "seeds"],
        "publishStatus": "public",
    }


def test_tags_are_the_three_medium_keeps():
    tags = ["a", "x" * 26, "b", "c", "d"]
    assert medium_tags(tags) == ["a", "b", "c"]


def test_images_are_uploaded_first_and_referenced_with_alt_text(state, server, http):
    media = [Media(PNG, "image/png", "Bean pods [dried]", "pods.png")]
    outcome = Medium().publish(http, server, account(), article(media=media))
    assert outcome.kind == PUBLISHED
    [image] = state.images
    assert (image["data"], image["mimetype"], image["filename"]) == (PNG, "image/png", "pods.png")
    content = state.posts[0]["request"]["content"]
    assert content.startswith(f"# Seed saving\n\n![Bean pods \\[dried\\]]({image['url']})\n\n")


def test_refused_image_keeps_mediums_words_and_posts_nothing(state, server, http):
    state.max_image_bytes = 16
    outcome = Medium().publish(
        http, server, account(), article(media=[Media(PNG, "image/png", "pods")])
    )
    assert (outcome.kind, outcome.error) == (PERMANENT, "Image is too large.")
    assert state.posts == []


def test_unsupported_image_type_is_refused_verbatim(state, server, http):
    outcome = Medium().publish(
        http, server, account(), article(media=[Media(b"RIFF", "image/webp", "x")])
    )
    assert (outcome.kind, outcome.error) == (PERMANENT, "Unsupported image type: image/webp.")
    assert "image/webp" not in Medium.media_limits.mime_types


def test_rate_limit_is_retry_with_retry_after(state, server, http):
    state.rate_limited, state.retry_after = True, 120
    outcome = Medium().publish(http, server, account(), article())
    assert outcome.kind == RETRY
    assert outcome.retry_after == pytest.approx(120)
    assert outcome.error == "Rate limit exceeded."


def test_revoked_token_needs_reconnecting(state, server, http):
    """Medium has no refresh for integration tokens."""
    state.expire_token = True
    outcome = Medium().publish(http, server, account(), article())
    assert (outcome.kind, outcome.error) == (AUTH, "Token was invalid.")
    assert outcome.credentials is None
    assert state.posts == []


def test_composed_article_keeps_its_own_footer(state, server, http):
    url = "https://write.example/alice/seed-saving"
    composed = compose_long("Seed saving", "Keep the best pods.", url, "medium")
    outcome = Medium().publish(http, server, account(), article(markdown=composed["markdown"]))
    assert outcome.kind == PUBLISHED
    content = state.posts[0]["request"]["content"]
    assert content == f"# Seed saving\n\n{composed['markdown']}"
    assert content.count(url) == 1
