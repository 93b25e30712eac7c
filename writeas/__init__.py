"""A self-hostable, Write.as-compatible publishing platform."""

import os
from pathlib import Path

from flask import Flask, abort, current_app, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from writeas import settings as config
from writeas.api import api
from writeas.cli import crosspost_cli, user_cli
from writeas.core.db import configure_sqlite, db
from writeas.core.models import User
from writeas.core.secretbox import SecretBox, load_keys
from writeas.crossposting.platforms import load_all as load_platforms
from writeas.front import HotReads
from writeas.http import errors as errorhandling
from writeas.http.cache_headers import add_api_cache_headers
from writeas.http.ratelimits import limiter
from writeas.http.security_headers import add_security_headers
from writeas.http.urls import is_api
from writeas.reads import content_versions
from writeas.reads.view_counts import ViewCounter
from writeas.services import payload
from writeas.web import blueprints as web_blueprints
from writeas.web import templating, visitor
from writeas.web.cookies import SessionInterface
from writeas.web.pagecache import PageCache
from writeas.web.routing import AliasConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "sessions.login"
login_manager.login_message = "Log in to see that page."


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """A session from before the account's last log-out is no session at all."""
    number = payload.whole_number(user_id)
    found = db.session.get(User, number) if number is not None else None
    return found if found is not None and visitor.current_generation(found) else None


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
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return
    if is_api(request.path):
        return
    if request.path == "/auth/login" and request.is_json:
        return
    csrf.protect()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(config.load(app.instance_path))
    app.config.update(overrides or {})
    app.json.sort_keys = False  # keep the spec's field order
    app.session_interface = SessionInterface()
    # No slash redirects: API clients must get the JSON answer at the URL they asked for.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    app.url_map.converters["alias"] = AliasConverter

    # Inside ProxyFix (below), so it sees the client's address, scheme and prefix.
    app.wsgi_app = HotReads(app, app.wsgi_app)
    proxies = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    db.init_app(app)
    content_versions.track()
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    limiter.init_app(app)
    app.extensions["writeas.views"] = ViewCounter(app, app.config["VIEW_FLUSH_SECONDS"])
    app.extensions["writeas.pages"] = PageCache(app.config["PAGE_CACHE_MB"] * 1024 * 1024)
    app.extensions["writeas.secretbox"] = SecretBox(load_keys(app.instance_path))
    load_platforms()

    login_manager.init_app(app)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    app.before_request(_refuse_nul)
    app.before_request(_check_csrf)

    app.register_blueprint(api)
    for blueprint in web_blueprints:
        app.register_blueprint(blueprint)
    templating.register(app)
    errorhandling.register(app)
    app.register_error_handler(
        CSRFError,
        lambda _e: errorhandling.error_response(
            400, "This form has expired. Go back, reload the page and try again."
        ),
    )
    app.after_request(add_security_headers)
    app.after_request(add_api_cache_headers)
    app.cli.add_command(user_cli)
    app.cli.add_command(crosspost_cli)
    return app
