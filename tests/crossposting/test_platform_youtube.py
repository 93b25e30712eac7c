"""The YouTube adapter against a local server speaking the Data API v3 over a real socket.

Each `publish` is one attempt; the next attempt gets what the last one remembered (as the
delivery row would give it back), so resuming and polling are tested across attempts."""

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import platform_servers.youtube
import pytest
from platform_servers import closed_port_url
from platform_servers.youtube import (
    COMMENTS_DISABLED,
    INVALID_DESCRIPTION,
    QUOTA,
    REVOKED,
    UNAUTHENTICATED,
    UPLOAD_LIMIT,
    State,
)

from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import (
    AUTH,
    PERMANENT,
    PUBLISHED,
    RETRY,
    VIDEO,
    Account,
    Content,
    Media,
    OptionError,
    PlatformError,
)
from writeas.crossposting.platforms.youtube import (
    CHUNK_UNIT,
    YouTube,
    token_url,
    until_quota_reset,
)

SERVER = platform_servers.youtube  # the `state` and `server` fixtures serve it
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NOW = datetime(2024, 3, 9, 20, 0, tzinfo=UTC)  # noon in Los Angeles (PST)
VIDEO_BYTES = bytes(range(256)) * (CHUNK_UNIT * 5 // 2 // 256)  # two and a half chunks
TOTAL = len(VIDEO_BYTES)
TEXT = "Keep the best pods.\n\nhttps://blog.example/alice/seed-saving"
COMMENT = "The seed list is in the post."


class Stream(io.BytesIO):
    """The stored video file, noting how much each read asks for."""

    def __init__(self, data: bytes, reads: list[int]):
        super().__init__(data)
        self.reads = reads

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def video(reads: list[int] | None = None) -> Media:
    reads = [] if reads is None else reads
    return Media(
        b"",
        "video/mp4",
        filename="seeds.mp4",
        kind=VIDEO,
        url="https://blog.example/media/v1.mp4",
        size=TOTAL,
        width=1920,
        height=1080,
        duration=12.5,
        opener=lambda: Stream(VIDEO_BYTES, reads),
    )


def content(saved: list[dict] | None = None, **fields) -> Content:
    """A post's video; with `saved`, what the attempt remembers is kept there, and the
    next attempt starts from its last entry."""
    values = {
        "text": TEXT,
        "title": "Seed saving",
        "tags": ["gardening", "seeds"],
        "media": [video()],
        "idempotency_key": "k1",
        "state": dict(saved[-1]) if saved else {},
    }
    return Content(**{**values, **fields}, saver=saved.append if saved is not None else None)


def credentials(state: State) -> dict:
    return {
        "access_token": next(iter(state.access_tokens)),
        "refresh_token": state.refresh_token,
        "client_id": state.client_id,
        "client_secret": state.client_secret,
    }


@pytest.fixture
def account(state):
    return Account("@alicegardens", state.channel["id"], credentials(state))


def youtube(**settings) -> YouTube:
    """Chunks of 256 KiB, so the test video takes three; the clock stands still."""
    return YouTube(**{"chunk_bytes": CHUNK_UNIT, "clock": lambda: NOW, **settings})


def requests_to(state: State, method: str, path: str) -> list[dict]:
    return [r for r in state.requests if (r["method"], r["path"]) == (method, path)]


def ranges(state: State) -> list[str]:
    """The Content-Range of every upload PUT, status queries included, in order."""
    puts = requests_to(state, "PUT", "/upload/youtube/v3/videos")
    return [r["headers"]["Content-Range"] for r in puts]


def the_video(state: State) -> dict:
    [video_] = state.videos.values()
    return video_


def test_registered_with_youtubes_limits(account):
    platform = registry()["youtube"]
    assert isinstance(platform, YouTube)
    assert platform.default_base_url == "https://www.googleapis.com"
    assert platform.credential_fields == (
        "access_token",
        "refresh_token",
        "client_id",
        "client_secret",
    )
    assert platform.media_limits.max_images == 0
    limits = platform.video_limits
    assert (limits.max_videos, limits.max_bytes, limits.max_seconds) == (1, 256 << 30, 43200)
    assert {"h264", "hevc", "vp9", "av1"} <= limits.codecs
    assert {"video/mp4", "video/quicktime", "video/webm"} <= limits.containers
    assert platform.first_comments and not platform.needs_board
    assert set(platform.options) == {"privacy_status", "category_id", "made_for_kids"}
    assert platform.resend_safe(account, {}) is True


def test_chunks_must_be_multiples_of_256_kib():
    with pytest.raises(ValueError):
        YouTube(chunk_bytes=CHUNK_UNIT + 1)


# Connecting.


def test_verify_names_the_channel_by_its_custom_url(http, server, state):
    found = YouTube().verify(http, server, "alicegardens", credentials(state))
    assert found == Account(
        "@alicegardens",
        "UCa1iceGardens0000000000",
        credentials(state),
        {"title": "Alice Gardens"},
    )
    [listing] = requests_to(state, "GET", "/youtube/v3/channels")
    assert listing["headers"]["Authorization"] == "Bearer ya29.first"


def test_verify_accepts_the_channel_title_too(http, server, state):
    assert YouTube().verify(http, server, "Alice Gardens", credentials(state)).handle == (
        "@alicegardens"
    )


def test_verify_refreshes_an_expired_access_token(http, server, state):
    state.expire_token = True
    found = YouTube().verify(http, server, "alicegardens", credentials(state))
    assert found.credentials["access_token"].startswith("ya29.refreshed-")
    assert found.credentials["refresh_token"] == state.refresh_token
    [token] = requests_to(state, "POST", "/token")
    assert token["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": state.refresh_token,
        "client_id": state.client_id,
        "client_secret": state.client_secret,
    }


def test_verify_with_only_a_refresh_token_gets_an_access_token(http, server, state):
    given = {k: v for k, v in credentials(state).items() if k != "access_token"}
    found = YouTube().verify(http, server, "alicegardens", given)
    assert found.credentials["access_token"] in state.access_tokens


def test_verify_refuses_a_bad_token_in_googles_words(http, server):
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, server, "alicegardens", {"access_token": "ya29.wrong"})
    assert (refused.value.message, refused.value.status) == (UNAUTHENTICATED, 400)


def test_verify_refuses_a_revoked_refresh_token(http, server, state):
    state.expire_token = state.revoke_refresh = True
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, server, "alicegardens", credentials(state))
    assert (refused.value.message, refused.value.status) == (REVOKED, 400)


def test_verify_refuses_an_account_without_a_channel(http, server, state):
    state.channel = None
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, server, "alicegardens", credentials(state))
    assert refused.value.status == 400
    assert "no YouTube channel" in refused.value.message


def test_verify_refuses_another_channels_handle(http, server, state):
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, server, "bobsbees", credentials(state))
    assert refused.value.status == 400
    assert "@alicegardens" in refused.value.message


@pytest.mark.parametrize(
    "given",
    [{}, {"refresh_token": "1//r"}, {"refresh_token": "1//r", "client_id": "c"}],
)
def test_verify_needs_a_token_and_for_a_refresh_token_its_client(http, server, state, given):
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, server, "alicegardens", given)
    assert refused.value.status == 400
    assert state.requests == []


def test_verify_reports_an_unreachable_server_as_502(http):
    with pytest.raises(PlatformError) as refused:
        YouTube().verify(http, closed_port_url(), "alicegardens", {"access_token": "t"})
    assert refused.value.status == 502


# Options.


def test_options_pass_when_valid():
    options = {"privacy_status": "unlisted", "category_id": "27", "made_for_kids": False}
    assert YouTube().check_options(options) == options
    assert YouTube().check_options({}) == {}


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"privacy_status": "friends"}, "privacy_status"),
        ({"privacy_status": None}, "privacy_status"),
        ({"category_id": 22}, "category_id"),
        ({"category_id": "music"}, "category_id"),
        ({"category_id": "22\n"}, "category_id"),
        ({"category_id": "２２"}, "category_id"),
        ({"made_for_kids": "no"}, "made_for_kids"),
        ({"playlist": "PL1"}, "playlist"),
    ],
)
def test_options_are_refused_naming_the_option(options, named):
    with pytest.raises(OptionError) as refused:
        YouTube().check_options(options)
    assert f"`{named}`" in str(refused.value)


def test_options_are_sent_in_the_metadata(http, server, state, account):
    state.processing_polls = 1
    options = {"privacy_status": "unlisted", "category_id": "27", "made_for_kids": True}
    outcome = youtube().publish(http, server, account, content(options=options))
    assert outcome.kind == PUBLISHED, outcome
    sent = the_video(state)
    assert (sent["privacy"], sent["made_for_kids"]) == ("unlisted", True)
    assert sent["snippet"]["categoryId"] == "27"


# Uploading, processing, publishing.


def test_a_video_is_uploaded_in_chunks_then_published_once_processed(http, server, state, account):
    state.processing_polls = 3
    reads: list[int] = []
    saved: list[dict] = []
    held_when_saved: list[int] = []

    def saver(values: dict) -> None:
        held_when_saved.append(sum(len(s["data"]) for s in state.sessions.values()))
        saved.append(values)

    first = content(media=[video(reads)])
    first.saver = saver
    outcome = youtube().publish(http, server, account, first)
    assert outcome.kind == RETRY and outcome.processing, outcome
    assert outcome.retry_after == 90  # YouTube's own estimate: two more polls of 45 s
    # The session URI was kept before YouTube had a single byte, then the video's id.
    assert list(saved[0]) == ["upload_uri"] and held_when_saved[0] == 0
    assert saved[1]["video_id"] == the_video(state)["id"]
    assert ranges(state) == [
        f"bytes 0-262143/{TOTAL}",
        f"bytes 262144-524287/{TOTAL}",
        f"bytes 524288-{TOTAL - 1}/{TOTAL}",
    ]
    assert max(reads) <= CHUNK_UNIT  # streamed, never read whole

    [start] = requests_to(state, "POST", "/upload/youtube/v3/videos")
    assert start["headers"]["X-Upload-Content-Length"] == str(TOTAL)
    assert start["headers"]["X-Upload-Content-Type"] == "video/mp4"
    assert start["json"] == {
        "snippet": {"title": "Seed saving", "description": TEXT, "tags": ["gardening", "seeds"]},
        "status": {"privacyStatus": "private"},
    }

    second = youtube().publish(http, server, account, content(saved))
    assert second.kind == RETRY and second.processing
    assert second.retry_after == 45
    third = youtube().publish(http, server, account, content(saved))
    assert third.kind == PUBLISHED, third
    video_id = the_video(state)["id"]
    assert (third.post_id, third.url) == (video_id, f"https://www.youtube.com/watch?v={video_id}")
    assert third.first_comment is None and third.credentials is None
    assert the_video(state)["data"] == VIDEO_BYTES
    assert len(state.sessions) == 1
    assert len(ranges(state)) == 3  # the polls sent nothing more
    assert len(requests_to(state, "GET", "/youtube/v3/videos")) == 3


def test_a_long_upload_goes_on_over_several_attempts(http, server, state, account):
    state.processing_polls = 1
    saved: list[dict] = []
    brief = youtube(upload_seconds=0)  # each attempt stops after one chunk
    first = brief.publish(http, server, account, content(saved))
    assert (first.kind, first.processing, first.retry_after) == (RETRY, True, 0)
    assert first.error == "Uploading to YouTube (40% sent)."
    second = brief.publish(http, server, account, content(saved))
    assert (second.kind, second.error) == (RETRY, "Uploading to YouTube (80% sent).")
    third = brief.publish(http, server, account, content(saved))
    assert third.kind == PUBLISHED, third
    assert ranges(state) == [
        f"bytes 0-262143/{TOTAL}",
        f"bytes */{TOTAL}",
        f"bytes 262144-524287/{TOTAL}",
        f"bytes */{TOTAL}",
        f"bytes 524288-{TOTAL - 1}/{TOTAL}",
    ]
    assert len(state.sessions) == 1
    assert the_video(state)["data"] == VIDEO_BYTES


def test_the_title_is_one_line_of_100_characters_without_angle_brackets(
    http, server, state, account
):
    state.processing_polls = 1
    title = "Growing <b>beans</b> " + "and more beans " * 10
    tags = ["#beans", "bean seeds", "beans"] + [f"variety-{n:03d}-heirloom" for n in range(40)]
    outcome = youtube().publish(
        http, server, account, content(title=title, text="I <3 beans > peas", tags=tags)
    )
    assert outcome.kind == PUBLISHED, outcome
    snippet = the_video(state)["snippet"]
    assert len(snippet["title"]) <= 100 and snippet["title"].endswith("…")
    assert snippet["title"].startswith("Growing ‹b›beans‹/b› and more beans")
    assert snippet["description"] == "I ‹3 beans › peas"
    assert snippet["tags"][:2] == ["beans", "bean seeds"]
    assert SERVER._tags_length(snippet["tags"]) <= 500
    assert len(snippet["tags"]) < len(tags) - 1


def test_a_post_without_a_title_is_named_by_its_first_line(http, server, state, account):
    state.processing_polls = 1
    outcome = youtube().publish(http, server, account, content(title=""))
    assert outcome.kind == PUBLISHED, outcome
    assert the_video(state)["snippet"]["title"] == "Keep the best pods."


def test_a_description_over_5000_bytes_is_refused_in_youtubes_words(http, server, state, account):
    outcome = youtube().publish(http, server, account, content(text="é" * 2501))
    assert outcome.kind == PERMANENT
    assert outcome.error == INVALID_DESCRIPTION
    assert state.sessions == {} and state.videos == {}


def test_a_post_is_one_video():
    image = Media(b"\x89PNG\r\n\x1a\n", "image/png")
    for media in ([], [image], [video(), video()], [video(), image]):
        assert youtube().refuse(media, {}) == "A YouTube post is one video, and only that."
    assert youtube().refuse([video()], {}) is None


@pytest.mark.parametrize(
    ("result", "error"),
    [
        ("failed", "YouTube could not process the video (codec)."),
        ("rejected", "YouTube rejected the video (duplicate)."),
    ],
)
def test_a_video_youtube_fails_or_rejects_is_a_failure(http, server, state, account, result, error):
    state.processing_polls, state.processing_result = 2, result
    saved: list[dict] = []
    assert youtube().publish(http, server, account, content(saved)).kind == RETRY
    outcome = youtube().publish(http, server, account, content(saved))
    assert (outcome.kind, outcome.error) == (PERMANENT, error)


# Never two videos.


def test_a_dropped_upload_resumes_from_youtubes_range(http, server, state, account):
    state.drop_chunk = 2  # YouTube keeps half of the second chunk, then the line drops
    state.processing_polls = 1
    saved: list[dict] = []
    outcome = youtube().publish(http, server, account, content(saved))
    assert outcome.kind == RETRY, outcome
    assert state.videos == {}
    [session] = state.sessions.values()
    kept = len(session["data"])
    assert kept == CHUNK_UNIT + CHUNK_UNIT // 2

    resumed = youtube().publish(http, server, account, content(saved))
    assert resumed.kind == PUBLISHED, resumed
    assert ranges(state)[2:] == [f"bytes */{TOTAL}", f"bytes {kept}-{TOTAL - 1}/{TOTAL}"]
    assert len(state.sessions) == 1
    assert the_video(state)["data"] == VIDEO_BYTES


def test_a_completed_upload_whose_answer_was_lost_is_not_sent_again(http, server, state, account):
    state.drop_completion = True
    state.processing_polls = 1
    saved: list[dict] = []
    assert youtube().publish(http, server, account, content(saved)).kind == RETRY
    assert "video_id" not in saved[-1]
    assert len(state.videos) == 1

    found = youtube().publish(http, server, account, content(saved))
    assert found.kind == PUBLISHED, found
    assert found.post_id == the_video(state)["id"] == saved[-1]["video_id"]
    assert ranges(state)[3:] == [f"bytes */{TOTAL}"]  # a status query, no bytes
    assert len(state.videos) == 1 and len(state.sessions) == 1


def test_an_expired_session_starts_the_upload_again(http, server, state, account):
    state.drop_chunk = 2
    state.processing_polls = 1
    saved: list[dict] = []
    assert youtube().publish(http, server, account, content(saved)).kind == RETRY
    first_uri = saved[-1]["upload_uri"]
    state.expire_sessions()

    again = youtube().publish(http, server, account, content(saved))
    assert again.kind == PUBLISHED, again
    assert saved[-2]["upload_uri"] != first_uri  # the new session, kept before its bytes
    assert ranges(state)[2:] == [
        f"bytes */{TOTAL}",
        f"bytes 0-262143/{TOTAL}",
        f"bytes 262144-524287/{TOTAL}",
        f"bytes 524288-{TOTAL - 1}/{TOTAL}",
    ]
    assert len(state.sessions) == 2
    assert the_video(state)["data"] == VIDEO_BYTES


def test_a_refused_connection_is_retried(http, account):
    assert youtube().publish(http, closed_port_url(), account, content()).kind == RETRY


# Quota, rate limits, tokens.


@pytest.mark.parametrize(
    ("base", "tokens"),
    [
        ("https://www.googleapis.com", "https://oauth2.googleapis.com/token"),
        ("https://youtube.googleapis.com", "https://oauth2.googleapis.com/token"),
        ("https://notgoogleapis.com", "https://notgoogleapis.com/token"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/token"),
    ],
)
def test_tokens_come_from_google_or_the_servers_own_endpoint(base, tokens):
    assert token_url(base) == tokens


def test_an_exceeded_quota_waits_for_midnight_in_los_angeles(http, server, state, account):
    state.quota_exceeded = True
    outcome = youtube().publish(http, server, account, content())
    assert (outcome.kind, outcome.error) == (RETRY, QUOTA)
    assert outcome.retry_after == 12 * 3600
    assert state.sessions == {}


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (NOW, 12),
        (datetime(2024, 3, 10, 7, 30, tzinfo=UTC), 0.5),  # 23:30 PST, the night DST begins
        (datetime(2024, 3, 10, 12, 0, tzinfo=UTC), 19),  # 05:00 PDT, a 23-hour day
        (datetime(2024, 3, 10, 5, 0, tzinfo=LOS_ANGELES), 19),
        (datetime(2024, 11, 3, 6, 0, tzinfo=UTC), 1),  # 23:00 PDT, the night DST ends
        (datetime(2024, 11, 3, 12, 0, tzinfo=UTC), 20),  # 04:00 PST
    ],
)
def test_the_quota_day_ends_at_pacific_midnight(now, hours):
    seconds = until_quota_reset(now)
    assert seconds == hours * 3600
    reset = (now.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(LOS_ANGELES)
    assert (reset.hour, reset.minute, reset.second) == (0, 0, 0)
    assert reset.date() == now.astimezone(LOS_ANGELES).date() + timedelta(days=1)


def test_a_rate_limit_is_retried_with_backoff(http, server, state, account):
    state.rate_limited = True
    outcome = youtube().publish(http, server, account, content())
    assert (outcome.kind, outcome.error, outcome.retry_after) == (
        RETRY,
        "Rate Limit Exceeded",
        None,
    )


def test_the_daily_upload_cap_waits_a_day(http, server, state, account):
    state.upload_limit = True
    outcome = youtube().publish(http, server, account, content())
    assert (outcome.kind, outcome.error, outcome.retry_after) == (RETRY, UPLOAD_LIMIT, 86400)
    assert state.sessions == {}


def test_an_expired_token_is_refreshed_and_the_call_sent_again(http, server, state, account):
    state.expire_token = True
    state.processing_polls = 1
    outcome = youtube().publish(http, server, account, content())
    assert outcome.kind == PUBLISHED, outcome
    assert outcome.credentials["access_token"] in state.access_tokens
    assert outcome.credentials["access_token"] != account.credentials["access_token"]
    assert outcome.credentials["refresh_token"] == state.refresh_token
    starts = requests_to(state, "POST", "/upload/youtube/v3/videos")
    assert [s["headers"]["Authorization"] for s in starts] == [
        "Bearer ya29.first",
        f"Bearer {outcome.credentials['access_token']}",
    ]
    assert len(state.sessions) == 1 and len(requests_to(state, "POST", "/token")) == 1


def test_a_revoked_refresh_token_needs_reconnecting(http, server, state, account):
    state.expire_token = state.revoke_refresh = True
    outcome = youtube().publish(http, server, account, content())
    assert (outcome.kind, outcome.error, outcome.credentials) == (AUTH, REVOKED, None)
    assert state.sessions == {}


# The first comment.


def test_the_first_comment_is_posted_once_the_video_is_processed(http, server, state, account):
    saved: list[dict] = []
    first = youtube().publish(http, server, account, content(saved, first_comment=COMMENT))
    assert first.kind == RETRY and first.first_comment is None
    assert state.threads == []

    outcome = youtube().publish(http, server, account, content(saved, first_comment=COMMENT))
    assert outcome.kind == PUBLISHED, outcome
    [thread] = state.threads
    assert (thread["videoId"], thread["text"]) == (outcome.post_id, COMMENT)
    assert outcome.first_comment == {
        "status": "published",
        "id": thread["id"],
        "url": f"https://www.youtube.com/watch?v={outcome.post_id}&lc={thread['id']}",
    }
    assert saved[-1]["first_comment"] == outcome.first_comment

    rerun = youtube().publish(http, server, account, content(saved, first_comment=COMMENT))
    assert rerun.first_comment == outcome.first_comment
    assert len(state.threads) == 1


def test_a_refused_first_comment_leaves_the_video_published(http, server, state, account):
    state.processing_polls = 1
    state.comments_disabled = True
    outcome = youtube().publish(http, server, account, content(first_comment=COMMENT))
    assert outcome.kind == PUBLISHED, outcome
    assert outcome.first_comment == {"status": "failed", "error": COMMENTS_DISABLED}
    assert len(state.videos) == 1 and state.threads == []


def test_a_first_comment_whose_answer_was_lost_is_found_not_sent_again(
    http, server, state, account
):
    state.processing_polls = 1
    state.drop_comment_answer = True
    saved: list[dict] = []
    outcome = youtube().publish(http, server, account, content(saved, first_comment=COMMENT))
    assert outcome.kind == PUBLISHED, outcome
    [thread] = state.threads
    assert (outcome.first_comment["status"], outcome.first_comment["id"]) == (
        "published",
        thread["id"],
    )

    # A worker that stopped right after sending it: the next attempt looks first.
    stopped = [saved[-2]]
    assert stopped[0]["comment_sent"] and "first_comment" not in stopped[0]
    posts = len(requests_to(state, "POST", "/youtube/v3/commentThreads"))
    rerun = youtube().publish(http, server, account, content(stopped, first_comment=COMMENT))
    assert rerun.first_comment == outcome.first_comment
    assert len(requests_to(state, "POST", "/youtube/v3/commentThreads")) == posts
    assert len(state.threads) == 1
