"""What every adapter does when the network or the platform fails it, checked once for
each platform whose API has the same failure modes: a 5xx is retried with the platform's
message, a refused connection is retried, and — where the platform has no idempotency
handle — a timeout after sending is UNKNOWN (the post may exist) and a repeat posts twice,
which is why the delivery engine never resends blindly to these platforms."""

import pytest
from platform_servers import closed_port_url, linkedin, medium, running, tumblr

from writeas.crossposting.platforms.base import RETRY, UNKNOWN
from writeas.crossposting.platforms.linkedin import LinkedIn
from writeas.crossposting.platforms.medium import Medium
from writeas.crossposting.platforms.tumblr import Tumblr

# (adapter, its test server, content to publish, the message of the server's 503)
PLATFORMS = {
    "medium": (Medium, medium, medium.article, "Something went wrong."),
    "tumblr": (Tumblr, tumblr, tumblr.article, "Something went wrong."),
    "linkedin": (LinkedIn, linkedin, linkedin.note, "Internal Server Error"),
}
WITHOUT_IDEMPOTENCY = ["medium", "tumblr"]


@pytest.fixture
def platform(request):
    adapter, server, content, message = PLATFORMS[request.param]
    state = server.State()
    with running(server.create(state)) as base_url:
        yield adapter(), server.account(), content(), message, state, base_url


@pytest.mark.parametrize("platform", list(PLATFORMS), indirect=True)
def test_server_error_is_retry(platform, http):
    adapter, account, content, message, state, base_url = platform
    state.fail_next = 503
    outcome = adapter.publish(http, base_url, account, content)
    assert (outcome.kind, outcome.error) == (RETRY, message)


@pytest.mark.parametrize("platform", list(PLATFORMS), indirect=True)
def test_connection_refused_is_retry(platform, http):
    adapter, account, content, *_ = platform
    outcome = adapter.publish(http, closed_port_url(), account, content)
    assert outcome.kind == RETRY


@pytest.mark.parametrize("platform", WITHOUT_IDEMPOTENCY, indirect=True)
def test_timeout_after_send_is_unknown_but_stored(platform, fast_http):
    adapter, account, content, _message, state, base_url = platform
    state.slow_seconds = 3
    outcome = adapter.publish(fast_http, base_url, account, content)
    assert outcome.kind == UNKNOWN
    assert len(state.posts) == 1


@pytest.mark.parametrize("platform", WITHOUT_IDEMPOTENCY, indirect=True)
def test_no_idempotency_so_a_repeat_posts_twice(platform, http):
    adapter, account, content, _message, state, base_url = platform
    first = adapter.publish(http, base_url, account, content)
    second = adapter.publish(http, base_url, account, content)
    assert first.post_id != second.post_id
    assert len(state.posts) == 2
