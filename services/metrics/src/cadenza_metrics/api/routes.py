"""Public REST API of metrics: per-cadence step analytics and a summary of every cadence (tenant-scoped)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cadenza_metrics.service import handlers as svc
from cadenza_shared.service import Runtime, Tenant

router = APIRouter()


def _benchmark(runtime: Any) -> float:
    return runtime.extras["settings"].reply_rate_benchmark


@router.get("/v1/cadences/{key}/metrics", tags=["metrics"])
async def cadence_metrics(
    key: str,
    tenant: Tenant,
    runtime: Runtime,
    version: Annotated[int | None, Query(ge=1, description="One version only; all versions summed when absent")] = None,
) -> dict[str, Any]:
    """Counts and rates of a cadence (every version of the key summed, or one version), then of each step."""
    async with runtime.session_factory() as session:
        return await svc.cadence_metrics(session, tenant=tenant, key=key, version=version, benchmark=_benchmark(runtime))


@router.get("/v1/metrics/summary", tags=["metrics"])
async def metrics_summary(tenant: Tenant, runtime: Runtime) -> list[dict[str, Any]]:
    """One line per cadence of the tenant: enrolled, sent, replies, rates, meetings."""
    async with runtime.session_factory() as session:
        return await svc.summary(session, tenant=tenant, benchmark=_benchmark(runtime))
