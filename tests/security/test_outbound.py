"""Outgoing requests can't be pointed at loopback, private or link-local addresses."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from writeas.core.outbound import RefusedTarget, check_base_url, client, is_public


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *_args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_public_addresses(address, public):
    assert is_public(address) is public


def test_loopback_is_refused_by_default(local_server):
    port = local_server.rsplit(":", 1)[1]
    with client(allow_private=False) as http:
        for url in (local_server, f"http://localhost:{port}/"):
            with pytest.raises(RefusedTarget):
                http.get(url)


def test_loopback_allowed_when_configured(local_server):
    with client(allow_private=True) as http:
        assert http.get(local_server).text == "hello"


def test_every_call_has_a_timeout():
    with client(allow_private=True) as http:
        assert http.timeout.read is not None and http.timeout.connect is not None
        assert isinstance(http.timeout, httpx.Timeout)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://mastodon.social/", True),
        ("https://host.example/sub/", True),
        ("http://mastodon.social", False),
        ("ftp://x.example", False),
        ("https://u:p@x.example", False),
        ("https:///nohost", False),
        ("javascript:alert(1)", False),
    ],
)
def test_base_urls(url, ok):
    if ok:
        assert check_base_url(url, allow_private=False).startswith("https://")
    else:
        with pytest.raises(ValueError):
            check_base_url(url, allow_private=False)
