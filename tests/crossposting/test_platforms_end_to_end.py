"""Instagram, Facebook Pages, Threads, Pinterest, TikTok and YouTube end to end through our
HTTP API: each connected with `POST /api/me/channels`, sent a blog post's crosspost and a
standalone post, then put through what its server can do to a delivery: a text over the
platform's limit (refused before anything is stored), its rate limit with its own headers,
an expired token, media it processes over several polls, and a connection lost mid-upload
or mid-create, as a killed worker loses it (the next attempt resumes, or finds the post,
or the delivery is `unconfirmed`; the platform never gets a second post).

The app is on a real socket because Meta fetches the media from its public address;
deliveries run through the real engine (huey immediate), and `time_passes` is the sweep
once a wait is over. What differs between the platforms is in one `Profile` each; the
adapters' own tests (test_platform_*.py) cover their details."""

import base64
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import ModuleType

import httpx
import pytest
from calls import count
from deliveries import delivery_row, time_passes
from media_samples import jpeg_with_gps, video
from platform_servers import graph, pinterest, running, threads, tiktok, youtube
from sqlalchemy import select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import Delivery
from writeas.crossposting import delivery as engine
from writeas.crossposting.platforms.youtube import until_quota_reset

BLOG_POST = {"title": "Seed saving", "body": "Keep the best pods. Dry them well."}
EXCERPT = "Keep the best pods."
STANDALONE = "Pods drying on the sill #seeds"
# 4.5 s of 360×640 H.264/AAC: long enough for Pinterest (4 s), tall enough for all six.
VIDEO = video("mp4", "libx264", "aac", size=(360, 640), fps=10, frames=45)


def padded_video() -> tuple[bytes, str]:
    """The same video grown past 20 MB with an MP4 `free` box (which players skip), so
    TikTok takes it in two chunks."""
    size = 20_500_000
    return VIDEO + struct.pack(">I", size) + b"free" + bytes(size - 8), "long.mp4"


SAMPLES: dict[str, Callable[[], tuple[bytes, str]]] = {
    "photo": lambda: (jpeg_with_gps((320, 240)), "pods.jpg"),
    "another photo": lambda: (jpeg_with_gps((300, 200)), "jar.jpg"),
    "video": lambda: (VIDEO, "pods.mp4"),
    "long video": padded_video,
}


def _post(post_id: str, text: str, *files: bytes | None) -> dict:
    """A post as a platform's server holds it (a text post's container has no file)."""
    return {"id": post_id, "text": text, "media": [data for data in files if data]}


def _instagram_posts(state: graph.State) -> list[dict]:
    return [
        _post(m["id"], m["caption"], state.containers[m["container"]]["data"])
        for m in state.media.values()
    ]


def _facebook_posts(state: graph.State) -> list[dict]:
    return [
        _post(p["id"], p["message"], *(state.photos[i]["data"] for i in p["attached"]))
        for p in state.posts.values()
    ] + [_post(v["id"], v["description"], v["data"]) for v in state.videos.values()]


def _threads_posts(state: threads.State) -> list[dict]:
    return [
        _post(p["id"], p["text"], state.containers[p["container"]]["data"])
        for p in state.posts.values()
        if not p["reply_to"]
    ]


def _pins(state: pinterest.State) -> list[dict]:
    uploaded = {upload["key"]: upload["data"] for upload in state.uploads}

    def media(source: dict) -> bytes:
        if source["source_type"] == "video_id":
            return uploaded[state.media[source["media_id"]]["key"]]
        return base64.b64decode(source["data"])

    return [_post(p["id"], p["description"], media(p["media_source"])) for p in state.pins]


def _tiktoks(state: tiktok.State) -> list[dict]:
    """Every post an init made; photos as TikTok pulls them from their addresses."""

    def posted(publish: dict) -> dict:
        public = (publish.get("result") or {}).get("publicaly_available_post_id") or []
        info = publish["post_info"]
        post_id = str(public[0]) if public else publish["publish_id"]
        if publish["kind"] == "video":
            return _post(post_id, info.get("title"), bytes(publish["data"]))
        urls = publish["source_info"]["photo_images"]
        return _post(post_id, info.get("description"), *(httpx.get(url).content for url in urls))

    return [posted(publish) for publish in state.publishes.values()]


def _youtube_videos(state: youtube.State) -> list[dict]:
    return [_post(v["id"], v["snippet"]["description"], v["data"]) for v in state.videos.values()]


@dataclass(frozen=True)
class Profile:
    """One platform as these tests drive it."""

    name: str
    server: ModuleType  # its module in platform_servers
    api_path: str  # where its API starts on that server
    handle: str
    credentials: Callable[[object], dict]
    posts: Callable[[object], list[dict]]  # what it holds: id, text and media of each post
    text_limit: int
    rate_limit: dict  # the server's switches for its rate limit…
    wait: Callable[[], float]  # …and the seconds the platform then says to wait
    refresh_path: str | None = None  # its OAuth refresh; None: a lapsed token is final
    media: tuple[str, ...] = ("photo",)  # what a post to it carries (SAMPLES)
    target: dict = field(default_factory=dict)  # what a target needs besides its channel
    state: Callable[[str], object] | None = None  # its server's State for the site's URL

    def new_state(self, site: str):
        return self.state(site) if self.state else self.server.State()


def _meta_user(state) -> dict:
    return {"access_token": state.user_token}


def _google(state) -> dict:
    return {"access_token": "ya29.first", "refresh_token": state.refresh_token,
            "client_id": state.client_id, "client_secret": state.client_secret}


PROFILES = {profile.name: profile for profile in (
    Profile(
        "instagram", graph, f"/{graph.VERSION}", "alice.garden", _meta_user,
        _instagram_posts, text_limit=2200,
        rate_limit={"throttled": 80002, "regain_minutes": 7, "usage": 100}, wait=lambda: 420.0,
    ),
    Profile(
        "facebook", graph, f"/{graph.VERSION}", "Alice's Garden", _meta_user,
        _facebook_posts, text_limit=63206,
        rate_limit={"throttled": 32, "regain_minutes": 9, "usage": 100}, wait=lambda: 540.0,
    ),
    Profile(
        "threads", threads, f"/{threads.VERSION}", "alice",
        lambda state: {"access_token": "threads-token"}, _threads_posts, text_limit=500,
        rate_limit={"throttled": 4, "regain_minutes": 12, "usage": 100}, wait=lambda: 720.0,
        media=(),
    ),
    Profile(
        "pinterest", pinterest, "", "alicegardens",
        lambda state: {"access_token": "pina_0", "refresh_token": "pinr_0",
                       "client_id": state.client_id, "client_secret": state.client_secret},
        _pins, text_limit=500,
        rate_limit={"rate_limited": True, "rate_limit_reset_seconds": 90}, wait=lambda: 90.0,
        refresh_path="/v5/oauth/token", target={"board_id": "549755885175"},
    ),
    Profile(
        "tiktok", tiktok, "", "alice.gardens",
        lambda state: {"access_token": "act.0", "refresh_token": "rft.0",
                       "client_key": state.client_key, "client_secret": state.client_secret},
        _tiktoks, text_limit=2200,
        # TikTok sends no reset time: its limits are per minute.
        rate_limit={"rate_limited": True}, wait=lambda: 60.0,
        refresh_path="/v2/oauth/token/",
        target={"options": {"privacy_level": "PUBLIC_TO_EVERYONE"}},
        state=lambda site: tiktok.State(verified_prefixes=[f"{site}/media/"]),
    ),
    Profile(
        "youtube", youtube, "", "@alicegardens", _google, _youtube_videos, text_limit=5000,
        # The quota is YouTube's rate limit; its day ends at midnight in California.
        rate_limit={"quota_exceeded": True}, wait=lambda: until_quota_reset(datetime.now(UTC)),
        refresh_path="/token", media=("video",),
        state=lambda site: youtube.State(processing_polls=0),
    ),
)}
REFRESHING = [name for name, profile in PROFILES.items() if profile.refresh_path]
each_platform = pytest.mark.parametrize("profile", list(PROFILES), indirect=True)


@pytest.fixture
def profile(request) -> Profile:
    return PROFILES[request.param]


@pytest.fixture
def platform(profile, site):
    """The platform's server: its state, and its API's base URL."""
    state = profile.new_state(site)
    with running(profile.server.create(state)) as url:
        yield state, url + profile.api_path


@pytest.fixture
def web(site, alice):
    """Alice's client of the site on its socket."""
    with httpx.Client(
        base_url=site, headers={"Authorization": f"Token {alice}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def channel(web, profile, platform) -> int:
    state, base_url = platform
    response = web.post("/api/me/channels", json={
        "platform": profile.name, "handle": profile.handle, "base_url": base_url,
        "credentials": profile.credentials(state),
    })
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def upload(web, *samples: str) -> list[dict]:
    uploaded = []
    for sample in samples:
        data, name = SAMPLES[sample]()
        response = web.post(
            "/api/media", data={"alt_text": "Pods drying"},
            files={"file": (name, data, "application/octet-stream")},
        )
        assert response.status_code == 201, response.text
        uploaded.append(response.json()["data"])
    return uploaded


def served(web, media: list[dict]) -> list[bytes]:
    """The files as our site serves them, which is what each platform should hold."""
    return [web.get(item["url"]).content for item in media]


def crosspost(web, profile: Profile, channel: int, media: list[dict], post_id=None, **target):
    """A blog post's crosspost (with `post_id`) or a standalone post, to one target."""
    body = {"targets": [{
        "channel": channel, **profile.target, "media": [item["id"] for item in media], **target,
    }]}
    if post_id is None:
        return web.post("/api/crossposts", json={"text": STANDALONE, **body})
    return web.post(f"/api/posts/{post_id}/crossposts", json=body)


def blog_post(web) -> dict:
    response = web.post("/api/collections/alice/posts", json=BLOG_POST)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def only_result(response) -> dict:
    assert response.status_code in (201, 202), response.text
    [result] = response.json()["data"]["results"]
    return result


def switch(state, switches: dict) -> None:
    for name, value in switches.items():
        setattr(state, name, value)


def switch_back(state, switches: dict) -> None:
    """The switches as a new server has them."""
    switch(state, {name: getattr(type(state)(), name) for name in switches})


def channel_status(web, channel: int) -> dict:
    [listed] = [c for c in web.get("/api/me/channels").json()["data"] if c["id"] == channel]
    return listed


def short_timeout(app) -> None:
    """Our requests give up after a second, so a slower answer is lost after sending."""
    settings = app.extensions["writeas.settings"]
    app.extensions["writeas.settings"] = replace(settings, outbound_timeout_seconds=1.0)


@each_platform
def test_a_blog_post_and_a_standalone_post_are_each_published_once(
    web, profile, platform, channel
):
    state, _ = platform
    media = upload(web, *profile.media)
    post = blog_post(web)
    for number, post_id in enumerate((post["id"], None), start=1):
        response = crosspost(web, profile, channel, media, post_id)
        assert response.status_code == 201, response.text
        batch = response.json()["data"]
        assert batch["status"] == "published", batch
        [result] = web.get(f"/api/crossposts/{batch['id']}").json()["data"]["results"]
        held = profile.posts(state)
        assert len(held) == number
        assert (result["status"], result["post_id"]) == ("published", held[-1]["id"])
        assert result["url"] and result["success"] is True
        if post_id is None:
            assert held[-1]["text"] == STANDALONE
        else:
            assert EXCERPT in held[-1]["text"]
        assert held[-1]["media"] == served(web, media)


REFUSALS = [
    *[
        pytest.param(name, {"text": "x" * (profile.text_limit + 1)},
                     f"{name} allows {profile.text_limit}", id=f"{name}-text")
        for name, profile in PROFILES.items()
    ],
    pytest.param("pinterest", {"board_id": ""}, "pinterest needs a `board_id`", id="no-board"),
    pytest.param("tiktok", {"options": {}}, "TikTok needs option `privacy_level`",
                 id="no-privacy-level"),
    # Text alone, where a post is media.
    pytest.param("youtube", {}, "A YouTube post is one video", id="youtube-text-only"),
    pytest.param("tiktok", {}, "A TikTok post needs a video or photos", id="tiktok-text-only"),
    pytest.param("instagram", {}, "Instagram posts need an image or a video",
                 id="instagram-text-only"),
    pytest.param("pinterest", {}, "A Pinterest pin needs an image or a video",
                 id="pinterest-text-only"),
]


@pytest.mark.parametrize(("profile", "change", "message"), REFUSALS, indirect=["profile"])
def test_what_breaks_a_platforms_limit_is_refused_before_anything_is_stored(
    app, web, profile, platform, channel, change, message
):
    state, _ = platform
    asked = len(state.requests)  # connecting asked who the account is
    post = blog_post(web)
    for post_id in (post["id"], None):
        response = crosspost(web, profile, channel, [], post_id, **change)
        assert response.status_code == 400, response.text
        assert message in response.json()["error_msg"]
    assert count(app, Delivery) == 0
    assert len(state.requests) == asked


@each_platform
def test_a_rate_limit_waits_for_the_platforms_reset_then_posts_once(
    app, web, profile, platform, channel
):
    state, _ = platform
    media = upload(web, *profile.media)
    switch(state, profile.rate_limit)
    result = only_result(crosspost(web, profile, channel, media))
    assert result["status"] == "queued" and result["error"], result
    waits = (delivery_row(app, result["id"]).next_attempt_at - utcnow()).total_seconds()
    assert waits == pytest.approx(profile.wait(), abs=5)
    assert profile.posts(state) == []

    switch_back(state, profile.rate_limit)
    time_passes(app, result["id"])
    row = delivery_row(app, result["id"])
    assert row.status == "published", row.error
    [held] = profile.posts(state)
    assert held["id"] == row.remote_id and held["media"] == served(web, media)


@pytest.mark.parametrize("profile", REFRESHING, indirect=True)
def test_an_expired_token_is_refreshed_and_the_new_one_kept(app, web, profile, platform, channel):
    state, _ = platform
    media = upload(web, *profile.media)
    state.expire_token = True
    assert only_result(crosspost(web, profile, channel, media))["status"] == "published"
    # The next post goes with the stored new token: no second refresh.
    again = only_result(crosspost(web, profile, channel, media, text="Another day, more pods"))
    assert again["status"] == "published", again
    assert [p["text"] for p in profile.posts(state)] == [STANDALONE, "Another day, more pods"]
    assert [r["path"] for r in state.requests].count(profile.refresh_path) == 1
    assert channel_status(web, channel)["status"] == "active"


@pytest.mark.parametrize(
    "profile", [name for name in PROFILES if name not in REFRESHING], indirect=True
)
def test_an_expired_meta_token_needs_the_channel_reconnected(web, profile, platform, channel):
    state, _ = platform
    media = upload(web, *profile.media)
    state.expire_token = True
    result = only_result(crosspost(web, profile, channel, media))
    assert result["status"] == "failed" and "rejected the credentials" in result["error"]
    assert graph.EXPIRED_TOKEN in result["error"]
    listed = channel_status(web, channel)
    assert listed["status"] == "needs_reconnect"
    assert graph.EXPIRED_TOKEN in listed["status_reason"]
    assert profile.posts(state) == []


@each_platform
def test_media_processed_over_several_polls_is_published_after_them(
    app, web, profile, platform, channel
):
    state, _ = platform
    state.processing_polls = 3
    media = upload(web, "video")
    result = only_result(crosspost(web, profile, channel, media))
    polls = 0
    while (row := delivery_row(app, result["id"])).status == "queued":
        assert "processing" in row.error, row.error
        assert polls < 10, "still processing"
        time_passes(app, result["id"])
        polls += 1
    assert row.status == "published", row.error
    assert polls >= 2
    assert row.attempts == 1  # waiting for the platform used none up
    [held] = profile.posts(state)
    assert held["id"] == row.remote_id and held["media"] == served(web, media)


def _calls(path: str) -> Callable[[object], int]:
    return lambda state: sum(r["method"] == "POST" and r["path"] == path for r in state.requests)


# A cut (the server's switch), what the post carries, how it ends, and the server's count
# of what was made or sent, which shows that the next attempt went on from what the
# platform had rather than starting again.
KILLS = [
    pytest.param("youtube", {"drop_chunk": 1}, ("video",), "published",
                 (lambda state: len(state.sessions), 1),  # the same upload session
                 id="youtube-resumes-its-upload-session"),
    pytest.param("tiktok", {"slow_chunk": 0}, ("long video",), "published",
                 (lambda state: len(state.chunks), 3),  # the first chunk again, refused
                 id="tiktok-continues-from-its-chunks"),
    pytest.param("facebook", {"drop_photo": 2}, ("photo", "another photo"), "published",
                 (lambda state: len(state.photos), 3),  # the first photo kept, not resent
                 id="facebook-attaches-the-photos-it-has"),
    pytest.param("instagram", {"slow_seconds": 2}, ("photo",), "published",
                 (lambda state: len(state.containers), 1),
                 id="instagram-asks-its-container"),
    pytest.param("threads", {"slow_seconds": 2}, (), "published",
                 (lambda state: len(state.containers), 1),
                 id="threads-asks-its-container"),
    pytest.param("pinterest", {"slow_pin_seconds": 3}, ("photo",), "published",
                 (_calls("/v5/pins"), 1),  # found on the board, not pinned again
                 id="pinterest-finds-its-pin-on-the-board"),
    pytest.param("tiktok", {"slow_init_seconds": 3}, ("video",), "unconfirmed",
                 (_calls("/v2/post/publish/video/init/"), 1),
                 id="tiktok-init-unanswered"),
]


@pytest.mark.parametrize(
    ("profile", "cut", "samples", "ending", "sent"), KILLS, indirect=["profile"]
)
def test_a_connection_lost_mid_upload_never_makes_a_second_post(
    app, web, profile, platform, channel, cut, samples, ending, sent
):
    """The platform got the upload (or part of it) or the create, and we never got its
    answer: the attempt after resumes or finds the post, or, where nothing can tell, the
    delivery is `unconfirmed` and nothing is sent again."""
    state, _ = platform
    media = upload(web, *samples)
    switch(state, cut)
    short_timeout(app)
    result = only_result(crosspost(web, profile, channel, media))
    assert result["status"] == ("queued" if ending == "published" else ending), result

    switch_back(state, cut)
    time_passes(app, result["id"])
    row = delivery_row(app, result["id"])
    assert row.status == ending, row.error
    held = profile.posts(state)
    assert len(held) == 1
    counted, expected = sent
    assert counted(state) == expected
    if ending == "published":
        assert held[0]["id"] == row.remote_id and held[0]["media"] == served(web, media)
    else:
        assert "check the account" in row.error


@pytest.mark.parametrize("profile", ["youtube"], indirect=True)
def test_a_worker_that_outlives_its_lease_stops_and_the_video_is_posted_once(
    app, web, profile, platform, channel
):
    """A worker stalls past its lease (a long conversion, an overloaded host) just as it
    asks YouTube for an upload session. The sweep presumes it dead and another worker
    posts the video. When the first wakes it must find its lease gone and stop, not upload
    the video a second time or write over the second worker's result."""
    state, _ = platform
    media = upload(web, "video")
    second: list = []

    def stall_past_the_lease():
        state.on_session_start = None  # the second worker's session opens at once
        with app.app_context():
            [row] = db.session.scalars(select(Delivery)).all()
            row.locked_until = datetime(2020, 1, 1)  # the lease ran out long ago
            db.session.commit()
            queued: list[str] = []
            engine.sweep(queued.append)
            second.extend(engine.run(delivery_id) for delivery_id in queued)
            db.session.remove()

    state.on_session_start = stall_past_the_lease
    result = only_result(crosspost(web, profile, channel, media))

    assert len(second) == 1  # the sweep passed the delivery on, and it ran
    row = delivery_row(app, result["id"])
    [video_held] = profile.posts(state)
    assert (row.status, row.remote_id, row.attempts) == ("published", video_held["id"], 2)
    assert len(state.sessions) == 2  # the first worker's session was never used
    assert result["status"] == "published"
