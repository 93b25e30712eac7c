"""/me/export and /me/import: moving writing out and in, as pages (the API has the same
under /api/me). The import form's upload is queued like the API's, and its job page
shows the worker's progress, refreshing itself until the job is done."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.crossposting import queue
from writeas.http.downloads import attachment
from writeas.services import blogs, exports, imports
from writeas.web import visitor

bp = Blueprint("porting", __name__, url_prefix="/me")


@bp.url_value_preprocessor
def _import_sized_body(endpoint, _values):
    """The import form may be far larger than other forms; set before the CSRF check (a
    `before_request` of the app) reads the body."""
    if endpoint == "porting.start_import" and request.method == "POST":
        request.max_content_length = imports.max_request_bytes()


@bp.get("/export")
@login_required
def export_page():
    return render_template("me/export.html", formats=exports.FORMATS)


@bp.get("/export/<chosen>")
@login_required
def download(chosen):
    user = visitor.user()
    chosen = exports.check_format(chosen)
    return attachment(
        exports.chunks(user, chosen), exports.filename(user, chosen), exports.content_type(chosen)
    )


def _import_page(error: str | None = None, status: int = 200):
    user = visitor.user()
    page = render_template(
        "me/import.html", blogs=blogs.of_user(user), jobs=imports.of_user(user), error=error
    )
    return page, status


@bp.get("/import")
@login_required
def import_page():
    return _import_page()


@bp.post("/import")
@login_required
def start_import():
    files = [(f.filename, f.stream) for f in request.files.getlist("file")]
    try:
        job = imports.start(visitor.user(), files, request.form)
    except ServiceError as error:
        db.session.rollback()
        return _import_page(error.message, error.status)
    queue.current().enqueue_import(job.id)
    flash("Import started.")
    return redirect(url_for("porting.import_job", job_id=job.id), 303)


@bp.get("/imports/<job_id>")
@login_required
def import_job(job_id):
    return render_template("me/import_job.html", job=imports.find(job_id, visitor.user()))
