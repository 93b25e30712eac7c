"""Caching rules for answers shaped by who is asking, so that a shared cache or CDN in
front of the site never hands one reader's answer to another, and for how long an answer
that is the same for everyone may be reused.

- API answers vary on `Authorization` and `X-Collection-Password` (the API never reads the
  session cookie); with either header present the answer is `private, no-store`. Anonymous
  API reads are `no-cache`: a cache may keep them, but asks (cheaply, with the ETag) before
  each reuse, so an edit is seen on the very next read.
- Pages vary on `Cookie`; a page made for a session that holds anything (a log-in, an
  unlock, a post's modify token, a message, a form's CSRF token) is `private, no-store`.
  That rule sits where the session is saved (`web.cookies`), since only then is it known,
  and it overrides the `public, max-age=PAGE_MAX_AGE` every other page read gets here.
"""

from flask import request

from writeas import settings
from writeas.http.urls import is_api

PRIVATE = "private, no-store"
REVALIDATE = "no-cache"
API_VARY = ("Authorization", "X-Collection-Password")
API_VARY_HEADER = ", ".join(API_VARY)


def shared_page_policy(max_age: int) -> str:
    return f"public, max-age={max_age}" if max_age > 0 else REVALIDATE


def add_cache_headers(response):
    api = is_api(request.path)
    if api:
        response.vary.update(API_VARY)
        if any(request.headers.get(name) for name in API_VARY):
            response.headers["Cache-Control"] = PRIVATE
    reusable = request.method in ("GET", "HEAD") and response.status_code in (200, 304)
    if reusable and "Cache-Control" not in response.headers:
        policy = REVALIDATE if api else shared_page_policy(settings.current().page_max_age)
        response.headers["Cache-Control"] = policy
    return response
