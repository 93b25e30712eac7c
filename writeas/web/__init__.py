"""Server-rendered pages."""

from flask import Blueprint, abort, current_app, render_template

from .. import posts
from ..api import request_body
from ..visibility import ANONYMOUS

web = Blueprint("web", __name__)


@web.get("/")
def index():
    return render_template("index.html")


@web.get("/<post_id>")
def post_page(post_id):
    post = posts.readable(post_id, ANONYMOUS)
    posts.record_view(post, ANONYMOUS)
    return render_template("post.html", post=post)


@web.post("/auth/login")
def login_json():
    """WriteFreely answers API log-ins here too; clients that rely on it get the same JSON."""
    if not request_body.is_json():
        abort(415)
    return current_app.view_functions["api.auth.login"]()
