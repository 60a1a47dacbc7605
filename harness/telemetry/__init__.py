"""Telemetry: every run, task and attempt in SQLite, and the analysis that reads them back."""

from harness.telemetry.analysis import Analysis, analyze
from harness.telemetry.records import AttemptRecord, RunRecord, StoredAttempt, TaskRecord
from harness.telemetry.store import RunSummary, TelemetryStore

__all__ = [
    "Analysis",
    "AttemptRecord",
    "RunRecord",
    "RunSummary",
    "StoredAttempt",
    "TaskRecord",
    "TelemetryStore",
    "analyze",
]
