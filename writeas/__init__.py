"""A self-hostable, Write.as-compatible publishing platform.

This module is only the wiring: `create_app(settings)` builds the Flask app from one frozen
`Settings` (read from the environment when none is given) and hands each part what it
needs. The layers it wires, and what each may import, are in the README's Design section
and in the import contracts in `pyproject.toml`.
"""

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from writeas import reads
from writeas import settings as settings_module
from writeas.api import api
from writeas.cli import crosspost_cli, user_cli
from writeas.core.db import configure_sqlite
from writeas.core.secretbox import SecretBox, load_keys
from writeas.crossposting import queue
from writeas.crossposting.platforms import load_all as load_platforms
from writeas.extensions import csrf, db, limiter, login_manager, migrate
from writeas.front import HotReads
from writeas.http import errors
from writeas.http.cache_headers import add_api_cache_headers
from writeas.http.security_headers import add_security_headers
from writeas.http.urls import is_api
from writeas.reads import content_versions
from writeas.settings import PROJECT_ROOT, Settings
from writeas.web import blueprints as web_blueprints
from writeas.web import templating
from writeas.web.cookies import SessionInterface
from writeas.web.routing import AliasConverter


def _refuse_nul() -> None:
    """No route takes a NUL in its path or query, and PostgreSQL can't even compare with
    one: such a request is refused before anything looks it up."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400)


def _check_csrf() -> None:
    """Every form POST carries a CSRF token. The API is exempt: it authenticates by header
    only (never the session cookie), so a cross-site form can't act through it; the same
    holds for the JSON-only /auth/login."""
    if request.method not in current_app.config["WTF_CSRF_METHODS"] or is_api(request.path):
        return
    if request.path == "/auth/login" and request.is_json:
        return
    csrf.protect()


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_environment()
    app = Flask(
        __name__,
        instance_path=settings.instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings.flask_config())
    app.extensions[settings_module.EXTENSION] = settings
    app.json.sort_keys = False  # keep the spec's field order
    app.session_interface = SessionInterface()
    # No slash redirects: API clients must get the JSON answer at the URL they asked for.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    app.url_map.converters["alias"] = AliasConverter

    # Inside ProxyFix (below), so it sees the client's address, scheme and prefix.
    app.wsgi_app = HotReads(app, app.wsgi_app)
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    db.init_app(app)
    content_versions.track()
    with app.app_context():
        configure_sqlite(db.engine, settings.sqlite_busy_timeout_ms)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    limiter.init_app(app)
    app.extensions[reads.EXTENSION] = reads.Reads(
        app, settings.view_flush_seconds, settings.page_cache_mb * 1024 * 1024
    )
    app.extensions["writeas.secretbox"] = SecretBox(
        load_keys(settings.instance_path, settings.credentials_keys)
    )
    app.extensions[queue.EXTENSION] = queue.Queue(app)
    load_platforms()

    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(_refuse_nul)
    app.before_request(_check_csrf)

    app.register_blueprint(api)
    for blueprint in web_blueprints:
        app.register_blueprint(blueprint)
    templating.register(app)
    errors.register(app)
    app.register_error_handler(
        CSRFError,
        lambda _e: errors.error_response(
            400, "This form has expired. Go back, reload the page and try again."
        ),
    )
    app.after_request(add_security_headers)
    app.after_request(add_api_cache_headers)
    app.cli.add_command(user_cli)
    app.cli.add_command(crosspost_cli)
    return app
