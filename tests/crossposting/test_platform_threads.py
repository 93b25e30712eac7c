"""The Threads adapter against a local server speaking the Threads API over a real socket,
fetching the media from a second local server as Meta fetches it from our media URLs."""

import time

import platform_servers.threads
import pytest
from platform_servers import closed_port_url
from platform_servers.graph import EXPIRED_TOKEN, hosting
from platform_servers.threads import VERSION

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
from writeas.crossposting.platforms.graph import NO_REFRESH
from writeas.crossposting.platforms.threads import RENEW_AFTER, Threads

SERVER = platform_servers.threads  # the `state` and `server` fixtures serve it
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
USER_ID = "26111111111111111"
TEXT = "Seed saving, step by step. https://write.example/alice/seeds"


@pytest.fixture
def base(server):
    return f"{server}/{VERSION}"


@pytest.fixture
def host():
    with hosting() as hosted:
        yield hosted


def account(token="threads-token", renewed_at=None):
    renewed = str(int(renewed_at if renewed_at is not None else time.time()))
    return Account("alice", USER_ID, {"access_token": token, "renewed_at": renewed})


def image(host, name="kite.png", data=PNG, alt=""):
    return Media(data, "image/png", alt_text=alt, url=host.add(name, data, "image/png"))


def video(host, name="walk.mp4"):
    url = host.add(name, MP4, "video/mp4")
    return Media(b"", "video/mp4", kind=VIDEO, url=url, size=len(MP4), duration=20.0)


def content(media=(), text=TEXT, saves=None, **extra):
    saver = saves.append if saves is not None else None
    return Content(text=text, media=list(media), saver=saver, idempotency_key="k1", **extra)


def publishes(state):
    return [r for r in state.requests if r["path"].endswith("/threads_publish")]


def test_registered_with_threads_limits():
    platform = registry()["threads"]
    assert isinstance(platform, Threads)
    assert platform.default_base_url == "https://graph.threads.net/v1.0"
    limits = platform.media_limits
    assert (limits.max_images, limits.max_bytes) == (20, 8 << 20)
    assert limits.mime_types == frozenset({"image/jpeg", "image/png"})
    assert (platform.video_limits.max_seconds, platform.video_limits.max_bytes) == (300, 1 << 30)
    assert platform.first_comments


def test_verify_names_the_user_and_notes_when_the_token_was_good(base, http, state):
    found = Threads().verify(http, base, "@alice", {"access_token": "threads-token"})
    assert (found.handle, found.account_id) == ("alice", USER_ID)
    assert found.credentials["access_token"] == "threads-token"
    assert abs(int(found.credentials["renewed_at"]) - time.time()) < 5
    assert state.requests[-1]["values"]["fields"] == "id,username"


def test_verify_refuses_someone_elses_token_and_a_bad_one(base, http):
    with pytest.raises(PlatformError) as refused:
        Threads().verify(http, base, "bob", {"access_token": "threads-token"})
    assert refused.value.status == 400 and "@alice, not bob" in refused.value.message
    with pytest.raises(PlatformError) as refused:
        Threads().verify(http, base, "alice", {"access_token": "nope"})
    assert refused.value.message.startswith("Invalid OAuth access token")
    with pytest.raises(PlatformError) as refused:
        Threads().verify(http, closed_port_url(), "alice", {"access_token": "t"})
    assert refused.value.status == 502


def test_publishes_text_with_the_links_preview(base, http, state):
    saves = []
    post = content(link="https://write.example/alice/seeds", saves=saves)
    outcome = Threads().publish(http, base, account(), post)
    assert outcome.kind == PUBLISHED, outcome
    [thread] = state.posts.values()
    assert (thread["text"], thread["media_type"]) == (TEXT, "TEXT")
    assert thread["link_attachment_url"] == "https://write.example/alice/seeds"
    assert (outcome.post_id, outcome.url) == (thread["id"], thread["permalink"])
    assert saves[0]["container"] == thread["container"] and "published" not in saves[0]
    limit = next(r for r in state.requests if r["path"].endswith("threads_publishing_limit"))
    assert limit["values"]["fields"] == "quota_usage,config"


def test_an_image_is_fetched_with_its_alt_text(base, http, state, host):
    kite = image(host, alt="A red kite")
    outcome = Threads().publish(http, base, account(), content([kite]))
    assert outcome.kind == PUBLISHED, outcome
    [container] = state.containers.values()
    assert container["data"] == PNG and state.fetched == [kite.url]
    assert container["params"]["alt_text"] == "A red kite"
    assert container["params"]["media_type"] == "IMAGE"


def test_a_carousel_of_images_and_a_video(base, http, state, host):
    items = [image(host, "a.png"), video(host), image(host, "b.jpg", JPEG)]
    outcome = Threads().publish(http, base, account(), content(items))
    assert outcome.kind == PUBLISHED, outcome
    [thread] = state.posts.values()
    assert thread["media_type"] == "CAROUSEL"
    parent = state.containers[thread["container"]]
    kinds = [
        state.containers[c]["params"]["media_type"] for c in parent["params"]["children"].split(",")
    ]
    assert kinds == ["IMAGE", "VIDEO", "IMAGE"]


def test_a_video_is_polled_over_several_attempts(base, http, state, host):
    state.processing_polls = 3
    post = content([video(host)])
    for _ in range(3):
        waiting = Threads().publish(http, base, account(), post)
        assert (waiting.kind, waiting.processing, waiting.retry_after) == (RETRY, True, 30)
    outcome = Threads().publish(http, base, account(), post)
    assert outcome.kind == PUBLISHED, outcome
    assert len(state.containers) == 1 and len(publishes(state)) == 1


def test_a_video_meta_cant_download_is_refused_with_its_error(base, http, state, host):
    gone = Media(b"", "video/mp4", kind=VIDEO, url=f"{host.url}/media/missing.mp4")
    outcome = Threads().publish(http, base, account(), content([gone]))
    assert outcome.kind == PERMANENT
    assert outcome.error == "Threads could not process the media: FAILED_DOWNLOADING_VIDEO"


def test_over_the_limits_is_refused(base, http, state, host):
    many = [image(host, f"{n}.png") for n in range(21)]
    assert "at most 20" in Threads().refuse(many, {})
    assert Threads().refuse(many[:20], {}) is None
    outcome = Threads().publish(http, base, account(), content(text="x" * 501))
    assert (outcome.kind, outcome.error) == (
        PERMANENT,
        "(#100) Param text must be at most 500 characters long.",
    )
    assert state.posts == {}


def test_a_rate_limit_waits_as_long_as_the_usage_header_says(base, http, state):
    state.throttled, state.regain_minutes = 4, 12
    outcome = Threads().publish(http, base, account(), content())
    assert (outcome.kind, outcome.error) == (RETRY, "(#4) Application request limit reached")
    assert outcome.retry_after == 12 * 60
    assert state.containers == {}


def test_the_publishing_limit_holds_the_post(base, http, state):
    state.quota_total = 1
    assert Threads().publish(http, base, account(), content(text="first")).kind == PUBLISHED
    outcome = Threads().publish(http, base, account(), content(text="second"))
    assert outcome.kind == RETRY and "allows 1 posts in 24 hours" in outcome.error
    assert 86000 < outcome.retry_after <= 86400  # the one post leaves the window in a day
    assert len(state.posts) == 1


def test_an_expired_token_needs_reconnecting(base, http, state):
    state.expire_token = True
    outcome = Threads().publish(http, base, account(), content())
    assert (outcome.kind, outcome.error) == (AUTH, f"{EXPIRED_TOKEN} {NO_REFRESH}")


def test_a_week_old_token_is_renewed_and_the_new_one_stored(base, http, state):
    old = account(renewed_at=time.time() - RENEW_AFTER - 60)
    outcome = Threads().publish(http, base, old, content())
    assert outcome.kind == PUBLISHED, outcome
    [renewed] = state.renewals
    assert outcome.credentials["access_token"] == renewed
    assert abs(int(outcome.credentials["renewed_at"]) - time.time()) < 5
    renewal = next(r for r in state.requests if r["path"] == "/refresh_access_token")
    assert renewal["values"] == {"grant_type": "th_refresh_token", "access_token": "threads-token"}
    after = [r for r in state.requests if r["path"].startswith(f"/{VERSION}/")]
    assert {r["values"]["access_token"] for r in after} == {renewed}


def test_a_recent_token_is_not_renewed(base, http, state):
    outcome = Threads().publish(http, base, account(), content())
    assert outcome.kind == PUBLISHED and outcome.credentials is None
    assert state.renewals == []


def test_an_unknown_publish_is_looked_up_never_published_twice(base, http, fast_http, state):
    state.slow_seconds = 2
    post = content()
    assert Threads().publish(fast_http, base, account(), post).kind == UNKNOWN
    assert Threads().resend_safe(account(), post.state)
    state.slow_seconds = 0
    assert Threads().landed(http, base, account(), post).kind == PUBLISHED
    again = Threads().publish(http, base, account(), post)
    [thread] = state.posts.values()
    assert (again.kind, again.post_id, again.url) == (PUBLISHED, thread["id"], thread["permalink"])
    assert len(publishes(state)) == 1


def test_landed_knows_an_unpublished_container(base, http, state, host):
    state.processing_polls = 1
    post = content([video(host)])
    assert Threads().publish(http, base, account(), post).processing
    assert Threads().landed(http, base, account(), post) == NOT_LANDED


def test_an_expired_container_is_made_anew(base, http, state, host):
    state.processing_polls = 1
    post = content([video(host)])
    assert Threads().publish(http, base, account(), post).processing
    first = post.state["container"]
    state.containers[first]["expired"] = True
    state.processing_polls = 0
    assert Threads().publish(http, base, account(), post).kind == PUBLISHED
    [thread] = state.posts.values()
    assert thread["container"] != first and len(state.containers) == 2


def test_the_first_comment_is_a_reply(base, http, state):
    outcome = Threads().publish(http, base, account(), content(first_comment="More in the thread"))
    assert outcome.kind == PUBLISHED
    reply = next(p for p in state.posts.values() if p["reply_to"])
    assert reply["reply_to"] == outcome.post_id and reply["text"] == "More in the thread"
    assert outcome.first_comment == {"status": "published", "id": reply["id"]}


def test_a_failed_reply_leaves_the_post_published_once(base, http, state):
    post = content(first_comment="x" * 501)
    outcome = Threads().publish(http, base, account(), post)
    assert outcome.kind == PUBLISHED
    assert outcome.first_comment == {
        "status": "failed",
        "error": "(#100) Param text must be at most 500 characters long.",
    }
    again = Threads().publish(http, base, account(), post)
    assert (again.post_id, again.first_comment) == (outcome.post_id, outcome.first_comment)
    assert len(state.posts) == 1 and len(publishes(state)) == 1
