"""Caching rules for answers shaped by who is asking, so that a shared cache or CDN in
front of the site never hands one reader's answer to another.

- API answers vary on `Authorization` and `X-Collection-Password` (the API never reads the
  session cookie); with either header present the answer is `private, no-store`.
- Pages vary on `Cookie`; a page made for a session that holds anything (a log-in, an
  unlock, a post's modify token, a message, a form's CSRF token) is `private, no-store`.
  That rule sits where the session is saved (`web.cookies`), since only then is it known.
"""

from flask import request

from writeas.http.urls import is_api

PRIVATE = "private, no-store"
API_VARY = ("Authorization", "X-Collection-Password")
API_VARY_HEADER = ", ".join(API_VARY)


def add_api_cache_headers(response):
    if is_api(request.path):
        response.vary.update(API_VARY)
        if any(request.headers.get(name) for name in API_VARY):
            response.headers["Cache-Control"] = PRIVATE
    return response
