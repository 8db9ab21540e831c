"""Async engine and session factory (one session per message or request)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(url: str, *, pool_size: int = 5, application_name: str = "cadenza") -> AsyncEngine:
    """An asyncpg engine with pre-ping so a database restart costs one retry, not a crash."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (handlers read them after the transaction)."""
    return async_sessionmaker(engine, expire_on_commit=False)
