"""The Facebook Pages adapter against a local server speaking the Graph API over a real
socket, fetching the media from a second local server as Meta fetches it from our URLs."""

import json

import platform_servers.graph
import pytest
from platform_servers import closed_port_url
from platform_servers.graph import EXPIRED_TOKEN, VERSION, hosting

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
    PlatformError,
)
from writeas.crossposting.platforms.facebook import Facebook
from writeas.crossposting.platforms.graph import NO_REFRESH

SERVER = platform_servers.graph  # the `state` and `server` fixtures serve it
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
PAGE_ID = "104000000000001"
TEXT = "Seed saving, step by step."
LINK = "https://write.example/alice/seed-saving"
ACCOUNT = Account("Alice's Garden", PAGE_ID, {"access_token": "page-token-garden"})


@pytest.fixture
def base(server):
    return f"{server}/{VERSION}"


@pytest.fixture
def host():
    with hosting() as hosted:
        yield hosted


def photo(host, name="kite.jpg", alt=""):
    return Media(JPEG, "image/jpeg", alt_text=alt, url=host.add(name, JPEG, "image/jpeg"))


def video(host, name="walk.mp4"):
    url = host.add(name, MP4, "video/mp4")
    return Media(b"", "video/mp4", kind=VIDEO, url=url, size=len(MP4), duration=90.0)


def content(media=(), text=TEXT, saves=None, **extra):
    saver = saves.append if saves is not None else None
    return Content(text=text, media=list(media), saver=saver, idempotency_key="k1", **extra)


def posted_to(state, edge):
    return [
        r
        for r in state.requests
        if r["method"] == "POST" and r["path"] == f"/{VERSION}/{PAGE_ID}/{edge}"
    ]


def test_registered_with_facebooks_limits():
    platform = registry()["facebook"]
    assert isinstance(platform, Facebook)
    assert platform.default_base_url == "https://graph.facebook.com/v21.0"
    assert platform.media_limits.max_bytes == 10 << 20
    videos = platform.video_limits
    assert (videos.max_videos, videos.max_bytes, videos.max_seconds) == (1, 10 << 30, 14400)
    assert not videos.mixes_with_images and platform.first_comments


@pytest.mark.parametrize("handle", ["Alice's Garden", "alice's garden", PAGE_ID])
def test_verify_keeps_the_pages_own_token(base, http, state, handle):
    found = Facebook().verify(http, base, handle, {"access_token": state.user_token})
    assert found == Account(
        "Alice's Garden",
        PAGE_ID,
        {"access_token": "page-token-garden"},
        {"page_id": PAGE_ID, "page_name": "Alice's Garden"},
    )
    assert state.requests[-1]["values"]["fields"] == "id,name,access_token,tasks"


def test_verify_needs_the_create_content_task(base, http, state):
    state.accounts_page_size = 1  # the Page is on the listing's second page
    with pytest.raises(PlatformError) as refused:
        Facebook().verify(http, base, "Seed Library", {"access_token": state.user_token})
    assert refused.value.status == 400
    assert refused.value.message == "This token can't create content on the Page Seed Library."


def test_verify_refuses_a_page_the_user_doesnt_manage(base, http, state):
    with pytest.raises(PlatformError) as refused:
        Facebook().verify(http, base, "Bob's Bakery", {"access_token": state.user_token})
    assert "doesn't manage a Facebook Page Bob's Bakery" in refused.value.message


def test_verify_refuses_a_token_that_isnt_a_users(base, http):
    with pytest.raises(PlatformError) as refused:
        Facebook().verify(http, base, PAGE_ID, {"access_token": "page-token-garden"})
    assert refused.value.status == 400
    assert "nonexisting field (accounts)" in refused.value.message
    with pytest.raises(PlatformError) as refused:
        Facebook().verify(http, closed_port_url(), PAGE_ID, {"access_token": "t"})
    assert refused.value.status == 502


def test_a_link_post_goes_on_the_feed(base, http, state):
    saves = []
    outcome = Facebook().publish(http, base, ACCOUNT, content(link=LINK, saves=saves))
    assert outcome.kind == PUBLISHED, outcome
    [post] = state.posts.values()
    assert (post["message"], post["link"]) == (TEXT, LINK)
    assert (outcome.post_id, outcome.url) == (post["id"], post["permalink_url"])
    # When it was sent is kept first, for the lookup an unknown outcome would need.
    assert list(saves[0]) == ["sent_at"] and saves[-1]["post"] == post["id"]
    [request] = posted_to(state, "feed")
    assert request["values"]["access_token"] == "page-token-garden"


def test_one_photo_is_posted_from_its_url(base, http, state, host):
    kite = photo(host, alt="A red kite")
    outcome = Facebook().publish(http, base, ACCOUNT, content([kite]))
    assert outcome.kind == PUBLISHED, outcome
    [stored] = state.photos.values()
    assert stored["data"] == JPEG and stored["alt_text_custom"] == "A red kite"
    [post] = state.posts.values()
    assert outcome.post_id == post["id"] and post["attached"] == [stored["id"]]
    assert post["message"] == TEXT and state.fetched == [kite.url]


def test_several_photos_are_uploaded_unpublished_then_attached(base, http, state, host):
    outcome = Facebook().publish(
        http, base, ACCOUNT, content([photo(host, "a.jpg"), photo(host, "b.jpg")])
    )
    assert outcome.kind == PUBLISHED, outcome
    uploads = posted_to(state, "photos")
    assert [r["values"]["published"] for r in uploads] == ["false", "false"]
    [feed] = posted_to(state, "feed")
    attached = [json.loads(feed["values"][f"attached_media[{i}]"])["media_fbid"] for i in (0, 1)]
    assert attached == list(state.photos) and "link" not in feed["values"]
    assert all(p["published"] for p in state.photos.values())


def test_uploaded_photos_are_kept_for_the_next_attempt(base, http, state, host):
    state.usage, state.regain_minutes = 100, 1  # the first upload's answer reads 100%
    post = content([photo(host, "a.jpg"), photo(host, "b.jpg")])
    stopped = Facebook().publish(http, base, ACCOUNT, post)
    assert (stopped.kind, stopped.retry_after) == (RETRY, 60)
    assert len(post.state["photos"]) == 1
    state.usage = 10
    assert Facebook().publish(http, base, ACCOUNT, post).kind == PUBLISHED
    assert len(state.photos) == 2 and len(posted_to(state, "photos")) == 2


def test_a_video_is_polled_until_it_is_ready(base, http, state, host):
    state.processing_polls = 2
    post = content([video(host)], title="Seed saving")
    for progress in ("33", "66"):
        waiting = Facebook().publish(http, base, ACCOUNT, post)
        assert (waiting.kind, waiting.processing, waiting.retry_after) == (RETRY, True, 30)
        assert waiting.error == f"Facebook is still processing the video ({progress}% done)."
    outcome = Facebook().publish(http, base, ACCOUNT, post)
    assert outcome.kind == PUBLISHED, outcome
    [made] = state.videos.values()
    assert (made["description"], made["title"]) == (TEXT, "Seed saving")
    assert outcome.post_id == made["id"]
    assert outcome.url == f"https://www.facebook.com/{PAGE_ID}/videos/{made['id']}/"
    assert len(posted_to(state, "videos")) == 1


def test_a_video_facebook_cant_fetch_fails_in_its_words(base, http, state, host):
    gone = Media(b"", "video/mp4", kind=VIDEO, url=f"{host.url}/media/missing.mp4")
    outcome = Facebook().publish(http, base, ACCOUNT, content([gone]))
    assert (outcome.kind, outcome.error) == (
        PERMANENT,
        "Facebook could not process the video: The video file could not be downloaded.",
    )


def test_what_facebook_cant_post_is_refused(base, http, state, host):
    outcome = Facebook().publish(http, base, ACCOUNT, content([video(host), photo(host)]))
    assert (outcome.kind, outcome.error) == (PERMANENT, "A Facebook video post is the video alone.")
    assert state.requests == []
    outcome = Facebook().publish(http, base, ACCOUNT, content(text="x" * 63207))
    assert (outcome.kind, outcome.error) == (
        PERMANENT,
        "(#100) Param message must be at most 63206 characters long.",
    )
    assert state.posts == {}


def test_a_rate_limit_waits_as_long_as_the_usage_header_says(base, http, state):
    state.throttled, state.regain_minutes = 32, 5
    outcome = Facebook().publish(http, base, ACCOUNT, content())
    assert (outcome.kind, outcome.error, outcome.retry_after) == (
        RETRY,
        "(#32) Page request limit reached",
        300,
    )
    assert state.posts == {}


def test_an_expired_token_needs_reconnecting(base, http, state):
    state.expire_token = True
    outcome = Facebook().publish(http, base, ACCOUNT, content())
    assert (outcome.kind, outcome.error) == (AUTH, f"{EXPIRED_TOKEN} {NO_REFRESH}")


def test_resending_is_unsafe_only_while_a_post_is_unanswered():
    facebook = Facebook()
    assert facebook.resend_safe(ACCOUNT, {})
    assert not facebook.resend_safe(ACCOUNT, {"sent_at": 1})
    assert facebook.resend_safe(ACCOUNT, {"sent_at": 1, "post": "1_2"})
    assert facebook.resend_safe(ACCOUNT, {"sent_at": 1, "video": "3"})


def test_an_unknown_post_is_found_by_landed_and_never_posted_twice(base, http, fast_http, state):
    state.slow_seconds = 2  # posted, but the answer comes after the client gave up
    post = content(link=LINK)
    assert Facebook().publish(fast_http, base, ACCOUNT, post).kind == UNKNOWN
    assert not Facebook().resend_safe(ACCOUNT, post.state)
    state.slow_seconds = 0
    found = Facebook().landed(http, base, ACCOUNT, post)
    [made] = state.posts.values()
    assert (found.kind, found.post_id, found.url) == (PUBLISHED, made["id"], made["permalink_url"])
    assert Facebook().resend_safe(ACCOUNT, post.state)
    assert Facebook().publish(http, base, ACCOUNT, post).post_id == made["id"]
    assert len(posted_to(state, "feed")) == 1


def test_landed_proves_a_post_that_isnt_there(base, http, state):
    assert Facebook().landed(http, base, ACCOUNT, content()) == NOT_LANDED
    assert state.requests == []  # nothing was ever sent
    sent = content(link=LINK)
    sent.remember(sent_at=1_700_000_000)
    other = Facebook().publish(http, base, ACCOUNT, content(text="Another post", link=LINK))
    assert other.kind == PUBLISHED
    assert Facebook().landed(http, base, ACCOUNT, sent) == NOT_LANDED
    state.expire_token = True
    assert Facebook().landed(http, base, ACCOUNT, sent) is None  # can't tell


def test_an_unknown_video_upload_is_found_among_the_pages_videos(
    base, http, fast_http, state, host
):
    state.slow_seconds = 2
    post = content([video(host)])
    assert Facebook().publish(fast_http, base, ACCOUNT, post).kind == UNKNOWN
    state.slow_seconds = 0
    found = Facebook().landed(http, base, ACCOUNT, post)
    [made] = state.videos.values()
    assert (found.kind, found.post_id) == (PUBLISHED, made["id"])
    assert post.state["video"] == made["id"] and len(posted_to(state, "videos")) == 1


def test_the_first_comment_goes_on_the_post(base, http, state):
    post = content(link=LINK, first_comment="Seeds from the swap")
    outcome = Facebook().publish(http, base, ACCOUNT, post)
    [comment] = state.comments
    assert (comment["on"], comment["message"]) == (outcome.post_id, "Seeds from the swap")
    assert outcome.first_comment == {"status": "published", "id": comment["id"]}


def test_a_failed_first_comment_leaves_the_post_published(base, http, state):
    state.fail_comments = True
    post = content(first_comment="Seeds from the swap")
    outcome = Facebook().publish(http, base, ACCOUNT, post)
    assert outcome.kind == PUBLISHED and len(state.posts) == 1
    assert outcome.first_comment == {
        "status": "failed",
        "error": "(#100) Comments are turned off for this post.",
    }
