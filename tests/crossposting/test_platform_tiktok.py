"""The TikTok adapter against a local server speaking the Content Posting API over a real
socket, the upload URL included."""

import io
import os

import platform_servers.tiktok
import pytest
from platform_servers import closed_port_url
from platform_servers.tiktok import (
    INVALID_GRANT,
    INVALID_TOKEN,
    RATE_LIMITED,
    UNVERIFIED_URL,
    State,
)

from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import (
    AUTH,
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
from writeas.crossposting.platforms.tiktok import (
    CHUNK_BYTES,
    PROCESSING_RETRY_SECONDS,
    RATE_LIMIT_RETRY_SECONDS,
    TikTok,
    chunks,
)

SERVER = platform_servers.tiktok  # the `state` and `server` fixtures serve it
CLIP = b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000)
INIT = "/v2/post/publish/video/init/"
PHOTO_INIT = "/v2/post/publish/content/init/"


def credentials(state: State) -> dict:
    return {
        "access_token": next(iter(state.access_tokens)),
        "refresh_token": next(iter(state.refresh_tokens)),
        "client_key": state.client_key,
        "client_secret": state.client_secret,
    }


@pytest.fixture
def account(state):
    return Account("alice.gardens", state.user["open_id"], credentials(state))


def video(data: bytes = CLIP, path=None, **fields) -> Media:
    opener = (lambda: path.open("rb")) if path else (lambda: io.BytesIO(data))
    described = {"width": 1080, "height": 1920, "duration": 42.0, **fields}
    size = path.stat().st_size if path else len(data)
    return Media(b"", "video/mp4", kind=VIDEO, size=size, opener=opener, **described)


def photo(name: str, prefix="https://blog.example/media/") -> Media:
    return Media(b"\xff\xd8\xff" + bytes(64), "image/jpeg", url=f"{prefix}{name}.jpg")


def content(saved: list | None = None, privacy="PUBLIC_TO_EVERYONE", media=None, **fields):
    defaults = {
        "text": "Saving seeds, step by step #garden https://blog.example/alice/seeds",
        "title": "Seed saving",
        "media": media if media is not None else [video()],
        "options": TikTok().check_options({"privacy_level": privacy}),
    }
    saver = saved.append if saved is not None else None
    return Content(**{**defaults, **fields}, saver=saver)


def again(saved: list, **fields) -> Content:
    """The next attempt of the same delivery: what the earlier ones kept, carried on."""
    return content(saved, state=dict(saved[-1]), **fields)


def calls(state: State, path: str) -> list[dict]:
    return [r for r in state.requests if r["path"] == path]


@pytest.fixture
def large_video(tmp_path):
    """Two chunks: 10,000,000 bytes, then the remaining 11,000,123."""
    path = tmp_path / "long.mp4"
    path.write_bytes(os.urandom(21_000_123))
    return path


def test_registered_with_tiktoks_limits():
    platform = registry()["tiktok"]
    assert isinstance(platform, TikTok)
    assert platform.default_base_url == "https://open.tiktokapis.com"
    assert not platform.needs_board and not platform.first_comments
    assert platform.media_limits.max_images == 35
    assert platform.media_limits.mime_types == {"image/jpeg", "image/webp"}
    limits = platform.video_limits
    assert (limits.min_seconds, limits.max_seconds, limits.max_bytes) == (3, 600, 4 * 1024**3)
    assert limits.codecs == {"h264", "hevc", "vp8", "vp9"}
    assert limits.containers == {"video/mp4", "video/webm", "video/quicktime"}


def test_options_need_a_privacy_level_and_booleans():
    tiktok = TikTok()
    chosen = {"privacy_level": "SELF_ONLY", "disable_duet": True}
    assert tiktok.check_options(chosen) == chosen
    for bad in (
        {},
        {"privacy_level": "PUBLIC"},
        {"privacy_level": "SELF_ONLY", "disable_comment": "yes"},
        {"privacy_level": "SELF_ONLY", "board_section_id": "1"},
    ):
        with pytest.raises(OptionError):
            tiktok.check_options(bad)


@pytest.mark.parametrize(
    "size",
    [
        1,
        4_999_999,
        5 * 1024 * 1024,
        CHUNK_BYTES,
        CHUNK_BYTES + 1,
        64 * 1024 * 1024 + 1,
        21_000_123,
        4 * 1024**3,
    ],
)
def test_chunk_plans_follow_tiktoks_rules(size):
    chunk_size, count = chunks(size)
    source = {"video_size": size, "chunk_size": chunk_size, "total_chunk_count": count}
    assert platform_servers.tiktok._chunk_rules(source) is None


def test_verify_names_the_user(http, server, state):
    found = TikTok().verify(http, server, "@Alice.Gardens", credentials(state))
    assert (found.handle, found.account_id) == ("alice.gardens", state.user["open_id"])
    assert found.details == {"display_name": "Alice Gardens", "union_id": state.user["union_id"]}
    request = calls(state, "/v2/user/info/")[0]
    assert request["headers"]["Authorization"] == "Bearer act.0"


def test_verify_refreshes_and_refuses(http, server, state):
    old = credentials(state)
    state.expire_token = True
    assert TikTok().verify(http, server, "", old).credentials["access_token"] == "act.1"
    with pytest.raises(PlatformError) as refused:
        TikTok().verify(http, server, "", {"access_token": "wrong"})
    assert (refused.value.message, refused.value.status) == (INVALID_TOKEN, 400)
    with pytest.raises(PlatformError) as refused:
        TikTok().verify(http, server, "bob", credentials(state))
    assert refused.value.status == 400 and "@alice.gardens" in refused.value.message


def test_verify_needs_the_username_scope(http, server, state):
    del state.user["username"]
    with pytest.raises(PlatformError) as refused:
        TikTok().verify(http, server, "", credentials(state))
    assert refused.value.status == 400 and "user.info.profile" in refused.value.message


def test_verify_reports_an_unreachable_api_as_502(http):
    with pytest.raises(PlatformError) as refused:
        TikTok().verify(http, closed_port_url(), "", {"access_token": "t"})
    assert refused.value.status == 502


def test_a_small_video_is_one_chunk_and_posts(http, server, state, account):
    saved: list[dict] = []
    outcome = TikTok().publish(http, server, account, content(saved))
    assert outcome.kind == PUBLISHED, outcome.error
    [publish] = state.publishes.values()
    post_id = outcome.post_id
    assert outcome.url == f"https://www.tiktok.com/@alice.gardens/video/{post_id}"
    assert bytes(publish["data"]) == CLIP
    init = calls(state, INIT)[0]["json"]
    assert init["post_info"] == {
        "title": content().text,
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": True,  # the creator turned stitches off in TikTok
    }
    assert init["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": len(CLIP),
        "chunk_size": len(CLIP),
        "total_chunk_count": 1,
    }
    [chunk] = state.chunks
    assert chunk["headers"]["Content-Range"] == f"bytes 0-{len(CLIP) - 1}/{len(CLIP)}"
    assert chunk["headers"]["Content-Type"] == "video/mp4"
    assert "Authorization" not in chunk["headers"]
    assert calls(state, "/v2/post/publish/creator_info/query/")
    assert saved[0] == {"init_sent": True}  # kept before init was sent


def test_a_large_video_in_chunks_processed_over_several_attempts(
    http, server, state, account, large_video
):
    state.processing_polls = 2
    saved: list[dict] = []
    media = [video(path=large_video)]
    first = TikTok().publish(http, server, account, content(saved, media=media))
    assert (first.kind, first.processing) == (RETRY, True)
    assert first.retry_after == PROCESSING_RETRY_SECONDS
    assert [c["headers"]["Content-Range"] for c in state.chunks] == [
        "bytes 0-9999999/21000123",
        "bytes 10000000-21000122/21000123",
    ]
    assert [c["size"] for c in state.chunks] == [10_000_000, 11_000_123]
    assert saved[-1]["chunks_done"] == 2 and saved[-1]["publish_id"]
    assert TikTok().resend_safe(account, saved[-1])

    second = TikTok().publish(http, server, account, again(saved, media=media))
    assert (second.kind, second.processing) == (RETRY, True)
    done = TikTok().publish(http, server, account, again(saved, media=media))
    assert done.kind == PUBLISHED, done.error
    assert len(calls(state, INIT)) == 1 and len(state.chunks) == 2
    [publish] = state.publishes.values()
    assert bytes(publish["data"]) == large_video.read_bytes()


def test_a_chunk_whose_answer_was_lost_is_continued_from_tiktoks_count(
    fast_http, http, server, state, large_video
):
    account = Account("alice.gardens", state.user["open_id"], credentials(state))
    saved: list[dict] = []
    media = [video(path=large_video)]
    state.slow_chunk = 0
    lost = TikTok().publish(fast_http, server, account, content(saved, media=media))
    assert lost.kind == RETRY  # the post is named: nothing can be made twice
    assert saved[-1]["chunks_done"] == 0
    outcome = TikTok().publish(http, server, account, again(saved, media=media))
    assert outcome.kind == PUBLISHED, outcome.error
    # The first chunk again (refused: TikTok has it), then only the second.
    assert [c["size"] for c in state.chunks] == [10_000_000, 10_000_000, 11_000_123]
    [publish] = state.publishes.values()
    assert bytes(publish["data"]) == large_video.read_bytes()
    assert len(calls(state, INIT)) == 1


def test_photos_are_pulled_from_their_public_urls(http, server, state, account):
    state.processing_polls = 1
    saved: list[dict] = []
    photos = [photo("a"), photo("b"), photo("c")]
    options = TikTok().check_options(
        {"privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": True}
    )
    title = "Seed saving, from the first dry pod to the jar on the shelf, for every gardener"
    post = content(saved, media=photos, options=options, title=title + " who asks for seeds")
    first = TikTok().publish(http, server, account, post)
    assert (first.kind, first.processing) == (RETRY, True)
    init = calls(state, PHOTO_INIT)[0]["json"]
    assert (init["media_type"], init["post_mode"]) == ("PHOTO", "DIRECT_POST")
    assert init["source_info"] == {
        "source": "PULL_FROM_URL",
        "photo_cover_index": 0,
        "photo_images": [p.url for p in photos],
    }
    info = init["post_info"]
    assert len(info["title"]) <= 90 and info["title"].endswith("…")
    assert info["description"] == content().text
    assert (info["privacy_level"], info["disable_comment"]) == ("PUBLIC_TO_EVERYONE", True)
    done = TikTok().publish(http, server, account, again(saved, media=photos, options=options))
    assert done.kind == PUBLISHED, done.error
    assert done.url == f"https://www.tiktok.com/@alice.gardens/photo/{done.post_id}"


def test_photos_from_an_unverified_domain_are_refused(http, server, state, account):
    saved: list[dict] = []
    photos = [photo("a", prefix="https://elsewhere.example/")]
    outcome = TikTok().publish(http, server, account, content(saved, media=photos))
    assert (outcome.kind, outcome.error) == (PERMANENT, UNVERIFIED_URL)
    assert saved[-1] == {"init_sent": False}
    assert not state.publishes


def test_a_privacy_level_the_creator_lacks_is_refused_before_init(http, server, state, account):
    outcome = TikTok().publish(http, server, account, content(privacy="FOLLOWER_OF_CREATOR"))
    assert outcome.kind == PERMANENT
    assert "FOLLOWER_OF_CREATOR" in outcome.error and "SELF_ONLY" in outcome.error
    assert not calls(state, INIT)


def test_a_video_longer_than_the_creator_may_post_is_refused(http, server, state, account):
    outcome = TikTok().publish(http, server, account, content(media=[video(duration=301.0)]))
    assert outcome.kind == PERMANENT
    assert "up to 300 seconds" in outcome.error and "301" in outcome.error
    assert not calls(state, INIT)


def test_videos_outside_tiktoks_sizes_are_refused(http, server, state, account):
    small = TikTok().publish(http, server, account, content(media=[video(width=320, height=240)]))
    assert small.kind == PERMANENT and "320×240" in small.error
    assert not calls(state, INIT) and not state.publishes


def test_a_post_is_one_video_or_photos_alone():
    assert TikTok().refuse([video(), photo("a")], {}) == (
        "A TikTok post is one video, or photos alone."
    )
    assert TikTok().refuse([], {}) == "A TikTok post needs a video or photos."
    assert TikTok().refuse([photo("a"), photo("b")], {}) is None


def test_a_caption_is_fitted_to_tiktoks_utf16_count(http, server, state, account):
    text = "🌱 " * 1000  # 2,000 code points, 3,000 UTF-16 units
    outcome = TikTok().publish(http, server, account, content(text=text))
    assert outcome.kind == PUBLISHED, outcome.error
    title = calls(state, INIT)[0]["json"]["post_info"]["title"]
    assert len(title.encode("utf-16-le")) // 2 <= 2200
    assert title.endswith("…")


def test_rate_limit_waits_a_minute(http, server, state, account):
    state.rate_limited = True
    outcome = TikTok().publish(http, server, account, content())
    assert (outcome.kind, outcome.error) == (RETRY, RATE_LIMITED)
    assert outcome.retry_after == RATE_LIMIT_RETRY_SECONDS
    assert not state.publishes


def test_a_rate_limited_init_is_a_definite_no(http, server, state, account):
    saved: list[dict] = []
    state.fail_next_init = 429
    limited = TikTok().publish(http, server, account, content(saved))
    assert limited.kind == RETRY
    assert saved[-1] == {"init_sent": False}
    outcome = TikTok().publish(http, server, account, again(saved))
    assert outcome.kind == PUBLISHED, outcome.error
    assert len(state.publishes) == 1


def test_an_expired_token_is_refreshed_and_the_new_tokens_returned(http, server, state, account):
    state.expire_token = True
    outcome = TikTok().publish(http, server, account, content())
    assert outcome.kind == PUBLISHED, outcome.error
    assert outcome.credentials == {
        **account.credentials,
        "access_token": "act.1",
        "refresh_token": "rft.1",
    }
    refresh = calls(state, "/v2/oauth/token/")[0]
    assert refresh["form"] == {
        "client_key": state.client_key,
        "client_secret": "tiktok-secret",
        "grant_type": "refresh_token",
        "refresh_token": "rft.0",
    }


def test_a_refused_refresh_needs_reconnecting(http, server, state, account):
    state.expire_token = state.revoke_refresh = True
    outcome = TikTok().publish(http, server, account, content())
    assert (outcome.kind, outcome.error) == (AUTH, INVALID_GRANT)
    assert not state.publishes


def test_processing_that_fails_is_reported_with_tiktoks_reason(http, server, state, account):
    state.fail_reason = "file_format_check_failed"
    outcome = TikTok().publish(http, server, account, content())
    assert outcome.kind == PERMANENT
    assert outcome.error == "TikTok did not publish the post: file_format_check_failed."


def test_a_private_post_has_no_public_id(http, server, state, account):
    outcome = TikTok().publish(http, server, account, content(privacy="SELF_ONLY"))
    assert outcome.kind == PUBLISHED
    [publish_id] = state.publishes
    assert (outcome.post_id, outcome.url) == (publish_id, "https://www.tiktok.com/@alice.gardens")


def test_a_timeout_at_init_is_never_sent_again(fast_http, http, server, state):
    account = Account("alice.gardens", state.user["open_id"], credentials(state))
    saved: list[dict] = []
    state.slow_init_seconds = 3
    lost = TikTok().publish(fast_http, server, account, content(saved))
    assert lost.kind == UNKNOWN
    assert saved[-1] == {"init_sent": True}
    assert not TikTok().resend_safe(account, saved[-1])
    assert TikTok().landed(http, server, account, again(saved)) is None
    state.slow_init_seconds = 0
    later = TikTok().publish(http, server, account, again(saved))
    assert later.kind == UNKNOWN
    assert len(calls(state, INIT)) == 1 and len(state.publishes) == 1


def test_a_server_error_at_init_is_unknown(http, server, state, account):
    saved: list[dict] = []
    state.fail_next_init = 500
    assert TikTok().publish(http, server, account, content(saved)).kind == UNKNOWN
    assert saved[-1] == {"init_sent": True}


def test_a_refused_connection_is_safe_to_retry(http, account):
    outcome = TikTok().publish(http, closed_port_url(), account, content())
    assert outcome.kind == RETRY
