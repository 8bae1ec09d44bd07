"""`sway`: run the whole stack, manage organizations and keys, migrate, seed, import creators."""

import asyncio
import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from services.cli import creators, infra, runner
from shared import migrate as migrations
from shared.config import get_settings
from shared.crypto import generate_key
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.domain.account import secrets as account_secrets
from shared.domain.organization import service as organization_service

app = typer.Typer(
    help="Sway: open, self-hostable backend for influencer marketing.", no_args_is_help=True
)
org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
secrets_app = typer.Typer(help="Platform credentials stored encrypted.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(keys_app, name="keys")
app.add_typer(secrets_app, name="secrets")
app.add_typer(creators.app, name="creators")
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
def api(
    host: str = "",
    port: int = 0,
    workers: Annotated[int, typer.Option(min=1, help="API processes on the one port")] = 1,
) -> None:
    """Serve only the API (needs SWAY_DATABASE_URL and SWAY_REDIS_URL). With --workers N,
    N processes share the port and /metrics sums all of them."""
    import uvicorn

    from services.api import metrics

    settings = get_settings()
    with metrics.shared_across(workers):
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
    """Print a new random SWAY_SECRET_KEY (encrypts platform credentials at rest).

    SWAY_SECRET_KEY takes several keys, newest first: the first encrypts, all decrypt. To rotate:
    1. set SWAY_SECRET_KEY=<new>,<old> and restart the API and the worker;
    2. run `sway secrets reencrypt`;
    3. set SWAY_SECRET_KEY=<new> and restart again."""
    typer.echo(generate_key())


@secrets_app.command("reencrypt")
def secrets_reencrypt(
    chunk_size: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 500,
) -> None:
    """Re-encrypt every stored platform credential with the first SWAY_SECRET_KEY key.

    One transaction per chunk: safe to interrupt and to run again.
    Exits 1 if some credentials decrypt under no key; those are listed and left untouched."""
    # An operator command across all organizations: it rewrites every tenant's credentials.
    settings = get_settings()
    with infra.infrastructure(settings, redis=False) as servers:
        migrations.upgrade(servers.database_url)
        total = asyncio.run(
            _reencrypt(servers.database_url, settings.secret_key.get_secret_value(), chunk_size)
        )
    typer.echo(
        f"re-encrypted {total.rotated} credentials; "
        f"{len(total.undecryptable)} could not be decrypted with any key"
    )
    for row in total.undecryptable:
        typer.echo(f"  account {row.account_id} (org {row.org_id})")
    if total.changed:
        typer.echo(f"{total.changed} changed while running and were left as written")
    if total.undecryptable:
        raise typer.Exit(1)


async def _reencrypt(database_url: str, key: str, chunk_size: int) -> account_secrets.Chunk:
    """Walk the credentials by id, one transaction per chunk, under a progress bar."""
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    total = account_secrets.Chunk()
    try:
        async with unit_of_work(sessionmaker) as session:
            count = await account_secrets.count_credentials(session)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("re-encrypting", total=count)
            while True:
                async with unit_of_work(sessionmaker) as session:
                    chunk = await account_secrets.reencrypt_chunk(
                        session, key, after=total.last_id, limit=chunk_size
                    )
                total.add(chunk)
                progress.advance(task, chunk.seen)
                if chunk.seen < chunk_size:
                    return total
    finally:
        await engine.dispose()


def _print(payload: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        console.print(f"[bold]{key}[/]: {value}")
