"""A self-hostable, Write.as-compatible publishing platform."""

import os
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, errorhandling
from .api import api
from .cli import user_cli
from .db import configure_sqlite, db
from .ratelimits import limiter
from .security_headers import add_security_headers
from .views import ViewCounter
from .web import web

PROJECT_ROOT = Path(__file__).resolve().parent.parent
migrate = Migrate()


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
    # No slash redirects: API clients must get the JSON answer at the URL they asked for.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False

    proxies = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    limiter.init_app(app)
    app.extensions["writeas.views"] = ViewCounter(app, app.config["VIEW_FLUSH_SECONDS"])

    app.register_blueprint(api)
    app.register_blueprint(web)
    errorhandling.register(app)
    app.after_request(add_security_headers)
    app.cli.add_command(user_cli)
    return app
