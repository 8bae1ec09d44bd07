"""`sway`: run the whole stack, manage organizations and keys, migrate, seed."""

import asyncio
import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from services.cli import infra, runner
from shared import migrate as migrations
from shared.config import get_settings
from shared.crypto import generate_key
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.domain.organization import service as organization_service

app = typer.Typer(
    help="Sway: open, self-hostable backend for influencer marketing.", no_args_is_help=True
)
org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(keys_app, name="keys")
console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _validate_settings() -> None:
    """Refuse to start on invalid SWAY_* settings, naming each bad variable."""
    try:
        get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "SWAY_" + "_".join(str(part) for part in error["loc"]).upper()
            console.print(f"[red]invalid setting[/] {name or 'settings'}: {error['msg']}")
        raise typer.Exit(2) from None


@app.command()
def run(
    host: Annotated[str, typer.Option(help="API bind address")] = "",
    port: Annotated[int, typer.Option(help="API port")] = 0,
    worker: Annotated[bool, typer.Option(help="Also start the arq worker")] = True,
) -> None:
    """Start Postgres and Redis (embedded unless configured), migrate, seed on first run,
    then serve the API and the worker until Ctrl-C."""
    settings = get_settings()
    raise typer.Exit(
        runner.run(
            settings,
            host or settings.api_host,
            port or settings.api_port,
            with_worker=worker,
            console=console,
        )
    )


@app.command()
def migrate(revision: str = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    with infra.infrastructure(get_settings(), redis=False) as servers:
        migrations.upgrade(servers.database_url, revision)
    console.print(f"[green]database at {revision}[/]")


async def _in_session(database_url: str, work):
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def _with_database(work):
    with infra.infrastructure(get_settings(), redis=False) as servers:
        migrations.upgrade(servers.database_url)
        return asyncio.run(_in_session(servers.database_url, work))


@org_app.command("create")
def org_create(
    name: str,
    currency: Annotated[str, typer.Option(help="Default ISO 4217 currency")] = "USD",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create an organization and its first admin API key (shown once)."""

    async def work(session):
        organization = await organization_service.create_organization(
            session, name=name, default_currency=currency
        )
        _, secret = await organization_service.create_api_key(
            session, organization.id, name="admin", scopes=["admin"]
        )
        return str(organization.id), secret

    org_id, secret = _with_database(work)
    _print({"org_id": org_id, "api_key": secret}, as_json)


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option("--org", help="Organization id")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, write, admin")] = "read",
    name: Annotated[str, typer.Option(help="A label for the key")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create an API key for an organization (the secret is shown once)."""
    from uuid import UUID

    try:
        org_id = UUID(org)
    except ValueError:
        raise typer.BadParameter(f"{org!r} is not an organization id", param_hint="--org") from None
    chosen = [s.strip() for s in scopes.split(",") if s.strip()]

    async def work(session):
        await organization_service.get_organization(session, org_id)
        key, secret = await organization_service.create_api_key(
            session, org_id, name=name, scopes=chosen
        )
        return str(key.id), secret

    try:
        key_id, secret = _with_database(work)
    except Exception as exc:  # domain errors carry a readable message
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    _print(
        {"org_id": str(org_id), "key_id": key_id, "api_key": secret, "scopes": sorted(chosen)},
        as_json,
    )


@app.command()
def api(host: str = "", port: int = 0, workers: int = 1) -> None:
    """Serve only the API (needs SWAY_DATABASE_URL and SWAY_REDIS_URL)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "services.api.main:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        proxy_headers=True,
    )


@app.command(name="worker")
def worker_command() -> None:
    """Run only the arq worker (needs SWAY_DATABASE_URL and SWAY_REDIS_URL)."""
    from arq import run_worker

    from services.worker.main import WorkerSettings

    run_worker(WorkerSettings)


@app.command("secret-key")
def secret_key() -> None:
    """Print a new random SWAY_SECRET_KEY (encrypts platform credentials at rest)."""
    typer.echo(generate_key())


def _print(payload: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        console.print(f"[bold]{key}[/]: {value}")
