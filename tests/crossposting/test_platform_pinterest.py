"""The Pinterest adapter against a local server speaking Pinterest API v5 over a real socket."""

import base64
import io
from datetime import UTC, datetime, timedelta

import platform_servers.pinterest
import pytest
from PIL import Image
from platform_servers import closed_port_url
from platform_servers.pinterest import AUTH_FAILED, RATE_LIMITED, SPAM, State

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
from writeas.crossposting.platforms.pinterest import (
    LOOKUP_PAGE_SIZE,
    LOOKUP_PAGES,
    PROCESSING_RETRY_SECONDS,
    Pinterest,
    pin_url,
)

SERVER = platform_servers.pinterest  # the `state` and `server` fixtures serve it
BOARD = "549755885175"
SECTION = "5027630990032166937"
CLIP = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def image(width=600, height=900, alt="") -> Media:
    return Media(png(width, height), "image/png", alt_text=alt, width=width, height=height)


def video() -> Media:
    return Media(
        b"",
        "video/mp4",
        filename="clip.mp4",
        kind=VIDEO,
        size=len(CLIP),
        width=1080,
        height=1920,
        duration=12.0,
        opener=lambda: io.BytesIO(CLIP),
    )


def credentials(state: State) -> dict:
    return {
        "access_token": next(iter(state.access_tokens)),
        "refresh_token": next(iter(state.refresh_tokens)),
        "client_id": state.client_id,
        "client_secret": state.client_secret,
    }


@pytest.fixture
def account(state):
    return Account("alicegardens", state.user["id"], credentials(state))


def content(saved: list | None = None, **fields) -> Content:
    defaults = {
        "text": "Keep the best pods and dry them well. https://blog.example/alice/seeds",
        "title": "Seed saving",
        "canonical_url": "https://blog.example/alice/seeds",
        "board_id": BOARD,
        "media": [image(alt="Bean pods drying on a rack")],
    }
    saver = saved.append if saved is not None else None
    return Content(**{**defaults, **fields}, saver=saver)


def requests_to(state: State, path: str, method: str = "POST") -> list[dict]:
    return [r for r in state.requests if r["path"] == path and r["method"] == method]


def test_registered_with_pinterests_limits():
    platform = registry()["pinterest"]
    assert isinstance(platform, Pinterest)
    assert platform.default_base_url == "https://api.pinterest.com"
    assert platform.needs_board and not platform.first_comments
    limits = platform.media_limits
    assert (limits.max_images, limits.max_alt_text) == (5, 500)
    assert limits.mime_types == {"image/jpeg", "image/png"}
    assert platform.video_limits.max_bytes == 2 * 1024**3
    assert platform.credential_fields == (
        "access_token",
        "refresh_token",
        "client_id",
        "client_secret",
    )


def test_verify_names_the_account(http, server, state):
    found = Pinterest().verify(http, server, "@AliceGardens", credentials(state))
    assert (found.handle, found.account_id) == ("alicegardens", state.user["id"])
    assert found.credentials == credentials(state)
    assert found.details == {"account_type": "BUSINESS"}
    sent = requests_to(state, "/v5/user_account", "GET")[0]
    assert sent["headers"]["Authorization"] == "Bearer pina_0"


def test_verify_refreshes_an_expired_token(http, server, state):
    old = credentials(state)
    state.expire_token = True
    found = Pinterest().verify(http, server, "", old)
    assert found.credentials["access_token"] == "pina_1"
    assert found.credentials["refresh_token"] == "pinr_1"


def test_verify_refuses_a_bad_token_and_someone_elses_handle(http, server, state):
    with pytest.raises(PlatformError) as refused:
        Pinterest().verify(http, server, "", {"access_token": "wrong"})
    assert (refused.value.message, refused.value.status) == (AUTH_FAILED, 400)
    with pytest.raises(PlatformError) as refused:
        Pinterest().verify(http, server, "bob", credentials(state))
    assert refused.value.status == 400 and "alicegardens" in refused.value.message


def test_verify_reports_an_unreachable_api_as_502(http):
    with pytest.raises(PlatformError) as refused:
        Pinterest().verify(http, closed_port_url(), "", {"access_token": "t"})
    assert refused.value.status == 502


def test_boards_follow_the_bookmark_to_the_last_page(http, server, state, account):
    state.boards += [
        {"id": str(10**11 + n), "name": f"Board {n}", "privacy": "PUBLIC", "description": ""}
        for n in range(228)
    ]
    boards = Pinterest().boards(http, server, account)
    assert len(boards) == 230
    assert boards[:2] == [
        {
            "id": BOARD,
            "name": "Seed saving",
            "privacy": "PUBLIC",
            "description": "Keeping the best pods",
        },
        {"id": "549755885176", "name": "Drafts", "privacy": "SECRET", "description": ""},
    ]
    listed = requests_to(state, "/v5/boards", "GET")
    assert len(listed) == 3
    assert [r["path"] for r in listed] == ["/v5/boards"] * 3


def test_boards_leave_refreshed_tokens_on_the_account(http, server, state, account):
    state.expire_token = True
    assert len(Pinterest().boards(http, server, account)) == 2
    assert account.credentials["access_token"] == "pina_1"


def test_an_image_pin(http, server, state, account):
    outcome = Pinterest().publish(http, server, account, content(link="https://shop.example/x"))
    assert outcome.kind == PUBLISHED, outcome.error
    [pin] = state.pins
    assert (outcome.post_id, outcome.url) == (pin["id"], pin_url(pin["id"]))
    assert pin["board_id"] == BOARD and pin["board_section_id"] is None
    assert pin["title"] == "Seed saving"
    assert pin["description"].startswith("Keep the best pods")
    assert pin["link"] == "https://shop.example/x"
    assert pin["alt_text"] == "Bean pods drying on a rack"
    source = pin["media_source"]
    assert source["source_type"] == "image_base64"
    assert source["content_type"] == "image/png"
    assert base64.b64decode(source["data"]) == png(600, 900)
    assert outcome.credentials is None


def test_the_link_defaults_to_the_post_and_a_section_is_kept(http, server, state, account):
    post = content(options=Pinterest().check_options({"board_section_id": SECTION}))
    assert Pinterest().publish(http, server, account, post).kind == PUBLISHED
    [pin] = state.pins
    assert pin["link"] == "https://blog.example/alice/seeds"
    assert pin["board_section_id"] == SECTION


def test_a_long_title_is_cut_to_pinterests_100(http, server, state, account):
    title = "A very long title about saving seeds " * 5
    assert Pinterest().publish(http, server, account, content(title=title)).kind == PUBLISHED
    stored = state.pins[0]["title"]
    assert len(stored) <= 100 and stored.endswith("…")


def test_a_carousel_of_one_aspect_ratio(http, server, state, account):
    images = [image(600, 900, "Pods"), image(400, 600), image(1000, 1500, "Jars")]
    outcome = Pinterest().publish(http, server, account, content(media=images))
    assert outcome.kind == PUBLISHED, outcome.error
    source = state.pins[0]["media_source"]
    assert source["source_type"] == "multiple_image_base64"
    assert source["index"] == 0
    items = source["items"]
    assert [base64.b64decode(i["data"]) for i in items] == [m.data for m in images]
    assert {i["title"] for i in items} == {"Seed saving"}
    assert {i["link"] for i in items} == {"https://blog.example/alice/seeds"}
    assert items[0]["description"] == "Pods"
    assert items[1]["description"].startswith("Keep the best pods")
    assert state.pins[0]["alt_text"] == "Pods"


def test_a_carousel_of_mixed_aspect_ratios_is_refused():
    refusal = Pinterest().refuse([image(600, 900), image(800, 600)], {})
    assert "one aspect ratio" in refusal and "800×600" in refusal
    assert Pinterest().refuse([image(600, 900), image(400, 600)], {}) is None
    assert Pinterest().refuse([], {}) == "A Pinterest pin needs an image or a video."


def test_over_limit_input_is_refused_in_pinterests_words(http, server, state, account):
    outcome = Pinterest().publish(http, server, account, content(text="word " * 200))
    assert outcome.kind == PERMANENT
    assert outcome.error == "'description' value is too long (maximum length is 800)"
    assert not state.pins


def test_a_board_that_is_gone_or_not_a_board_id(http, server, state, account):
    gone = Pinterest().publish(http, server, account, content(board_id="999"))
    assert (gone.kind, gone.error) == (PERMANENT, "Board not found.")
    wrong = Pinterest().publish(http, server, account, content(board_id="seeds"))
    assert wrong.kind == PERMANENT and "'seeds'" in wrong.error
    assert len(requests_to(state, "/v5/pins")) == 1


def test_rate_limit_waits_for_pinterests_reset(http, server, state, account):
    state.rate_limited = True
    state.rate_limit_reset_seconds = 42
    outcome = Pinterest().publish(http, server, account, content())
    assert (outcome.kind, outcome.error, outcome.retry_after) == (RETRY, RATE_LIMITED, 42)
    assert not state.pins


def test_a_spam_block_is_not_a_rate_limit(http, server, state, account):
    state.spam_blocked = True
    outcome = Pinterest().publish(http, server, account, content())
    assert (outcome.kind, outcome.error) == (PERMANENT, SPAM)


def test_an_expired_token_is_refreshed_and_the_new_tokens_returned(http, server, state, account):
    state.expire_token = True
    outcome = Pinterest().publish(http, server, account, content())
    assert outcome.kind == PUBLISHED, outcome.error
    assert len(state.pins) == 1
    assert outcome.credentials == {
        **account.credentials,
        "access_token": "pina_1",
        "refresh_token": "pinr_1",
    }
    refresh = requests_to(state, "/v5/oauth/token")[0]
    basic = base64.b64encode(f"{state.client_id}:pin-secret".encode()).decode()
    assert refresh["headers"]["Authorization"] == f"Basic {basic}"
    assert refresh["form"] == {"grant_type": "refresh_token", "refresh_token": "pinr_0"}


def test_a_refused_refresh_needs_reconnecting(http, server, state, account):
    state.expire_token = state.revoke_refresh = True
    outcome = Pinterest().publish(http, server, account, content())
    assert (outcome.kind, outcome.error) == (AUTH, "Invalid refresh token.")
    assert not state.pins


def test_a_video_pin_is_polled_over_several_attempts(http, server, state, account):
    state.processing_polls = 2
    saved: list[dict] = []
    first = Pinterest().publish(http, server, account, content(saved, media=[video()]))
    assert (first.kind, first.processing) == (RETRY, True)
    assert first.retry_after == PROCESSING_RETRY_SECONDS
    media_id = saved[-1]["media_id"]
    [upload] = state.uploads
    assert upload["data"] == CLIP
    assert upload["fields"]["key"].endswith(media_id)
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(upload["fields"])
    s3 = [r for r in state.requests if r["path"] == "/s3-upload"][0]
    assert "Authorization" not in s3["headers"]

    again = Pinterest().publish(
        http, server, account, content(saved, media=[video()], state=dict(saved[-1]))
    )
    assert (again.kind, again.processing) == (RETRY, True)
    assert not state.pins

    done = Pinterest().publish(
        http, server, account, content(saved, media=[video()], state=dict(saved[-1]))
    )
    assert done.kind == PUBLISHED, done.error
    [pin] = state.pins
    assert pin["media_source"] == {
        "source_type": "video_id",
        "media_id": media_id,
        "cover_image_key_frame_time": 0,
    }
    assert len(requests_to(state, "/v5/media")) == 1  # registered once, polled thrice
    assert len(state.uploads) == 1


def test_a_video_with_a_cover_image(http, server, state, account):
    options = Pinterest().check_options({"cover_image_url": "https://blog.example/cover.jpg"})
    outcome = Pinterest().publish(http, server, account, content(media=[video()], options=options))
    assert outcome.kind == PUBLISHED, outcome.error
    assert state.pins[0]["media_source"]["cover_image_url"] == "https://blog.example/cover.jpg"


def test_a_video_pinterest_could_not_process(http, server, state, account):
    state.fail_processing = True
    outcome = Pinterest().publish(http, server, account, content(media=[video()]))
    assert outcome.kind == PERMANENT and "could not process" in outcome.error
    assert not state.pins


def test_an_upload_s3_refuses_is_reported_in_its_words(http, server, state, account):
    state.s3_max_bytes = 1000
    outcome = Pinterest().publish(http, server, account, content(media=[video()]))
    assert outcome.kind == PERMANENT
    assert outcome.error == "Your proposed upload exceeds the maximum allowed size"
    assert not state.uploads and not state.pins


def test_a_video_goes_alone():
    for media in ([video(), image()], [image(), video()], [video(), video()]):
        assert Pinterest().refuse(media, {}) == "A Pinterest video pin carries one video only."
    assert Pinterest().refuse([video()], {}) is None


def test_a_lost_answer_before_the_pin_is_safe_to_retry(http, account):
    outcome = Pinterest().publish(http, closed_port_url(), account, content(media=[video()]))
    assert outcome.kind == RETRY


def test_a_timeout_at_creation_then_a_new_attempt_finds_the_pin(fast_http, http, server, state):
    account = Account("alicegardens", state.user["id"], credentials(state))
    saved: list[dict] = []
    state.slow_pin_seconds = 3
    lost = Pinterest().publish(fast_http, server, account, content(saved))
    assert lost.kind == UNKNOWN
    assert len(state.pins) == 1 and saved[-1]["pin_sent_at"]
    assert not Pinterest().resend_safe(account, saved[-1])
    state.slow_pin_seconds = 0

    later = content(saved, state=dict(saved[-1]))
    found = Pinterest().landed(http, server, account, later)
    assert (found.kind, found.post_id) == (PUBLISHED, state.pins[0]["id"])
    again = Pinterest().publish(http, server, account, later)
    assert (again.kind, again.post_id) == (PUBLISHED, state.pins[0]["id"])
    assert len(state.pins) == 1
    assert len(requests_to(state, "/v5/pins")) == 1


def test_the_lookup_refreshes_and_hands_the_tokens_back(http, server, state, account):
    assert Pinterest().publish(http, server, account, content()).kind == PUBLISHED
    state.expire_token = True
    later = content(state={"pin_sent_at": datetime.now(UTC).isoformat()})
    found = Pinterest().landed(http, server, account, later)
    assert (found.kind, found.post_id) == (PUBLISHED, state.pins[0]["id"])
    assert found.credentials["access_token"] == account.credentials["access_token"] == "pina_1"


def _earlier_pin(state: State, **fields) -> None:
    state.pins.append(
        {
            "id": "1",
            "board_id": BOARD,
            "created_at": (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            "title": "Seed saving",
            "description": content().text,
            "link": "https://blog.example/alice/seeds",
            **fields,
        }
    )


def test_the_lookup_is_precise_and_proves_a_pin_never_landed(http, server, state, account):
    _earlier_pin(state)  # the same pin, made by hand yesterday
    _earlier_pin(state, created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), title="Jars")
    sent = {"pin_sent_at": datetime.now(UTC).isoformat()}
    later = content(state=dict(sent))
    assert Pinterest().landed(http, server, account, later) == NOT_LANDED
    outcome = Pinterest().publish(http, server, account, later)
    assert outcome.kind == PUBLISHED
    assert len(state.pins) == 3


def test_a_board_too_big_to_read_leaves_it_unknown(http, server, state, account):
    for n in range(LOOKUP_PAGE_SIZE * LOOKUP_PAGES + 1):
        _earlier_pin(state, id=str(n), title=f"Other {n}")
    later = content(state={"pin_sent_at": datetime.now(UTC).isoformat()})
    assert Pinterest().landed(http, server, account, later) is None
    outcome = Pinterest().publish(http, server, account, later)
    assert outcome.kind == UNKNOWN
    assert not requests_to(state, "/v5/pins")


def test_a_server_error_at_creation_is_unknown_and_a_refusal_is_not(http, server, state, account):
    saved: list[dict] = []
    state.fail_next_pin = 503
    assert Pinterest().publish(http, server, account, content(saved)).kind == UNKNOWN
    assert saved[-1]["pin_sent_at"]
    refused = Pinterest().publish(http, server, account, content(saved, board_id="999"))
    assert refused.kind == PERMANENT
    assert saved[-1]["pin_sent_at"] is None
    assert Pinterest().landed(http, server, account, content(state=saved[-1])) == NOT_LANDED


def test_options_are_checked():
    pinterest = Pinterest()
    assert pinterest.check_options({"board_section_id": SECTION}) == {"board_section_id": SECTION}
    assert pinterest.check_options({"cover_image_key_frame_time": 3})
    for bad in (
        {"board_section_id": 12},
        {"board_section_id": "section"},
        {"cover_image_url": "http://blog.example/c.jpg"},
        {"cover_image_key_frame_time": -1},
        {"cover_image_key_frame_time": True},
        {"cover_image_url": "https://blog.example/c.jpg", "cover_image_key_frame_time": 1},
        {"privacy_level": "PUBLIC"},
    ):
        with pytest.raises(OptionError):
            pinterest.check_options(bad)
