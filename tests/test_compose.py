"""The container deployment (docker-compose.yml, Dockerfile) agrees with the code it runs.

No Docker engine is needed: the files are parsed, and every `sway ...` command in them is parsed
by the real Typer app, every SWAY_* variable is checked against Settings."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from services.cli.main import app
from shared.config import Settings
from shared.crypto import generate_key

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SWAY_SERVICES = ("migrate", "api", "worker")
# ${NAME}, ${NAME:-default}, ${NAME:?error} and their forms without the colon.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


def _argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _parse_sway(argv: list[str]) -> tuple[Any, dict[str, Any]]:
    """Resolve `sway <group...> <command> <args>` as the CLI would; return the click command and
    the parameters it parsed (unknown commands or options raise). Typer vendors click, so groups
    are recognised by their `commands` rather than by class."""
    assert argv[0] == "sway", argv
    command = typer.main.get_command(app)
    args = argv[1:]
    while hasattr(command, "commands"):
        assert args, f"{argv} stops at a command group"
        name, *args = args
        assert name in command.commands, f"`{name}` is not a sway command ({argv})"
        command = command.commands[name]
    return command, command.make_context(command.name, list(args)).params


def _interpolate(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        if name in variables and (variables[name] or ":" not in op):
            return variables[name]
        if op.endswith("?"):
            raise LookupError(arg or name)
        return arg if op.endswith("-") else ""

    return INTERPOLATION.sub(substitute, value)


def _environment(service: str) -> dict[str, str]:
    environment = SERVICES[service].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def _published(service: str) -> list[tuple[str, int, int]]:
    """(host_ip, host_port, container_port) for each short-syntax port mapping."""
    mappings = []
    for port in SERVICES[service].get("ports", []):
        *host_ip, host_port, container_port = str(port).rsplit(":", 2)
        mappings.append((host_ip[0] if host_ip else "", int(host_port), int(container_port)))
    return mappings


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def _dockerfile_args() -> dict[str, str]:
    args = {}
    for keyword, arguments in _dockerfile():
        if keyword == "ARG" and "=" in arguments:
            name, value = arguments.split("=", 1)
            args[name] = value
    return args


def _expand_args(text: str) -> str:
    args = _dockerfile_args()
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], m[0]), text)


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _makefile_uv_version() -> str:
    match = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert match, "Makefile defines no UV_VERSION"
    return match[1]


class TestComposeServices:
    def test_the_stack_has_postgres_redis_migrate_api_and_worker(self):
        assert {"postgres", "redis", *SWAY_SERVICES} <= set(SERVICES)

    def test_compose_spec_file_has_no_obsolete_version_key(self):
        assert "version" not in COMPOSE

    def test_postgres_is_16_with_a_volume_and_a_readiness_healthcheck(self):
        postgres = SERVICES["postgres"]
        assert postgres["image"] == "postgres:16"
        assert postgres["volumes"], "database files must outlive the container"
        assert "pg_isready" in " ".join(_argv(postgres["healthcheck"]["test"]))

    def test_postgres_creates_the_database_the_app_connects_to(self):
        env = SERVICES["postgres"]["environment"]
        url = Settings(_env_file=None, database_url=_environment("api")["SWAY_DATABASE_URL"])
        assert url.database_url == (
            f"postgresql+asyncpg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{env['POSTGRES_DB']}"
        )

    def test_redis_is_7_persistent_with_a_ping_healthcheck(self):
        redis = SERVICES["redis"]
        assert re.fullmatch(r"redis:7(\.\d+)*(-[\w.]+)?", redis["image"])
        assert _argv(redis["command"])[-2:] == ["--appendonly", "yes"]
        assert redis["volumes"]
        assert _argv(redis["healthcheck"]["test"])[-2:] == ["redis-cli", "ping"]

    @pytest.mark.parametrize("service", ["postgres", "redis"])
    def test_backing_services_publish_ports_on_loopback_only(self, service):
        assert _published(service), f"{service} publishes no port for the test suite"
        assert {host_ip for host_ip, _, _ in _published(service)} == {"127.0.0.1"}

    @pytest.mark.parametrize("service", SWAY_SERVICES)
    def test_sway_services_build_the_repository_image(self, service):
        assert SERVICES[service]["build"] in (".", "./", {"context": "."})

    def test_migrate_waits_for_a_healthy_postgres_and_runs_once(self):
        migrate = SERVICES["migrate"]
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert migrate["restart"] == "no"

    @pytest.mark.parametrize("service", ["api", "worker"])
    def test_api_and_worker_start_after_migrations_succeed_and_redis_is_healthy(self, service):
        depends_on = SERVICES[service]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
        assert depends_on["redis"]["condition"] == "service_healthy"

    @pytest.mark.parametrize("service", ["postgres", "redis", "api"])
    def test_long_running_services_have_a_healthcheck(self, service):
        assert SERVICES[service]["healthcheck"]["test"]

    def test_api_healthcheck_probes_healthz_on_the_served_port_without_curl(self):
        _, params = _parse_sway(_argv(SERVICES["api"]["command"]))
        probe = _argv(SERVICES["api"]["healthcheck"]["test"])
        assert probe[:3] == ["CMD", "python", "-c"]
        assert f"127.0.0.1:{params['port']}/healthz" in probe[3]
        compile(probe[3], "healthcheck", "exec")


class TestComposeCommands:
    @pytest.mark.parametrize("service", SWAY_SERVICES)
    def test_each_sway_command_is_a_real_cli_command(self, service):
        argv = _argv(SERVICES[service]["command"])
        command, _ = _parse_sway(argv)
        assert command.name == argv[1]

    def test_migrate_runs_sway_migrate_to_head(self):
        command, params = _parse_sway(_argv(SERVICES["migrate"]["command"]))
        assert command.name == "migrate"
        assert params["revision"] == "head"

    def test_api_binds_all_interfaces_on_the_published_container_port(self):
        command, params = _parse_sway(_argv(SERVICES["api"]["command"]))
        assert command.name == "api"
        assert {"host", "port"} <= {p.name for p in command.params}
        assert params["host"] == "0.0.0.0"
        assert (8000, params["port"]) in {
            (host, container) for _, host, container in _published("api")
        }

    def test_worker_runs_sway_worker(self):
        command, _ = _parse_sway(_argv(SERVICES["worker"]["command"]))
        assert command.name == "worker"

    def test_first_org_command_from_the_docs_parses(self):
        command, params = _parse_sway(["sway", "org", "create", "Acme", "--json"])
        assert command.name == "create"
        assert params == {"name": "Acme", "currency": "USD", "as_json": True}

    def test_unknown_commands_and_options_are_rejected(self):
        with pytest.raises(AssertionError):
            _parse_sway(["sway", "serve"])
        with pytest.raises(Exception, match="No such option: --bind"):
            _parse_sway(["sway", "api", "--bind", "0.0.0.0"])


class TestComposeEnvironment:
    @pytest.mark.parametrize("service", SWAY_SERVICES)
    def test_sway_services_share_one_environment(self, service):
        assert _environment(service) == _environment("api")
        assert COMPOSE["x-sway-env"] == SERVICES[service]["environment"]

    def test_every_sway_variable_is_a_settings_field(self):
        prefix = Settings.model_config["env_prefix"]
        names = [name for name in _environment("api") if name.startswith(prefix)]
        assert names
        unknown = [n for n in names if n.removeprefix(prefix).lower() not in Settings.model_fields]
        # Settings ignores extra variables, so a typo would silently fall back to a default.
        assert unknown == []

    def test_environment_is_production_with_explicit_servers(self):
        env = _environment("api")
        assert env["SWAY_ENV"] == "prod"
        assert env["SWAY_DATABASE_URL"].startswith("postgresql://")
        assert env["SWAY_REDIS_URL"].startswith("redis://redis:6379/")

    def test_compose_refuses_to_start_without_a_secret_key(self):
        with pytest.raises(LookupError, match="sway secret-key"):
            _interpolate(_environment("api")["SWAY_SECRET_KEY"], {})
        with pytest.raises(LookupError):
            _interpolate(_environment("api")["SWAY_SECRET_KEY"], {"SWAY_SECRET_KEY": ""})

    def test_settings_accept_the_compose_environment_with_a_generated_key(self, monkeypatch):
        secret = generate_key()
        for name in list(Settings.model_fields):
            monkeypatch.delenv(f"SWAY_{name.upper()}", raising=False)
        for name, value in _environment("api").items():
            monkeypatch.setenv(name, _interpolate(value, {"SWAY_SECRET_KEY": secret}))

        settings = Settings(_env_file=None)

        assert settings.env == "prod"
        assert settings.database_url == "postgresql+asyncpg://sway:sway@postgres:5432/sway"
        assert settings.redis_url == "redis://redis:6379/0"
        assert settings.secret_key.get_secret_value() == secret


class TestDockerfile:
    def test_builds_on_python_311_slim(self):
        bases = [
            _expand_args(arguments).split()[0]
            for keyword, arguments in _dockerfile()
            if keyword == "FROM"
        ]
        assert bases
        assert all(base == "python:3.11-slim" for base in bases)

    def test_default_command_serves_the_api_on_the_exposed_port(self):
        final = dict(_final_stage())
        argv = json.loads(final["CMD"])
        if "ENTRYPOINT" in final:
            argv = json.loads(final["ENTRYPOINT"]) + argv
        command, params = _parse_sway(argv)
        assert command.name == "api"
        assert params["host"] == "0.0.0.0"
        assert str(params["port"]) in final["EXPOSE"].split()

    def test_installs_from_the_lockfile_with_the_makefile_uv_version(self):
        runs = [_expand_args(arguments) for keyword, arguments in _dockerfile() if keyword == "RUN"]
        pins = {m for run in runs for m in re.findall(r"\buv==(\S+)", run)}
        assert pins == {_makefile_uv_version()}
        syncs = [run for run in runs if "uv sync" in run]
        assert syncs
        assert all("--frozen" in run and "--no-dev" in run for run in syncs)

    def test_copies_migrations_and_the_code_into_the_image(self):
        sources = {
            source.rstrip("/")
            for keyword, arguments in _dockerfile()
            if keyword == "COPY" and not arguments.startswith("--from")
            for source in arguments.split()[:-1]
            if not source.startswith("--")
        }
        assert {
            "pyproject.toml",
            "uv.lock",
            "alembic.ini",
            "migrations",
            "services",
            "shared",
        } <= sources
        ignored = {
            line.strip().rstrip("/")
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert sources.isdisjoint(ignored)

    def test_sway_is_on_path_for_the_non_root_user(self):
        final = _final_stage()
        env = " ".join(arguments for keyword, arguments in final if keyword == "ENV")
        assert "/app/.venv/bin" in env
        users = [arguments for keyword, arguments in final if keyword == "USER"]
        assert users
        assert users[-1].split(":")[0] not in ("root", "0")

    def test_local_state_stays_out_of_the_build_context(self):
        ignored = set((ROOT / ".dockerignore").read_text().split())
        assert {".venv", ".sway", ".env", ".git"} <= ignored
