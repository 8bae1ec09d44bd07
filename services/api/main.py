"""Assembles the app: routers, error handlers, middleware, offline docs. No logic here."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

from services.api import errors, openapi
from services.api.bare_route import BarePaths, bare_routes
from services.api.body import BodyGuardMiddleware, body_limits
from services.api.lifespan import lifespan
from services.api.middleware import IdempotencyMiddleware, MetricsMiddleware
from services.api.routers import ROUTERS
from shared.config import Settings, get_settings
from shared.logging import configure_logging


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPI(
        title="Sway",
        version="0.1.0",
        summary="Open, self-hostable backend for influencer marketing",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Sway reports through Prometheus and its logs, not OpenTelemetry. Left on, FastAPI's
        # native telemetry asks OpenTelemetry for its global providers on every request (to
        # find none configured): a few percent of the hot read's CPU.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(IdempotencyMiddleware, ttl_s=settings.idempotency_ttl_s)
    # The hot unauthenticated paths are answered here, before idempotency and the router, which
    # they do not need; the middleware added below wraps them as it wraps every route.
    app.add_middleware(BarePaths, routes=bare_routes(app.routes))
    # Added after (so runs before) the above: bodies are vetted before anything reads them.
    app.add_middleware(BodyGuardMiddleware, **body_limits(settings))
    # Outside idempotency (which talks to Redis first), inside metrics (which counts the 503).
    app.add_middleware(errors.OutageMiddleware)
    app.add_middleware(MetricsMiddleware)
    openapi.install(app)
    _offline_docs(app)
    return app


def _offline_docs(app: FastAPI) -> None:
    # Swagger UI assets ship in a Python package, so /docs works on a machine with no internet.
    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/static/swagger-ui", StaticFiles(directory=assets), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="Sway API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon.png",
        )
