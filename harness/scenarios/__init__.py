"""Scenario suites as data: YAML task definitions, their fixtures, and bundled sample responses."""

from harness.scenarios.samples import (
    KnownBad,
    SampleAnswer,
    SampleSet,
    approximate_usage,
    cassettes_for,
    load_samples,
    samples_path,
    suite_cassettes,
)
from harness.scenarios.scenario import Scenario, ScenarioError, TaskType, load_scenario, load_suite

__all__ = [
    "KnownBad",
    "SampleAnswer",
    "SampleSet",
    "Scenario",
    "ScenarioError",
    "TaskType",
    "approximate_usage",
    "cassettes_for",
    "load_samples",
    "load_scenario",
    "load_suite",
    "samples_path",
    "suite_cassettes",
]
