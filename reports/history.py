"""One past run as the trend charts need it: supplied by the caller (telemetry), never read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HistoryPoint:
    """Headline figures of one earlier run, as its results.json reported them."""

    run_id: str
    started_at: datetime
    success_rate: float
    actual_cost_usd: float
    baseline_cost_usd_estimate: float
