"""A real PostgreSQL (the embedded server of `make run`) with the scheduling schema, for service tests."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cadenza_runtime.postgres import EmbeddedPostgres
from cadenza_runtime.stack import migrations_dir
from cadenza_shared.db.migrations import upgrade
from cadenza_shared.db.session import make_engine, make_session_factory


@pytest.fixture(scope="session")
def scheduling_database_url(tmp_path_factory):
    server = EmbeddedPostgres(data_dir=tmp_path_factory.mktemp("scheduling-pg") / "data")
    url = server.start()
    try:
        upgrade(migrations_dir("scheduling"), url)
        yield url
    finally:
        server.stop(quiet=True)


@pytest.fixture(scope="session")
async def scheduling_engine(scheduling_database_url):
    engine = make_engine(scheduling_database_url, pool_size=8)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessions(scheduling_engine):
    """A session factory on an empty scheduling schema."""
    async with scheduling_engine.begin() as conn:
        await conn.execute(
            text("TRUNCATE scheduling.timers, scheduling.plans, scheduling.cadences, scheduling.outbox, scheduling.tenant_blackout_dates")
        )
    return make_session_factory(scheduling_engine)
