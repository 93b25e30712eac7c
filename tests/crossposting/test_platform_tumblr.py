"""The Tumblr adapter against a local server speaking Tumblr's API over a real socket."""

import platform_servers.tumblr
import pytest
from platform_servers import closed_port_url
from platform_servers.tumblr import CREDENTIALS, account, article

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
from writeas.crossposting.platforms.tumblr import Tumblr, blog_name, markdown_blocks

SERVER = platform_servers.tumblr  # the `state` and `server` fixtures serve it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_registered():
    assert isinstance(registry()["tumblr"], Tumblr)
    assert registry()["tumblr"].default_base_url == "https://api.tumblr.com"


@pytest.mark.parametrize(
    "handle",
    [
        "alices-garden",
        "@alices-garden",
        "alices-garden.tumblr.com",
        "https://alices-garden.tumblr.com/",
        "https://www.tumblr.com/alices-garden",
    ],
)
def test_blog_name_forms(handle):
    assert blog_name(handle) == "alices-garden"


def test_verify_finds_the_blog_among_the_users_blogs(server, http):
    result = Tumblr().verify(http, server, "@Alices-Garden", CREDENTIALS)
    assert result.handle == "alices-garden"
    assert result.account_id == "t:Ae3xYz12"
    assert result.credentials == CREDENTIALS


def test_verify_rejects_a_bad_token(server, http):
    with pytest.raises(PlatformError) as caught:
        Tumblr().verify(http, server, "alices-garden", {"access_token": "nope"})
    assert caught.value.status == 400
    assert caught.value.message == "Unable to authorize"


def test_verify_rejects_someone_elses_blog(server, http):
    with pytest.raises(PlatformError) as caught:
        Tumblr().verify(http, server, "staff", CREDENTIALS)
    assert caught.value.status == 400
    assert "staff" in caught.value.message


def test_verify_refreshes_an_expired_token(state, server, http):
    state.expire_token = True
    result = Tumblr().verify(http, server, "alices-garden", CREDENTIALS)
    assert result.credentials["access_token"] == "token-r1"
    assert result.credentials["refresh_token"] == "refresh-r1"


def test_verify_unreachable_is_a_502(http):
    with pytest.raises(PlatformError) as caught:
        Tumblr().verify(http, closed_port_url(), "alices-garden", CREDENTIALS)
    assert caught.value.status == 502


def test_publish_sends_an_npf_post(state, server, http):
    outcome = Tumblr().publish(http, server, account(), article())
    assert outcome.kind == PUBLISHED
    [stored] = state.posts
    assert outcome.post_id == stored["id"]
    assert outcome.url == f"https://alices-garden.tumblr.com/post/{stored['id']}"
    assert outcome.credentials is None
    post = stored["post"]
    assert stored["content_type"] == "application/json"
    assert post["state"] == "published"
    assert post["tags"] == "gardening,seeds"
    blocks = post["content"]
    assert blocks[0] == {"type": "text", "subtype": "heading1", "text": "Seed saving"}
    assert blocks[1] == {"type": "text", "text": "Keep the best pods."}
    assert blocks[2]["text"] == "Dry them well before storing."
    assert blocks[2]["formatting"] == [{"start": 9, "end": 13, "type": "bold"}]
    link = blocks[-1]
    url = "https://write.example/alice/seed-saving"
    assert link["text"] == f"Originally published at {url}"
    [span] = link["formatting"]
    assert span["type"] == "link" and span["url"] == url
    assert link["text"][span["start"] : span["end"]] == url


def test_markdown_maps_to_npf_subtypes():
    blocks = markdown_blocks(
        "## Tools\n\n- a [trowel](https://t.example/)\n  - nested\n1. first\n\n> quoted\n\n"
        "```\ncode_here()\n```\nsoft\nbreak"
    )
    assert blocks[0] == {"type": "text", "subtype": "heading2", "text": "Tools"}
    assert blocks[1]["subtype"] == "unordered-list-item"
    assert blocks[1]["text"] == "a trowel"
    assert blocks[1]["formatting"] == [
        {"start": 2, "end": 8, "type": "link", "url": "https://t.example/"}
    ]
    assert blocks[2]["indent_level"] == 1
    assert blocks[3]["subtype"] == "ordered-list-item"
    assert blocks[4] == {"type": "text", "subtype": "indented", "text": "quoted"}
    assert blocks[5] == {"type": "text", "subtype": "indented", "text": "code_here()"}
    assert blocks[6] == {"type": "text", "text": "soft break"}


def test_formatting_counts_code_points():
    [block] = markdown_blocks("🌳 **tree**")
    assert block["formatting"] == [{"start": 2, "end": 6, "type": "bold"}]


def test_publish_uploads_images_in_the_same_request(state, server, http):
    media = [
        Media(PNG, "image/png", "A row of bean pods", "pods.png"),
        Media(b"GIF89a" + b"\x00" * 8, "image/gif", "", "anim.gif"),
    ]
    outcome = Tumblr().publish(http, server, account(), article(media=media))
    assert outcome.kind == PUBLISHED
    [stored] = state.posts
    assert stored["content_type"] == "multipart/form-data"
    images = [b for b in stored["post"]["content"] if b["type"] == "image"]
    assert images[0] == {
        "type": "image",
        "media": [{"type": "image/png", "identifier": "image0"}],
        "alt_text": "A row of bean pods",
    }
    assert "alt_text" not in images[1]
    assert stored["files"]["image0"] == ("pods.png", "image/png", PNG)
    assert stored["files"]["image1"][1] == "image/gif"


def test_refusal_keeps_tumblrs_words(state, server, http):
    state.max_image_bytes = 16
    outcome = Tumblr().publish(
        http, server, account(), article(media=[Media(PNG, "image/png", "pods")])
    )
    assert outcome.kind == PERMANENT
    assert outcome.error == "The image you uploaded is too large. The maximum size is 10 MB."
    assert state.posts == []


def test_rate_limit_uses_the_per_day_reset(state, server, http):
    state.rate_limited = True
    outcome = Tumblr().publish(http, server, account(), article())
    assert outcome.kind == RETRY
    assert outcome.retry_after == pytest.approx(3600)
    assert outcome.error == "You have exceeded your rate limit."


def test_rate_limit_prefers_retry_after(state, server, http):
    state.rate_limited, state.retry_after = True, 30
    outcome = Tumblr().publish(http, server, account(), article())
    assert outcome.kind == RETRY
    assert outcome.retry_after == pytest.approx(30)


def test_expired_token_is_refreshed_and_the_post_sent_once(state, server, http):
    state.expire_token = True
    outcome = Tumblr().publish(http, server, account(), article())
    assert outcome.kind == PUBLISHED
    assert len(state.posts) == 1
    assert outcome.credentials == {
        **CREDENTIALS,
        "access_token": "token-r1",
        "refresh_token": "refresh-r1",
    }
    assert state.refresh_tokens == {"refresh-r1"}


def test_expired_token_without_refresh_token_needs_reconnecting(state, server, http):
    state.expire_token = True
    outcome = Tumblr().publish(http, server, account({"access_token": "token-1"}), article())
    assert outcome.kind == AUTH
    assert outcome.error == "Unable to authorize"
    assert state.posts == []


def test_failed_refresh_needs_reconnecting(state, server, http):
    state.expire_token, state.refresh_fails = True, True
    outcome = Tumblr().publish(http, server, account(), article())
    assert outcome.kind == AUTH
    assert outcome.error == "The refresh token is invalid."
    assert state.posts == []


def test_composed_article_keeps_its_own_footer(state, server, http):
    url = "https://write.example/alice/seed-saving"
    composed = compose_long("Seed saving", "Keep the best pods.", url, "tumblr")
    outcome = Tumblr().publish(http, server, account(), article(markdown=composed["markdown"]))
    assert outcome.kind == PUBLISHED
    blocks = state.posts[0]["post"]["content"]
    assert [b["text"] for b in blocks] == [
        "Seed saving",
        "Keep the best pods.",
        f"Originally published at {url}",
    ]
    lead = len("Originally published at ")
    assert blocks[-1]["formatting"] == [
        {"start": 0, "end": lead + len(url), "type": "italic"},
        {"start": lead, "end": lead + len(url), "type": "link", "url": url},
    ]


def test_token_endpoint_down_is_retry_not_reconnect(state, server, http):
    state.expire_token, state.token_endpoint_down = True, True
    outcome = Tumblr().publish(http, server, account(), article())
    assert (outcome.kind, outcome.error) == (RETRY, "Try again later.")
    assert state.posts == []
