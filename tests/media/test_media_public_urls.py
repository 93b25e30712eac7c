"""`/media/<id>.<ext>`: the file as stored, with its type, cached for a year, sniffing
refused, and byte ranges (206, 416) for players and the platforms that fetch videos."""

import httpx
import pytest
from media_samples import MP4, png

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def clip(upload) -> str:
    """An uploaded video's public path."""
    response = upload(MP4)
    assert response.status_code == 201, response.json
    return response.json["data"]["url"].removeprefix("http://localhost")


def test_the_whole_file_with_its_headers(client, clip):
    response = client.get(clip)
    assert response.status_code == 200
    assert response.get_data() == MP4
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(len(MP4))
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response.headers
    head = client.head(clip)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(MP4))


@pytest.mark.parametrize(
    ("asked", "start", "end"),
    [("bytes=0-99", 0, 100), ("bytes=100-", 100, len(MP4)), ("bytes=-50", len(MP4) - 50,
     len(MP4)), ("bytes=0-", 0, len(MP4)), (f"bytes=10-{len(MP4) * 2}", 10, len(MP4))],
    ids=["first-hundred", "from-100", "last-50", "all-as-a-range", "past-the-end"],
)
def test_one_range(client, clip, asked, start, end):
    response = client.get(clip, headers={"Range": asked})
    assert response.status_code == 206
    assert response.get_data() == MP4[start:end]
    assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(MP4)}"
    assert response.headers["Content-Length"] == str(end - start)
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_ranges_we_answer_whole_or_refuse(client, clip):
    beyond = client.get(clip, headers={"Range": f"bytes={len(MP4)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(MP4)}"
    for whole in ("bytes=0-1,5-9", "pages=1-2", "bytes=nonsense"):
        response = client.get(clip, headers={"Range": whole})
        assert response.status_code == 200, whole
        assert response.get_data() == MP4


def test_unknown_ids_and_wrong_extensions_are_the_404_page(client, upload, clip):
    media_id = clip.removeprefix("/media/").removesuffix(".mp4")
    for path in (f"/media/{media_id}.webm", f"/media/{media_id}", "/media/0123abcd.mp4",
                 f"/media/{media_id}.mp4.png", f"/media/{'f' * 40}.png"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"
    image = upload(png()).json["data"]
    assert client.get(f"/media/{image['id']}.png").headers["Content-Type"] == "image/png"
    assert client.get(f"/media/{image['id']}.jpg").status_code == 404


def test_a_range_over_a_real_connection(site, api, alice, upload):
    path = upload(MP4).json["data"]["url"].removeprefix("http://localhost")
    with httpx.Client(base_url=site, trust_env=False) as http:
        whole = http.get(path)
        assert whole.content == MP4 and whole.headers["content-type"] == "video/mp4"
        part = http.get(path, headers={"Range": "bytes=4-11"})
        assert part.status_code == 206 and part.content == MP4[4:12] == b"ftypisom"
