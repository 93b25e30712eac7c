"""Using the site the way a browser does: GET a page, take its CSRF token, POST the form;
and reading what the pages show."""

import re
from urllib.parse import urlsplit

PASSWORD = "correct horse"  # what `Api.signup` signs everyone up with
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(client, page="/") -> str:
    """The CSRF token of this client's session, read from a page with a form."""
    response = client.get(page)
    match = CSRF_INPUT.search(text(response))
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def submit(client, path, data=None, page="/"):
    """POST a form the way a browser would, with the session's CSRF token from `page`."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def log_in(client, alias, password=PASSWORD, next_path=None):
    """The log-in form's answer, whatever it is."""
    data = {"alias": alias, "pass": password}
    if next_path is not None:
        data["next"] = next_path
    return submit(client, "/login", data, page="/login")


def login(client, alias, password=PASSWORD):
    """Log in through the form, which must succeed; the client is then signed in."""
    response = log_in(client, alias, password)
    assert response.status_code == 303, text(response)[:500]
    return client


def location(response) -> str:
    """The redirect target's path (and query), whether or not the header is absolute."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def publish_form(client, **fields) -> str:
    """Publish through the editor form; the new post's id."""
    response = submit(client, "/", fields)
    assert response.status_code == 303, text(response)[:500]
    return location(response).lstrip("/")


def pinned_nav(page: str) -> list[str]:
    """The slugs linked from the blog header's pinned navigation, in order."""
    match = re.search(r'<nav class="pinned"[^>]*>(.*?)</nav>', page, re.S)
    return re.findall(r'href="/[^/"]+/([^"]+)"', match.group(1)) if match else []


def stream_slugs(page: str, alias="alice") -> list[str]:
    """Slugs of the posts listed in a blog page's stream (its <article> entries), in order."""
    return re.findall(rf'<h2[^>]*><a[^>]* href="/{alias}/([^"]+)">', page)
