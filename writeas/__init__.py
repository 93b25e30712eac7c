"""A self-hostable, Write.as-compatible publishing platform.

This module is only the wiring: `create_app(settings)` builds the Flask app from one frozen
`Settings` (read from the environment when none is given) and hands each part what it
needs. The layers it wires, and what each may import, are in the README's Design section
and in the import contracts in `pyproject.toml`.
"""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from writeas import activitypub, reads
from writeas import settings as settings_module
from writeas.api import api
from writeas.cli import AppCommands, admin_cli, crosspost_cli, federation_cli, user_cli
from writeas.core import passwords
from writeas.core.db import configure_sqlite
from writeas.core.secretbox import SecretBox, load_keys
from writeas.crossposting import queue
from writeas.extensions import csrf, db, limiter, login_manager
from writeas.federation import keys as federation_keys
from writeas.federation import outbox as federation_outbox
from writeas.front import HotReads
from writeas.http import conditional, errors, request_guards
from writeas.http.cache_headers import add_cache_headers
from writeas.http.security_headers import add_security_headers
from writeas.reads import content_versions
from writeas.services import highlighting, mail, newsletters
from writeas.settings import PROJECT_ROOT, Settings
from writeas.web import assets, templating
from writeas.web import blueprints as web_blueprints
from writeas.web.cookies import SessionInterface
from writeas.web.routing import AliasConverter


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_environment()
    app = Flask(
        __name__,
        instance_path=settings.instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings.flask_config())
    app.cli = AppCommands(app)
    app.extensions[settings_module.EXTENSION] = settings
    passwords.configure(settings.argon2_time_cost, settings.argon2_memory_kib)
    app.json.sort_keys = False  # keep the spec's field order
    app.session_interface = SessionInterface()
    # No slash redirects: API clients must get the JSON answer at the URL they asked for.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    app.url_map.converters["alias"] = AliasConverter

    # Inside ProxyFix (below), so it sees the client's address, scheme and prefix.
    conditional.deploy()  # read the files once, now, not in somebody's first request
    app.wsgi_app = HotReads(app, app.wsgi_app)
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    db.init_app(app)
    content_versions.track()
    federation_keys.track()
    federation_outbox.track()
    highlighting.track()
    mail.track()
    newsletters.track()
    with app.app_context():
        configure_sqlite(db.engine, settings.sqlite_busy_timeout_ms)
    limiter.init_app(app)
    app.extensions[reads.EXTENSION] = reads.Reads(
        app, settings.view_flush_seconds, settings.page_cache_mb * 1024 * 1024
    )
    app.extensions["writeas.secretbox"] = SecretBox(
        load_keys(settings.instance_path, settings.credentials_keys)
    )
    app.extensions[queue.EXTENSION] = queue.Queue(app)
    queue.track(app)

    login_manager.init_app(app)
    csrf.init_app(app)
    request_guards.register(app)
    app.before_request(activitypub.negotiate)

    app.register_blueprint(api)
    app.register_blueprint(activitypub.bp)
    for blueprint in web_blueprints:
        app.register_blueprint(blueprint)
    templating.register(app)
    assets.register(app)
    errors.register(app)
    app.after_request(add_security_headers)
    app.after_request(add_cache_headers)
    app.after_request(activitypub.vary_on_accept)
    # Registered last, so it runs first: the hooks above see the 304 it may make.
    app.after_request(conditional.finish)
    app.cli.add_command(user_cli)
    app.cli.add_command(admin_cli)
    app.cli.add_command(crosspost_cli)
    app.cli.add_command(federation_cli)
    return app
