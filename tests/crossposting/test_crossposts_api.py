"""The seeds' request contract, end to end through our HTTP API: a standalone social post
(`POST /api/crossposts`, seed 002's shape) with default and per-target text, results in
the request's order with seed 001's `success`, `publish_now` against `scheduled_at`, a
channel named twice, reading and retrying one crosspost, filtered and paged lists, and
`Idempotency-Key` conflicts.

Deliveries go to the local Mastodon server through the real engine (huey immediate)."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from calls import count, iso, mastodon_channel
from deliveries import delivery_row, time_passes
from PIL import Image
from platform_servers import mastodon, running

from writeas.core.db import db
from writeas.core.models import Delivery, MediaFile


@pytest.fixture
def servers():
    """Two Mastodon accounts on two servers: @alice and @alice2."""
    first, second = mastodon.State(), mastodon.State(access_token="second-token")
    second.account = {"id": "2001", "username": "alice2", "acct": "alice2"}
    with running(mastodon.create(first)) as one, running(mastodon.create(second)) as two:
        yield (first, one), (second, two)


@pytest.fixture
def channels(api, alice, servers):
    made = []
    for state, base_url in servers:
        body = mastodon_channel(base_url, state.access_token)
        body["handle"] = state.account["username"]
        response = api.call("POST", "/api/me/channels", token=alice, json=body)
        assert response.status_code == 201, response.json
        made.append(response.json["data"])
    return made


def post(api, token, body, headers=None):
    return api.call("POST", "/api/crossposts", token=token, json=body, headers=headers or {})


def test_a_standalone_post_goes_to_each_target_with_its_own_or_the_default_text(
    api, alice, channels, servers
):
    (first, _), (second, _) = servers
    body = {
        "text": "Launch day! https://example.com/launch",
        "targets": [{"channel": channels[1]["id"], "text": "Our own words for @alice2"},
                    {"channel": channels[0]["id"]}],
    }
    response = post(api, alice, body)
    assert response.status_code == 201, response.json
    batch = response.json["data"]
    assert batch["post"] is None and batch["status"] == "published"
    assert [r["channel"] for r in batch["results"]] == [channels[1]["id"], channels[0]["id"]]
    assert all(r["success"] is True and r["uri"] for r in batch["results"])
    assert [s["text"] for s in second.statuses] == ["Our own words for @alice2"]
    assert [s["text"] for s in first.statuses] == ["Launch day! https://example.com/launch"]
    again = api.call("GET", f"/api/crossposts/{batch['id']}", token=alice)
    assert again.status_code == 200 and again.json["data"] == batch
    by_delivery = api.call("GET", f"/api/crossposts/{batch['results'][0]['id']}", token=alice)
    assert by_delivery.json["data"]["id"] == batch["id"]
    listed = api.call("GET", "/api/me/crossposts", token=alice).json
    assert {r["post"] for r in listed["data"]} == {None} and listed["next_cursor"] is None


def test_a_standalone_post_is_checked_before_anything_is_stored(
    api, alice, bob, channels, servers, app
):
    channel = channels[0]["id"]
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    cases = [
        ({"targets": [{"channel": channel}]}, "has nothing to post"),
        ({"text": "x" * 501, "targets": [{"channel": channel}]}, "mastodon allows 500"),
        ({"text": "Hi", "targets": [{"channel": channel}, {"channel": channel}]},
         "targets[1] names the same channel as targets[0]"),
        ({"text": "Hi", "targets": [
            {"channel": channel}, {"channel": {"platform": "mastodon", "handle": "alice"}}]},
         "names the same channel"),
        ({"text": "Hi", "targets": []}, "array of 1 to 25"),
        ({"text": "Hi", "targets": [{"channel": channel, "link": "javascript:alert(1)"}]},
         "link must be an http(s) URL"),
        ({"text": "Hi", "targets": [{"channel": channel, "options": "public"}]},
         "options must be an object"),
        ({"text": "Hi", "targets": [{"channel": channel}], "first_comment": 5},
         "`first_comment` must be a string"),
        ({"text": "Hi", "targets": [{"channel": channel}], "publish_now": "maybe"},
         "`publish_now` must be a boolean"),
    ]
    for body, message in cases:
        response = post(api, alice, body)
        assert response.status_code == 400, (body, response.json)
        assert message in response.json["error_msg"], (body, response.json)
    unknown = post(api, alice, {"text": "Hi", "targets": [{"channel": channel}], "media": ["no"]})
    assert unknown.status_code == 404 and "Media `no` not found" in unknown.json["error_msg"]
    conflict = post(api, alice, {"text": "Hi", "targets": [{"channel": channel}],
                                 "publish_now": True, "scheduled_at": later})
    assert conflict.status_code == 400 and conflict.json["error_code"] == "mode_conflict"
    assert post(api, None, {"text": "Hi", "targets": [{"channel": channel}]}).status_code == 401
    assert count(app, Delivery) == 0
    stranger = post(api, bob, {"text": "Hi", "targets": [{"channel": channel}]}).json["data"]
    assert stranger["results"][0]["status"] == "failed"  # bob has no such channel
    assert stranger["results"][0]["success"] is False and not servers[0][0].statuses


def test_a_scheduled_standalone_post_waits_and_can_be_cancelled(api, alice, channels, servers):
    (first, _), _ = servers
    later = iso(datetime.now(UTC) + timedelta(hours=2))
    body = {"text": "Tomorrow", "targets": [{"channel": channels[0]["id"]}],
            "scheduled_at": later, "publish_now": False}
    response = post(api, alice, body)
    assert response.status_code == 202 and response.json["data"]["status"] == "queued"
    assert response.json["data"]["scheduled_at"] == later
    assert response.json["data"]["results"][0]["status"] == "scheduled"
    assert not first.statuses
    batch_id = response.json["data"]["id"]
    assert api.call("DELETE", f"/api/crossposts/{batch_id}", token=alice).status_code == 204
    read = api.call("GET", f"/api/crossposts/{batch_id}", token=alice).json["data"]
    assert read["results"][0]["status"] == "cancelled"


def test_one_crosspost_is_read_and_retried_only_by_its_owner(
    api, alice, bob, channels, servers, app
):
    (first, _), _ = servers
    first.fail_next = 400  # the platform refuses it: failed
    result = post(api, alice, {"text": "Again", "targets": [{"channel": channels[0]["id"]}]})
    delivery = result.json["data"]["results"][0]
    assert delivery["status"] == "failed" and not first.statuses
    assert api.call("GET", f"/api/crossposts/{delivery['id']}", token=bob).status_code == 404
    assert api.call("POST", f"/api/crossposts/{delivery['id']}/retry", token=bob).status_code == 404
    assert api.call("POST", "/api/crossposts/nothing/retry", token=alice).status_code == 404
    retried = api.call("POST", f"/api/crossposts/{delivery['id']}/retry", token=alice)
    assert retried.status_code == 202, retried.json
    assert retried.json["data"]["id"] == delivery["id"]
    assert delivery_row(app, delivery["id"]).status == "published"
    assert [s["text"] for s in first.statuses] == ["Again"]
    twice = api.call("POST", f"/api/crossposts/{delivery['id']}/retry", token=alice)
    assert twice.status_code == 409 and len(first.statuses) == 1


def test_lists_are_filtered_and_paged_with_a_cursor(api, alice, channels, servers):
    for n in range(3):
        post(api, alice, {"text": f"Post {n}", "targets": [{"channel": channels[0]["id"]}]})
    page = api.call("GET", "/api/me/crossposts?limit=2", token=alice).json
    assert len(page["data"]) == 2 and page["next_cursor"]
    rest = api.call(
        "GET", f"/api/me/crossposts?limit=2&cursor={page['next_cursor']}", token=alice
    ).json
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    ids = [r["id"] for r in page["data"] + rest["data"]]
    assert len(set(ids)) == 3
    for query, message in [
        ("status=sent", "`status` must be one of"),
        ("platform=myspace", "`platform` must be one of"),
        ("cursor=not-ours", "`cursor` is not one this server gave"),
        ("limit=0", "`limit` must be 1 to"),
    ]:
        bad = api.call("GET", f"/api/me/crossposts?{query}", token=alice)
        assert bad.status_code == 400 and message in bad.json["error_msg"], query
    published = api.call("GET", "/api/me/crossposts?status=published&platform=mastodon",
                         token=alice).json["data"]
    assert len(published) == 3
    assert api.call("GET", "/api/me/crossposts?status=failed", token=alice).json["data"] == []
    mine = api.call("GET", "/api/me/channels?platform=mastodon", token=alice).json["data"]
    assert len(mine) == 2
    assert api.call("GET", "/api/me/channels?platform=bluesky", token=alice).json["data"] == []
    assert api.call("GET", "/api/me/channels?platform=myspace", token=alice).status_code == 400


def test_idempotency_key_replays_and_refuses_a_different_body(api, alice, channels, servers):
    (first, _), _ = servers
    body = {"text": "Once", "targets": [{"channel": channels[0]["id"]}]}
    headers = {"Idempotency-Key": "launch-001"}
    one, two = post(api, alice, body, headers), post(api, alice, body, headers)
    assert one.json == two.json and two.headers["Idempotent-Replayed"] == "true"
    other = post(api, alice, {**body, "text": "Twice?"}, headers)
    assert other.status_code == 409 and other.json["error_code"] == "idempotency_conflict"
    assert [s["text"] for s in first.statuses] == ["Once"]


def test_first_comment_takes_seed_002s_object_form(api, alice, channels, servers):
    (first, _), _ = servers
    result = post(api, alice, {"text": "Hello", "first_comment": {"text": "More below"},
                               "targets": [{"channel": channels[0]["id"]}]}).json["data"]
    assert result["results"][0]["first_comment"]["status"] == "published"
    assert [s["text"] for s in first.statuses] == ["Hello", "More below"]


def test_media_deleted_under_a_waiting_delivery_fails_it_instead_of_posting_without_it(
    api, alice, channels, servers, app
):
    """Deleting media a waiting delivery uses is refused (409); if the file goes anyway
    (its row removed), the delivery fails naming it, and nothing is posted without it."""
    (first, _), _ = servers
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG")
    upload = api.call("POST", "/api/media", token=alice,
                      data={"file": (io.BytesIO(out.getvalue()), "a.png")},
                      content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    media_id = upload.json["data"]["id"]
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    body = {"text": "With a picture", "media": [media_id], "scheduled_at": later,
            "targets": [{"channel": channels[0]["id"]}]}
    delivery = post(api, alice, body).json["data"]["results"][0]
    refused = api.call("DELETE", f"/api/media/{media_id}", token=alice)
    assert refused.status_code == 409
    with app.app_context():
        db.session.delete(db.session.get(MediaFile, media_id))
        db.session.commit()
    time_passes(app, delivery["id"])
    row = delivery_row(app, delivery["id"])
    assert row.status == "failed" and "deleted" in row.error
    assert not first.statuses
