"""The campaign platform: petitions and letters to officials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from campaign import accounts, compression, config, database, dispatch, i18n, logs, proxies, security
from campaign.extensions import csrf, db, migrate
from campaign.taskqueue import celery_init_app

# CPython 3.11 counts the depth of AST conversions per interpreter, not per thread: Werkzeug
# compiles each URL rule through the ast module, and a conversion in another thread at the same
# moment makes this one fail with "AST constructor recursion depth mismatch" (cpython#106905;
# seen once in ~1,000 app creations of the test suite). Nothing was wrong: making the app again works.
_AST_MISMATCH = "AST constructor recursion depth mismatch"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask application; test_config overrides the environment."""
    for _ in range(2):
        try:
            return _build_app(test_config)
        except SystemError as error:
            if _AST_MISMATCH not in str(error):
                raise
    return _build_app(test_config)


def _build_app(test_config: Mapping[str, Any] | None) -> Flask:
    """The Flask application, its extensions and blueprints, built once."""
    settings = {**config.DEFAULTS, **config.from_environment()}
    settings.update(test_config or {})
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(settings)
    logs.init_app(app)
    database.prepare_instance(app)

    db.init_app(app)
    database.tune_engine(app)
    database.bound_route_ids(app)
    migrate.init_app(app, db, directory=str(database.MIGRATIONS))
    csrf.init_app(app)
    # The reader's language (Flask-Babel): before anything renders a page or writes a message.
    i18n.init_app(app)
    celery_init_app(app)
    dispatch.init_app(app)
    # Public answers compressed once (campaign/compression.py): registered first, it runs after
    # security's own hook has decided what is public.
    compression.init_app(app)
    security.init_app(app)
    accounts.init_app(app)
    # X-Forwarded-For read for exactly TRUSTED_PROXY_HOPS proxies, never more (campaign/proxies.py).
    proxies.init_app(app)

    _register_blueprints(app)
    from campaign import cli, errors, templating

    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """Attach one blueprint per domain."""
    from campaign.accounts.routes import bp as accounts_bp
    from campaign.api.pages import bp as api_tokens_bp
    from campaign.api.routes import bp as api_bp
    from campaign.builder.routes import bp as builder_bp
    from campaign.campaigns.routes import bp as campaigns_bp
    from campaign.counts.routes import bp as counts_bp
    from campaign.dev.routes import bp as dev_bp
    from campaign.exports.routes import bp as exports_bp
    from campaign.health import bp as health_bp
    from campaign.ledger.routes import bp as ledger_bp
    from campaign.moderation.routes import bp as moderation_bp
    from campaign.partners.routes import bp as partners_bp
    from campaign.signing.routes import bp as signing_bp
    from campaign.signing.stop_pages import bp as stop_email_bp
    from campaign.targets.routes import bp as targets_bp
    from campaign.updates.routes import bp as updates_bp
    from campaign.webhooks.routes import bp as webhooks_bp

    app.register_blueprint(campaigns_bp)
    app.register_blueprint(signing_bp)
    app.register_blueprint(stop_email_bp)
    app.register_blueprint(counts_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(dev_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(targets_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(builder_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(updates_bp)
    app.register_blueprint(webhooks_bp)
