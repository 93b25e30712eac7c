"""Local HTTP servers that speak the platforms' documented APIs, one module per platform.

Each module builds a Flask app from a `State` object (what the server has stored, and
switches the tests flip: rate limiting, expired tokens, slow answers) and the tests run it
on a real loopback socket with `running(app)`.
"""

import socket
import threading
from contextlib import contextmanager

from flask import Response, request
from werkzeug.serving import make_server

from writeas.crossposting.platforms.base import Content


@contextmanager
def running(app):
    """Serve `app` on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def drop_connection() -> Response:
    """The connection goes down before any answer: the client sees none (werkzeug treats
    the failed write of this response as a dropped connection)."""
    request.environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
    return Response("")


def closed_port_url() -> str:
    """A loopback address where nothing listens: a connection there is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sample_article(**overrides) -> Content:
    """The long-form post the article platforms' tests send (Medium, Tumblr)."""
    fields = {
        "text": "",
        "title": "Seed saving",
        "markdown": "Keep the best pods.\n\nDry them **well**.",
        "canonical_url": "https://write.example/alice/seed-saving",
        "tags": ["gardening", "seeds"],
        "idempotency_key": "k1",
    }
    return Content(**{**fields, **overrides})


def recorded() -> dict:
    """What a test server keeps of the request it is answering, for the tests to inspect
    (the body is read once and kept, so the form and JSON are parsed from it)."""
    return {
        "method": request.method,
        "path": request.path,
        "headers": dict(request.headers),
        "body": request.get_data(),
        "form": request.form.to_dict(),
        "json": request.get_json(silent=True),
    }
