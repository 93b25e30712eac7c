"""Video end to end, through our HTTP API on a real socket: an upload made with PyAV is
probed, crossposted to YouTube, TikTok and Instagram Reels (their test servers, which
Instagram's fetches the file from our public address), and refused with a 400 naming the
platform and the limit when it breaks one. A video in an encoding a platform refuses
reaches it as the worker's H.264/AAC copy, made once, and deleted with the original."""

import io

import httpx
import pytest
from deliveries import delivery_row, time_passes
from media_samples import sound_only, video
from platform_servers import graph, running, tiktok, youtube
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import MediaFile
from writeas.services import media_store
from writeas.services.video import probe

# 3 seconds of 360×640 (9:16, as Reels are), the shortest and smallest TikTok takes.
CLIP = {"size": (360, 640), "fps": 10, "frames": 30}
MP4 = video("mp4", "libx264", "aac", **CLIP)
# VP8 is TikTok's but not YouTube's, and WebM is neither Instagram's nor Reels'.
WEBM = video("webm", "libvpx", "libopus", **CLIP)


@pytest.fixture
def servers():
    states = {
        "youtube": youtube.State(processing_polls=0),
        "tiktok": tiktok.State(),
        "instagram": graph.State(),
    }
    with (
        running(youtube.create(states["youtube"])) as youtube_url,
        running(tiktok.create(states["tiktok"])) as tiktok_url,
        running(graph.create(states["instagram"])) as graph_url,
    ):
        yield states, {
            "youtube": youtube_url, "tiktok": tiktok_url,
            "instagram": f"{graph_url}/{graph.VERSION}",
        }


@pytest.fixture
def web(site, alice):
    """Alice's client of the site on its socket (the platforms fetch from that address)."""
    with httpx.Client(
        base_url=site, headers={"Authorization": f"Token {alice}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def channels(web, servers):
    states, urls = servers
    tube, tok = states["youtube"], states["tiktok"]
    bodies = {
        "youtube": {"handle": "@alicegardens", "credentials": {
            "access_token": "ya29.first", "refresh_token": tube.refresh_token,
            "client_id": tube.client_id, "client_secret": tube.client_secret,
        }},
        "tiktok": {"handle": "alice.gardens", "credentials": {
            "access_token": "act.0", "refresh_token": "rft.0",
            "client_key": tok.client_key, "client_secret": tok.client_secret,
        }},
        "instagram": {"handle": "alice.garden",
                      "credentials": {"access_token": states["instagram"].user_token}},
    }
    made = {}
    for platform, body in bodies.items():
        response = web.post(
            "/api/me/channels", json={"platform": platform, "base_url": urls[platform], **body}
        )
        assert response.status_code == 201, response.text
        made[platform] = response.json()["data"]["id"]
    return made


def upload(web, data: bytes, name: str) -> dict:
    response = web.post(
        "/api/media", data={"type": "VIDEO", "alt_text": "Pods drying"},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def targets(channels, media_id: str) -> list[dict]:
    return [
        {"channel": channels["youtube"], "media": [media_id]},
        {"channel": channels["instagram"], "media": [media_id], "options": {"format": "reels"}},
        {"channel": channels["tiktok"], "media": [media_id],
         "options": {"privacy_level": "SELF_ONLY"}},
    ]


def crosspost_everywhere(web, channels, media_id: str) -> list[dict]:
    """YouTube and Instagram for a blog post, TikTok as a standalone post: both ways in."""
    post = web.post("/api/collections/alice/posts",
                    json={"title": "Seed saving", "body": "Keep the best pods."})
    assert post.status_code == 201, post.text
    youtube_and_instagram = web.post(
        f"/api/posts/{post.json()['data']['id']}/crossposts",
        json={"targets": targets(channels, media_id)[:2]},
    )
    assert youtube_and_instagram.status_code in (201, 202), youtube_and_instagram.text
    alone = web.post("/api/crossposts", json={
        "text": "Keep the best pods.", "targets": targets(channels, media_id)[2:],
    })
    assert alone.status_code in (201, 202), alone.text
    return youtube_and_instagram.json()["data"]["results"] + alone.json()["data"]["results"]


def settled(app, results: list[dict]) -> dict[str, str]:
    """Each delivery's final status by platform, letting time pass while a platform is
    still processing a video."""
    statuses = {}
    for result in results:
        for _ in range(5):
            row = delivery_row(app, result["id"])
            if row.status != "queued":
                break
            time_passes(app, result["id"])
        statuses[row.platform] = row.status
        assert row.error is None or row.status != "published", row.error
    return statuses


def received(states) -> dict[str, bytes]:
    """The video file each platform ended up with."""
    (tube,) = states["youtube"].videos.values()
    (tok,) = states["tiktok"].publishes.values()
    (container,) = states["instagram"].containers.values()
    assert container["params"]["media_type"] == "REELS"
    return {"youtube": tube["data"], "tiktok": bytes(tok["data"]), "instagram": container["data"]}


def rows(app) -> list[MediaFile]:
    with app.app_context():
        db.session.remove()
        return list(db.session.scalars(select(MediaFile)))


def test_an_mp4_is_probed_and_crossposted_as_sent_to_youtube_tiktok_and_reels(
    app, web, servers, channels
):
    item = upload(web, MP4, "pods.mp4")
    assert {k: item[k] for k in ("type", "mime_type", "width", "height", "video_codec",
                                 "audio_codec", "frame_rate", "size")} == {
        "type": "VIDEO", "mime_type": "video/mp4", "width": 360, "height": 640,
        "video_codec": "h264", "audio_codec": "aac", "frame_rate": 10.0, "size": len(MP4),
    }
    assert item["duration"] == pytest.approx(3.0, abs=0.1)

    results = crosspost_everywhere(web, channels, item["id"])
    assert settled(app, results) == dict.fromkeys(("youtube", "instagram", "tiktok"), "published")
    states, _ = servers
    assert received(states) == dict.fromkeys(("youtube", "tiktok", "instagram"), MP4)
    assert states["instagram"].fetched == [item["url"]]  # Meta took it from our address
    assert [row.id for row in rows(app)] == [item["id"]]  # nothing needed converting


def test_a_webm_goes_as_h264_where_its_codecs_are_refused_and_as_is_where_taken(
    app, web, servers, channels
):
    item = upload(web, WEBM, "pods.webm")
    assert (item["mime_type"], item["video_codec"], item["audio_codec"]) == (
        "video/webm", "vp8", "opus",
    )
    results = crosspost_everywhere(web, channels, item["id"])
    assert settled(app, results) == dict.fromkeys(("youtube", "instagram", "tiktok"), "published")

    states, _ = servers
    got = received(states)
    assert got["tiktok"] == WEBM  # TikTok takes VP8 and Opus in WebM
    assert got["youtube"] == got["instagram"] != WEBM  # one copy, for both
    copy = probe(io.BytesIO(got["youtube"]))
    assert (copy.mime_type, copy.video_codec, copy.audio_codec) == ("video/mp4", "h264", "aac")
    assert (copy.width, copy.height) == (360, 640)
    assert copy.duration == pytest.approx(3.0, abs=0.1)

    original, derived = sorted(rows(app), key=lambda row: row.derived_from is not None)
    assert (original.id, derived.derived_from, derived.user_id) == (
        item["id"], item["id"], original.user_id,
    )
    (fetched,) = states["instagram"].fetched
    assert fetched.endswith(f"/media/{derived.id}.mp4")
    # The copy is the worker's, not one of the user's uploads.
    assert [m["id"] for m in web.get("/api/media").json()["data"]] == [item["id"]]

    assert web.delete(f"/api/media/{item['id']}").status_code == 204
    assert rows(app) == []
    assert httpx.get(fetched).status_code == 404


def test_the_copy_is_made_once_and_reused_by_the_next_delivery(app, web, servers, channels):
    item = upload(web, WEBM, "pods.webm")
    for target in targets(channels, item["id"])[:2]:
        response = web.post("/api/crossposts", json={"text": "Pods", "title": "Pods",
                                                     "targets": [target]})
        assert response.status_code in (201, 202), response.text
        settled(app, response.json()["data"]["results"])
    assert len(rows(app)) == 2
    states, _ = servers
    (tube,) = states["youtube"].videos.values()
    (container,) = states["instagram"].containers.values()
    assert tube["data"] == container["data"]


def test_a_video_ffmpeg_cant_convert_fails_its_delivery_for_good(app, web, servers, channels):
    item = upload(web, WEBM, "pods.webm")
    with app.app_context():
        # The stored file went bad after the upload was probed.
        key = db.session.get(MediaFile, item["id"]).storage_key
        media_store.current().put(key, io.BytesIO(sound_only()), "video/webm")
    response = web.post("/api/crossposts", json={
        "text": "Pods", "targets": targets(channels, item["id"])[:1],
    })
    (result,) = response.json()["data"]["results"]
    row = delivery_row(app, result["id"])
    assert (row.status, row.error) == (
        "failed", f"Video {item['id']} can't be converted to H.264 for youtube: it holds no video.",
    )
    states, _ = servers
    assert states["youtube"].videos == {} and states["youtube"].sessions == {}
    assert len(rows(app)) == 1


@pytest.mark.parametrize(
    ("made", "target", "message"),
    [
        (  # 1 second
            {"codec": "libx264", "size": (360, 640)}, 2,
            "is too short: 1.0 s; the minimum is 3 s for tiktok.",
        ),
        (  # 11:1
            {"codec": "libx264", "size": (704, 64), "frames": 30}, 1,
            "is too wide or tall: its aspect ratio is 11.00; 0.01 to 10 is allowed for instagram.",
        ),
    ],
    ids=["too-short-for-tiktok", "too-wide-for-instagram"],
)
def test_a_video_beyond_a_platforms_limit_is_refused_with_a_400_naming_both(
    app, web, servers, channels, made, target, message
):
    item = upload(web, video(**made), "clip.mp4")
    post = web.post("/api/collections/alice/posts", json={"title": "Pods", "body": "Pods."})
    for path, body in (
        (f"/api/posts/{post.json()['data']['id']}/crossposts", {}),
        ("/api/crossposts", {"text": "Pods"}),
    ):
        response = web.post(path, json={**body, "targets": [targets(channels, item["id"])[target]]})
        assert response.status_code == 400, response.text
        assert response.json()["error_msg"] == f"Video {item['id']} {message}"
    states, _ = servers
    assert states["tiktok"].publishes == {} and states["instagram"].containers == {}
