"""Server-rendered pages, one blueprint per area of the site, the form helpers, and the
page-caching rules that read the session.

May import: every layer below the edges (core, text, reads, services, crossposting,
federation, http, settings, extensions); never `writeas.api`.
"""

from flask import Blueprint, current_app

from writeas.http import request_body
from writeas.web import (
    account,
    blogs,
    crossposting,
    dashboard,
    discovery,
    editor,
    fediverse,
    media_files,
    porting,
    reading,
    sessions,
)
from writeas.web import newsletters as mail_newsletters
from writeas.web import password_reset as mail_password_reset

compat = Blueprint("compat", __name__)


@compat.post("/auth/login")
def login_compat():
    """WriteFreely's log-in address: API clients post JSON here and get the API's answer;
    browsers post the log-in form here, as WriteFreely's own form does."""
    if request_body.is_json():
        return current_app.view_functions["api.auth.login"]()
    return current_app.view_functions["sessions.login"]()


blueprints = [
    editor.bp, sessions.bp, dashboard.bp, crossposting.bp, fediverse.bp, compat, discovery.bp,
    reading.bp, blogs.bp, media_files.bp, account.bp, porting.bp,
]
# Mail: the forgotten-password pages, email subscriptions to blogs.
blueprints += [mail_password_reset.bp, mail_newsletters.bp]
