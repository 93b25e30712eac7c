"""/api/me: the authenticated user and what they own."""

from functools import wraps

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import require_user
from writeas.api.openapi import operation, query
from writeas.core.db import db
from writeas.crossposting import queue
from writeas.http.downloads import attachment
from writeas.http.envelope import ok
from writeas.services import blogs, exports, imports, posts
from writeas.services.visibility import Reader

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("")
@operation(id="me", summary="The authenticated user.", tag="Users", answer=shapes.User, auth=True)
def me():
    return ok(shapes.user_json(require_user()))


@bp.get("/posts")
@operation(
    id="myPosts", summary="The user's posts, newest first.", tag="Users",
    answer=list[shapes.Post], auth=True,
    parameters=(query("anonymous", {"type": "string"}, "1, true or yes: only posts in no blog."),),
)
def my_posts():
    user = require_user()
    anonymous_only = request.args.get("anonymous", "").lower() in {"1", "true", "yes"}
    return ok(
        [
            shapes.post_json(p, views=posts.views(p))
            for p in posts.owned_by(user, anonymous_only=anonymous_only)
        ]
    )


@bp.get("/collections")
@operation(
    id="myCollections", summary="The user's blogs.", tag="Users",
    answer=list[shapes.Collection], auth=True,
)
def my_collections():
    user = require_user()
    reader = Reader(user=user)
    return ok(
        [
            shapes.collection_json(c, total_posts=blogs.total_posts(c, reader), owner=True)
            for c in blogs.of_user(user)
        ]
    )


# --- Export and import ------------------------------------------------------------------


def _import_sized_body(view):
    """Imports may be larger than other request bodies (the form parser keeps large files
    on disk); set before anything reads the body."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = imports.max_request_bytes()
        return view(*args, **kwargs)

    return wrapper


@bp.get("/export")
@operation(
    id="exportMine", summary="Everything the user wrote, as one file to download.",
    tag="Users", answer=shapes.EXPORT_FORMATS, auth=True,
    parameters=(
        query("format", {"enum": list(exports.FORMATS)}, "json (the default), csv or zip."),
    ),
)
def export_mine():
    user = require_user()
    chosen = exports.check_format(request.args.get("format"))
    return attachment(
        exports.chunks(user, chosen), exports.filename(user, chosen), exports.content_type(chosen)
    )


@bp.post("/import")
@_import_sized_body
@operation(
    id="importMine",
    summary="Import posts from files; the worker does it, and the job shows how it went.",
    tag="Users", answer=shapes.ImportJob, status=202, body=shapes.IMPORT_UPLOAD,
    body_as="upload", upload_types="application/json, application/zip, text/markdown, "
    "text/plain, application/octet-stream", errors=(403, 404), auth=True,
)
def import_mine():
    user = require_user()
    files = [(f.filename, f.stream) for f in request.files.getlist("file")]
    job = imports.start(user, files, request.form)
    queue.current().enqueue_import(job.id)
    db.session.refresh(job)
    return ok(shapes.import_job_json(job), 202)


@bp.get("/imports")
@operation(
    id="myImports", summary="The user's latest imports, newest first (without results).",
    tag="Users", answer=list[shapes.ImportJob], auth=True,
)
def my_imports():
    user = require_user()
    return ok([shapes.import_job_json(job, results=False) for job in imports.of_user(user)])


@bp.get("/imports/<job_id>")
@operation(
    id="myImport", summary="An import's progress, and what became of each file and post.",
    tag="Users", answer=shapes.ImportJob, errors=(404,), auth=True,
)
def my_import(job_id):
    return ok(shapes.import_job_json(imports.find(job_id, require_user())))
