"""The Instagram adapter against a local server speaking the Graph API over a real socket,
fetching the media from a second local server as Meta fetches it from our media URLs."""

import time

import platform_servers.graph
import pytest
from platform_servers import closed_port_url
from platform_servers.graph import EXPIRED_TOKEN, VERSION, hosting, now_stamp

from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import (
    AUTH,
    NOT_LANDED,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    VIDEO,
    Account,
    Content,
    Media,
    OptionError,
    PlatformError,
)
from writeas.crossposting.platforms.graph import FACEBOOK_GRAPH, NO_REFRESH
from writeas.crossposting.platforms.instagram import Instagram

SERVER = platform_servers.graph  # the `state` and `server` fixtures serve it
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
IG_ID = "17841400000000001"
CAPTION = "Seed saving, step by step. #gardening"


@pytest.fixture
def base(server):
    return f"{server}/{VERSION}"


@pytest.fixture
def host():
    with hosting() as hosted:
        yield hosted


@pytest.fixture
def account():
    return Account("alice.garden", IG_ID, {"access_token": "page-token-garden"})


def image(host, name="kite.jpg", data=JPEG, alt=""):
    return Media(data, "image/jpeg", alt_text=alt, url=host.add(name, data, "image/jpeg"))


def video(host, name="walk.mp4", seconds=20.0):
    url = host.add(name, MP4, "video/mp4")
    return Media(b"", "video/mp4", kind=VIDEO, url=url, size=len(MP4), duration=seconds)


def content(media, text=CAPTION, saves=None, **extra):
    saver = saves.append if saves is not None else None
    return Content(text=text, media=list(media), saver=saver, idempotency_key="k1", **extra)


def posts(state, path_end):
    return [r for r in state.requests if r["method"] == "POST" and r["path"].endswith(path_end)]


def test_registered_with_instagrams_limits():
    platform = registry()["instagram"]
    assert isinstance(platform, Instagram)
    assert platform.default_base_url == FACEBOOK_GRAPH == "https://graph.facebook.com/v21.0"
    limits = platform.media_limits
    assert (limits.max_images, limits.max_bytes, limits.mime_types) == (
        10,
        8 << 20,
        frozenset({"image/jpeg"}),
    )
    videos = platform.video_limits
    assert (videos.min_seconds, videos.max_seconds, videos.max_bytes) == (3, 900, 1 << 30)
    assert videos.aspect_ratios == (0.01, 10.0) and videos.mixes_with_images
    assert platform.first_comments and platform.credential_fields == ("access_token",)


def test_options_name_the_format():
    platform = Instagram()
    for form in ("feed", "reels", "stories"):
        assert platform.check_options({"format": form}) == {"format": form}
    with pytest.raises(OptionError, match="feed, reels, stories"):
        platform.check_options({"format": "carousel"})
    with pytest.raises(OptionError, match="no option `privacy`"):
        platform.check_options({"privacy": "public"})


def test_verify_finds_the_account_through_its_page_and_keeps_the_pages_token(base, http, state):
    found = Instagram().verify(http, base, "@Alice.Garden", {"access_token": state.user_token})
    assert found == Account(
        "alice.garden",
        IG_ID,
        {"access_token": "page-token-garden"},
        {"page_id": "104000000000001", "page_name": "Alice's Garden"},
    )
    [request] = state.requests
    assert request["path"] == f"/{VERSION}/me/accounts"
    assert "instagram_business_account" in request["values"]["fields"]


def test_verify_reads_every_page_of_accounts_and_needs_a_publishing_task(base, http, state):
    state.accounts_page_size = 1
    with pytest.raises(PlatformError) as refused:
        Instagram().verify(http, base, "seed.library", {"access_token": state.user_token})
    assert refused.value.status == 400
    assert "can't publish for the Page Seed Library" in refused.value.message
    assert [r["values"].get("after") for r in state.requests] == [None, "1"]


def test_verify_refuses_an_account_no_managed_page_links(base, http, state):
    with pytest.raises(PlatformError) as refused:
        Instagram().verify(http, base, "bob", {"access_token": state.user_token})
    assert refused.value.status == 400
    assert "No Instagram professional account bob" in refused.value.message


def test_verify_refuses_a_bad_token_in_metas_words(base, http):
    with pytest.raises(PlatformError) as refused:
        Instagram().verify(http, base, "alice.garden", {"access_token": "nope"})
    assert refused.value.status == 400
    assert refused.value.message.startswith("Invalid OAuth access token")


def test_verify_reports_an_unreachable_api_as_502(http):
    with pytest.raises(PlatformError) as refused:
        Instagram().verify(http, closed_port_url(), "alice.garden", {"access_token": "t"})
    assert refused.value.status == 502


def test_publishes_an_image_fetched_from_its_url(base, http, state, account, host):
    saves = []
    kite = image(host, alt="A red kite over the allotment")
    outcome = Instagram().publish(http, base, account, content([kite], saves=saves))
    assert outcome.kind == PUBLISHED, outcome
    [media] = state.media.values()
    assert outcome.post_id == media["id"] and outcome.url == media["permalink"]
    assert media["caption"] == CAPTION and media["media_type"] == "IMAGE"
    [container] = state.containers.values()
    assert container["data"] == JPEG and state.fetched == [kite.url]
    assert container["params"]["alt_text"] == "A red kite over the allotment"
    # The container's id was stored before anything was published.
    assert saves[0]["container"] == container["id"] and "published" not in saves[0]
    assert saves[-1]["published"] == media["id"]
    assert [r["path"].rsplit("/", 1)[-1] for r in state.requests] == [
        "media",
        container["id"],
        "content_publishing_limit",
        "media_publish",
        media["id"],
    ]


def test_a_carousel_mixes_images_and_a_video(base, http, state, account, host):
    items = [image(host, "a.jpg", alt="Pods"), video(host), image(host, "b.jpg")]
    outcome = Instagram().publish(http, base, account, content(items))
    assert outcome.kind == PUBLISHED, outcome
    [media] = state.media.values()
    assert media["media_type"] == "CAROUSEL_ALBUM"
    parent = state.containers[media["container"]]
    children = parent["params"]["children"].split(",")
    assert [state.containers[c]["params"].get("media_type") for c in children] == [
        None,
        "VIDEO",
        None,
    ]
    assert all(state.containers[c]["params"]["is_carousel_item"] == "true" for c in children)
    assert parent["params"]["caption"] == CAPTION


def test_a_video_is_a_reel_polled_over_several_attempts(base, http, state, account, host):
    state.processing_polls = 2
    post = content([video(host)])
    first = Instagram().publish(http, base, account, post)
    second = Instagram().publish(http, base, account, post)
    assert (first.kind, first.processing, second.kind, second.processing) == (
        RETRY,
        True,
        RETRY,
        True,
    )
    assert first.retry_after == 30 and "still processing" in first.error
    assert state.media == {}
    third = Instagram().publish(http, base, account, post)
    assert third.kind == PUBLISHED, third
    [container] = state.containers.values()
    assert container["params"]["media_type"] == "REELS"
    assert container["params"]["share_to_feed"] == "true"
    assert len(posts(state, "/media")) == 1 and len(posts(state, "/media_publish")) == 1
    assert third.url.startswith("https://www.instagram.com/reel/")


def test_a_carousel_waits_for_its_videos_before_its_own_container(base, http, state, account, host):
    state.processing_polls = 1
    post = content([image(host), video(host)])
    assert Instagram().publish(http, base, account, post).processing
    assert len(post.state["children"]) == 2 and not post.state.get("container")
    assert Instagram().publish(http, base, account, post).kind == PUBLISHED
    assert len(state.containers) == 3  # two items, one carousel: nothing made twice


def test_reels_format_keeps_the_reel_in_the_reels_tab(base, http, state, account, host):
    post = content([video(host)], options={"format": "reels"})
    assert Instagram().publish(http, base, account, post).kind == PUBLISHED
    [container] = state.containers.values()
    assert container["params"]["share_to_feed"] == "false"


def test_a_story_has_no_caption(base, http, state, account, host):
    post = content([image(host)], options={"format": "stories"})
    outcome = Instagram().publish(http, base, account, post)
    assert outcome.kind == PUBLISHED, outcome
    [container] = state.containers.values()
    assert container["params"] == {"media_type": "STORIES", "image_url": post.media[0].url}
    assert "/stories/alice.garden/" in outcome.url


@pytest.mark.parametrize(
    ("options", "count", "seconds", "words"),
    [
        ({}, 0, 0, "need an image or a video"),
        ({}, 11, 0, "at most 10 images and videos"),
        ({"format": "reels"}, 1, 0, "one video, alone"),
        ({"format": "stories"}, 2, 0, "one image or one video"),
        ({"format": "stories"}, 0, 61, "at most 60 seconds"),
    ],
)
def test_what_instagram_cant_post_is_refused_before_sending(host, options, count, seconds, words):
    media = [image(host, f"{n}.jpg") for n in range(count)]
    if seconds:
        media.append(video(host, seconds=seconds))
    assert words in Instagram().refuse(media, options)


def test_what_instagram_can_post_is_not_refused(host):
    assert Instagram().refuse([image(host)], {}) is None
    assert Instagram().refuse([video(host, seconds=30)], {"format": "reels"}) is None


def test_over_long_caption_is_refused_in_metas_words(base, http, state, account, host):
    outcome = Instagram().publish(http, base, account, content([image(host)], text="x" * 2201))
    assert outcome.kind == PERMANENT
    assert outcome.error == "(#100) The caption is too long: it may be at most 2200 characters."
    assert state.media == {}


def test_an_image_meta_cant_take_or_fetch_is_refused(base, http, state, account, host):
    png = Media(PNG, "image/jpeg", url=host.add("x.png", PNG, "image/png"))
    outcome = Instagram().publish(http, base, account, content([png]))
    assert (outcome.kind, outcome.error) == (
        PERMANENT,
        "The image format is not supported. Only JPEG images are.",
    )
    gone = Media(JPEG, "image/jpeg", url=f"{host.url}/media/missing.jpg")
    outcome = Instagram().publish(http, base, account, content([gone]))
    assert outcome.kind == PERMANENT and outcome.error.startswith("Media download has failed")


def test_a_rate_limit_waits_as_long_as_the_usage_header_says(base, http, state, account, host):
    state.throttled, state.regain_minutes = 80002, 7
    outcome = Instagram().publish(http, base, account, content([image(host)]))
    assert outcome.kind == RETRY
    assert outcome.error.startswith("(#80002) There have been too many calls")
    assert outcome.retry_after == 7 * 60
    assert state.containers == {}


def test_a_usage_at_100_percent_stops_before_the_next_call(base, http, state, account, host):
    state.usage, state.regain_minutes = 100, 3
    post = content([image(host)])
    outcome = Instagram().publish(http, base, account, post)
    assert (outcome.kind, outcome.retry_after) == (RETRY, 180)
    assert len(state.requests) == 1 and post.state["container"]
    state.usage = 40
    assert Instagram().publish(http, base, account, post).kind == PUBLISHED
    assert len(posts(state, "/media")) == 1  # the kept container was published


def test_an_expired_token_needs_reconnecting(base, http, state, account, host):
    state.expire_token = True
    outcome = Instagram().publish(http, base, account, content([image(host)]))
    assert outcome.kind == AUTH
    assert outcome.error == f"{EXPIRED_TOKEN} {NO_REFRESH}"
    assert outcome.credentials is None


def test_the_publishing_limit_waits_for_the_window_to_free_up(base, http, state, account, host):
    state.quota_total = 2
    day = 86400
    for age in (day - 3600, 600):  # the older one leaves the 24-hour window in an hour
        media_id = state.new_id()
        state.media[media_id] = {
            "id": media_id,
            "owner": IG_ID,
            "caption": "earlier",
            "media_type": "IMAGE",
            "timestamp": now_stamp(time.time() - age),
            "created": time.time() - age,
        }
    outcome = Instagram().publish(http, base, account, content([image(host)]))
    assert outcome.kind == RETRY and "allows 2 posts in 24 hours" in outcome.error
    assert 3500 <= outcome.retry_after <= 3600
    assert posts(state, "/media_publish") == []


def test_an_unknown_publish_is_looked_up_never_published_twice(
    base, http, fast_http, state, account, host
):
    state.slow_seconds = 2  # the post is made, the answer comes after the client gave up
    post = content([image(host)])
    lost = Instagram().publish(fast_http, base, account, post)
    assert lost.kind == UNKNOWN
    assert Instagram().resend_safe(account, post.state)
    state.slow_seconds = 0
    again = Instagram().publish(http, base, account, post)
    assert again.kind == PUBLISHED, again
    [media] = state.media.values()
    assert again.post_id == media["id"] and again.url == media["permalink"]
    assert len(posts(state, "/media_publish")) == 1 and len(posts(state, "/media")) == 1


def test_landed_asks_the_kept_container(base, http, fast_http, state, account, host):
    state.slow_seconds = 2
    post = content([image(host)])
    assert Instagram().publish(fast_http, base, account, post).kind == UNKNOWN
    state.slow_seconds = 0
    outcome = Instagram().landed(http, base, account, post)
    assert outcome.kind == PUBLISHED and outcome.post_id == next(iter(state.media))
    state.quota_total = 0  # the next post's container is made, and stays unpublished
    unpublished = content([image(host, "other.jpg")])
    assert Instagram().publish(http, base, account, unpublished).kind == RETRY
    assert Instagram().landed(http, base, account, unpublished) == NOT_LANDED
    assert Instagram().landed(http, base, account, content([image(host)])) == NOT_LANDED


def test_an_expired_container_is_made_anew(base, http, state, account, host):
    state.processing_polls = 1
    post = content([video(host)])
    assert Instagram().publish(http, base, account, post).processing
    first = post.state["container"]
    state.containers[first]["expired"] = True  # a day passed before the next attempt
    state.processing_polls = 0
    outcome = Instagram().publish(http, base, account, post)
    assert outcome.kind == PUBLISHED, outcome
    [media] = state.media.values()
    assert media["container"] != first and len(posts(state, "/media")) == 2


def test_the_first_comment_goes_on_the_published_media(base, http, state, account, host):
    post = content([image(host)], first_comment="Seeds from https://write.example/seeds")
    outcome = Instagram().publish(http, base, account, post)
    assert outcome.kind == PUBLISHED
    [comment] = state.comments
    assert comment["on"] == outcome.post_id
    assert comment["message"] == "Seeds from https://write.example/seeds"
    assert outcome.first_comment == {"status": "published", "id": comment["id"]}


def test_a_failed_first_comment_leaves_the_post_published(base, http, state, account, host):
    state.fail_comments = True
    post = content([image(host)], first_comment="More soon")
    outcome = Instagram().publish(http, base, account, post)
    assert outcome.kind == PUBLISHED
    assert outcome.first_comment == {
        "status": "failed",
        "error": "(#100) Comments are turned off for this post.",
    }
    # Run again (a worker died before the outcome was written): no second post or comment.
    state.fail_comments = False
    again = Instagram().publish(http, base, account, post)
    assert (again.kind, again.post_id) == (PUBLISHED, outcome.post_id)
    assert again.first_comment == outcome.first_comment
    assert state.comments == [] and len(posts(state, "/media_publish")) == 1
