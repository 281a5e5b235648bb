"""lms: learning progress for PPG bagi Guru Tertentu (Sertifikasi Pendidik)."""

from __future__ import annotations

import gc

# Importing the app builds some 200 000 objects that live as long as the process (modules, classes, tables,
# schemas); the cyclic collector would walk them again every few hundred allocations: about 0.3 s of CPU, an eighth
# of an ``lms`` command's start-up. It is paused for the imports below; at the end of this module they are frozen
# out of later collections (``gc.freeze``) and it resumes. ``lms.cli`` does the same around building its app.
_COLLECTING = gc.isenabled()
gc.disable()

import os
from collections.abc import Mapping
from functools import wraps
from pathlib import Path

from flask import Flask
from flask.globals import request_ctx
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import api, models  # noqa: F401 - models: every table registered before migrations look
from lms.access import api as access_api  # noqa: F401 - each domain's api module attaches its routes to the API
from lms.access.views import bp as access_bp
from lms.admin import api as admin_api  # noqa: F401
from lms.admin import regional_api  # noqa: F401
from lms.admin.regional_views import bp as regional_bp
from lms.admin.risk import render_at_risk
from lms.admin.tools_views import bp as admin_tools_bp
from lms.admin.views import bp as admin_bp
from lms.auth import api as auth_api  # noqa: F401
from lms.auth import bearer  # noqa: F401 - authenticates every API call
from lms.auth.cli import tokens_cli, users_cli
from lms.auth.devidp.server import create_server as create_dev_idp_server
from lms.auth.devidp.views import bp as devidp_bp
from lms.auth.login import load_user, session_identifier
from lms.auth.oidc import register_client
from lms.auth.roles_views import bp as roles_bp
from lms.auth.views import bp as auth_bp
from lms.celery_init import celery_init_app
from lms.cohorts import current as current_enrollment
from lms.cohorts import me as me_api  # noqa: F401
from lms.cohorts.cli import reminders_cli, roster_cli, windows_cli
from lms.cohorts.reminders import render_reminder
from lms.config import load_config
from lms.core import boundary as request_boundary
from lms.core import csrf as form_token
from lms.core import i18n, observability
from lms.core import input as request_input
from lms.core import time as clock
from lms.core.db import render_migration_item
from lms.core.errors import register_error_handlers, register_outage_handlers
from lms.core.flaskapp import App
from lms.core.formatting import register_filters
from lms.core.security import register_security_headers
from lms.core.templating import LocaleEnvironment, install_url_cache
from lms.core.transfer import init_transfer
from lms.core.views import bp as core_bp
from lms.dashboard.landing import home_for, participant_zone
from lms.dashboard.views import bp as dashboard_bp
from lms.demo.cli import demo_command
from lms.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from lms.helpdesk import api as helpdesk_api  # noqa: F401
from lms.helpdesk.views import bp as helpdesk_bp
from lms.journal.views import bp as journal_bp
from lms.learning.services import install_progress
from lms.modules import api as modules_api  # noqa: F401
from lms.modules.cli import curriculum_cli
from lms.modules.gate import journal_gate
from lms.modules.offline import bp as offline_bp
from lms.modules.progress import compute_progress
from lms.modules.views import bp as learning_bp
from lms.notifications.metrics import outbox_gauges
from lms.notifications.services import register_renderer
from lms.posttest.views import bp as posttest_bp
from lms.progress import hooks as progress_hooks
from lms.progress.cli import progress_cli
from lms.records import api as records_api  # noqa: F401
from lms.records import hooks as records_hooks
from lms.records import settings as records_settings
from lms.records.cli import credentials_cli, xapi_cli
from lms.records.views import bp as records_bp
from lms.records.views import install_template_helpers
from lms.selection import api as selection_api  # noqa: F401
from lms.selection import me_api as selection_me_api  # noqa: F401
from lms.selection.announcement_views import bp as announcement_bp
from lms.selection.cli import selection_cli
from lms.selection.mine import bp as my_selection_bp
from lms.selection.mine import install_template_helpers as install_selection_helpers
from lms.selection.views import bp as selection_bp
from lms.ukppg import api as ukppg_api  # noqa: F401
from lms.ukppg.cli import ukppg_cli
from lms.ukppg.views import admin_bp as ukppg_admin_bp
from lms.ukppg.views import bp as ukppg_bp

gc.freeze()
if _COLLECTING:
    gc.enable()

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(overrides: Mapping | None = None, *, env: Mapping[str, str] | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> celery."""
    environ = os.environ if env is None else env
    # LMS_INSTANCE_PATH moves the instance folder (SQLite file, keys, embedded broker) elsewhere.
    app = App(__name__, instance_path=environ.get("LMS_INSTANCE_PATH") or None, instance_relative_config=True)
    app.jinja_environment = LocaleEnvironment  # before anything creates app.jinja_env
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path), environ))
    app.config.update(records_settings.load(Path(app.instance_path), environ))
    if overrides:
        app.config.update(overrides)

    if app.config["CLOCK_FILE"]:
        clock.use_clock_file(app.config["CLOCK_FILE"])
    if app.config["PROXY_FIX"]:
        # Behind a load balancer: the client address (rate limits, logs) and scheme come from X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    _init_extensions(app)
    _register_blueprints(app)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(curriculum_cli)
    for group in (roster_cli, windows_cli, reminders_cli, ukppg_cli, selection_cli, xapi_cli, credentials_cli,
                  progress_cli):
        app.cli.add_command(group)
    _wire_domains(app)
    install_url_cache(app)
    celery_init_app(app)
    return app


def _wire_domains(app: Flask) -> None:
    """What a lower package looks up from a higher one, set here so that imports point one way."""
    register_renderer(app, "reminder", render_reminder)
    register_renderer(app, "at_risk", render_at_risk)
    install_progress(app, compute_progress, journal_gate)
    progress_hooks.install(app)
    observability.register_scrape_gauges(app, outbox_gauges)
    records_hooks.install(app)
    install_template_helpers(app)
    install_selection_helpers(app)
    app.extensions["lms_home_for"] = home_for
    app.extensions["lms_login_zone"] = participant_zone
    current_enrollment.install(app)


def _limit_only_decorated_views(app: Flask) -> None:
    """Every limit of this app is a decorator on its view (login, Cek NIK), which checks it when the view is called;
    the extension's app-wide ``before_request`` check exists for default and blueprint limits, which the app does
    not use. Dropping it spares every other request that work (the hot read paths included)."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        return  # pragma: no cover - such limits need the app-wide check
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
    # Its after-request (headers of the view's limit) and teardown (reset of the request's limit state) have work
    # only on a request that a limit decorator checked, which is what creates that state on the request context.
    for funcs in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
        funcs[:] = [_only_if_limited(hook) if _is_limiter_hook(hook) else hook for hook in funcs]


def _is_limiter_hook(hook) -> bool:
    return getattr(hook, "__self__", None) is limiter or getattr(hook, "args", ()) == (limiter,)


def _only_if_limited(hook):
    @wraps(hook)
    def guarded(value):
        if hasattr(request_ctx, "_limiter_request_context"):
            return hook(value)
        return value

    return guarded


def _drop_remember_cookie_hook(app: Flask) -> None:
    """The app never sets Flask-Login's "remember me" cookie (``login_user`` without ``remember``; logout clears the
    whole session), so the extension's after-request hook, which looks for one to set or clear on every response,
    never has work."""
    hooks = app.after_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != login_manager._update_remember_cookie]


def _init_extensions(app: Flask) -> None:
    request_input.init_app(app)  # first: the bounded id converter must be in place before any route is added
    observability.init_app(app)
    request_boundary.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     render_item=render_migration_item)
    csrf.init_app(app)
    form_token.init_app(app)  # after CSRFProtect: the templates' csrf_token() with a reused serializer
    mail.init_app(app)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    _limit_only_decorated_views(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.register_template_globals(app)
    register_filters(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager._session_identifier_generator = session_identifier  # the same identifier, fewer calls
    _drop_remember_cookie_hook(app)
    register_client(app)
    register_error_handlers(app)
    register_outage_handlers(app)
    register_security_headers(app)
    # Compression and content-hashed static URLs (lms/core/transfer.py).
    init_transfer(app)


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(posttest_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(admin_tools_bp)
    app.register_blueprint(regional_bp)
    app.register_blueprint(roles_bp)
    app.register_blueprint(ukppg_bp)
    app.register_blueprint(ukppg_admin_bp)
    app.register_blueprint(access_bp)
    app.register_blueprint(helpdesk_bp)
    app.register_blueprint(selection_bp)
    app.register_blueprint(my_selection_bp)
    app.register_blueprint(announcement_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(records_bp)
    api.register(app)
    if app.config["DEV_IDP"]:
        app.extensions["lms_dev_idp_server"] = create_dev_idp_server(app)
        app.register_blueprint(devidp_bp)
