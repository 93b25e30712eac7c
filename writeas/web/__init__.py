"""Server-rendered pages, one blueprint per area of the site, the form helpers, and the
page-caching rules that read the session.

May import: every layer below the edges (core, text, reads, services, crossposting,
federation, http, settings, extensions); never `writeas.api`.
"""

from flask import Blueprint, current_app

from writeas.http import request_body
from writeas.web import (
    account,
    admin,
    blogs,
    crossposting,
    dashboard,
    discovery,
    editor,
    fediverse,
    media_files,
    newsletters,
    password_reset,
    porting,
    reading,
    sessions,
)

compat = Blueprint("compat", __name__)


@compat.post("/auth/login")
def login_compat():
    """WriteFreely's log-in address: API clients post JSON here and get the API's answer;
    browsers post the log-in form here, as WriteFreely's own form does."""
    if request_body.is_json():
        return current_app.view_functions["api.auth.login"]()
    return current_app.view_functions["sessions.login"]()


# The administration's paths (/admin, /invite, /about, …) are fixed ones, registered first.
blueprints = [
    admin.bp, editor.bp, sessions.bp, dashboard.bp, crossposting.bp, fediverse.bp, compat,
    discovery.bp, reading.bp, blogs.bp, media_files.bp, account.bp, porting.bp,
    password_reset.bp, newsletters.bp,
]
