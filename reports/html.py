"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no fetches).

Autoescaping is on because outputs and reasons are untrusted model text; a Content-Security-Policy
that forbids scripts and network loads backs it up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from harness.results import GroupSummary, RunResults, TaskEntry
from reports.charts import BarChart, BarSpec, LineChart, SeriesSpec, bar_chart, line_chart
from reports.history import HistoryPoint
from reports.text import TRUNCATED_NOTE, clip_html, pct, share, usd

HISTORY_LIMIT = 50
OUTPUT_BUDGET = 4_000_000
REASON_BUDGET = 1_500_000


@dataclass(frozen=True)
class ScenarioView:
    scenario_id: str
    summary: GroupSummary | None
    tasks: list[TaskEntry]
    has_failure: bool


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd"] = usd
    env.filters["pct"] = pct
    return env


def _tier(model: str, chain: Sequence[str]) -> str:
    """CSS kind of a model: the cheap first step, the premium last step, or a middle/unknown one."""
    for index, step_model in enumerate(chain):
        if model == step_model or model.startswith(step_model):
            return "cheap" if index == 0 else "premium" if index == len(chain) - 1 else "mid"
    return "other"


def _distribution_chart(results: RunResults) -> BarChart:
    total = sum(results.model_distribution.values())
    rows = [BarSpec(model, count, f"{count} ({pct(count / total) if total else '0%'})",
                    _tier(model, results.policy_chain))
            for model, count in sorted(results.model_distribution.items(), key=lambda kv: -kv[1])]
    return bar_chart("Model that answered", [rows], _chain_legend(results))


def _chain_legend(results: RunResults) -> list[tuple[str, str]]:
    chain = results.policy_chain
    return [(_tier(m, chain), f"step {i + 1}: {m}") for i, m in enumerate(chain)]


def _cost_chart(results: RunResults) -> BarChart:
    spent: dict[str, float] = defaultdict(float)
    for task in results.tasks:
        for attempt in task.attempts:
            spent[attempt.model_reported or attempt.model_requested] += attempt.cost_usd
    per_model = [BarSpec(model, cost, usd(cost), _tier(model, results.policy_chain))
                 for model, cost in sorted(spent.items(), key=lambda kv: -kv[1])]
    totals = [
        BarSpec("actual, total", results.actual_cost_usd, usd(results.actual_cost_usd), "actual"),
        BarSpec("all-premium (estimate)", results.baseline_cost_usd_estimate,
                f"{usd(results.baseline_cost_usd_estimate)} estimate", "baseline"),
    ]
    legend = [*_chain_legend(results), ("actual", "actual cost"),
              ("baseline", f"estimate: every task's tokens re-priced at {results.baseline_model} prices")]
    return bar_chart("Cost per model vs the all-premium estimate", [per_model, totals], legend)


def _task_type_chart(results: RunResults) -> BarChart:
    groups = [[BarSpec(g.key, g.success_rate, f"{pct(g.success_rate)} success ({g.passed}/{g.tasks})", "success"),
               BarSpec("", g.fallback_rate, f"{pct(g.fallback_rate)} escalated", "escalation")]
              for g in results.by_task_type]
    legend = [("success", "success rate"), ("escalation", "escalation (fallback) rate")]
    return bar_chart("Success and escalation per task type", groups, legend, scale=1.0)


def _trend(results: RunResults, history: Sequence[HistoryPoint]) -> list[LineChart]:
    points = list(history)[-HISTORY_LIMIT:]
    if points and all(p.run_id != results.run_id for p in points):
        points = [*points[1 - HISTORY_LIMIT:], HistoryPoint(
            results.run_id, results.started_at, results.success_rate,
            results.actual_cost_usd, results.baseline_cost_usd_estimate)]
    if not points:
        return []
    runs = [f"{p.run_id} ({p.started_at:%Y-%m-%d})" for p in points]
    success = line_chart("Success rate per run", runs, [SeriesSpec(
        "success", "success rate", [p.success_rate for p in points], [pct(p.success_rate) for p in points])],
        1.0, "100%")
    top = max(max(p.actual_cost_usd, p.baseline_cost_usd_estimate) for p in points)
    cost = line_chart("Cost per run", runs, [
        SeriesSpec("actual", "actual cost", [p.actual_cost_usd for p in points],
                   [usd(p.actual_cost_usd) for p in points]),
        SeriesSpec("baseline", "all-premium estimate", [p.baseline_cost_usd_estimate for p in points],
                   [usd(p.baseline_cost_usd_estimate) for p in points]),
    ], top, usd(top))
    return [success, cost]


def _scenarios(results: RunResults) -> list[ScenarioView]:
    by_id: dict[str, list[TaskEntry]] = defaultdict(list)
    for task in results.tasks:
        by_id[task.scenario_id].append(task)
    summaries = {s.key: s for s in results.by_scenario}
    order = [s.key for s in results.by_scenario if s.key in by_id]
    order += [key for key in by_id if key not in summaries]
    return [ScenarioView(key, summaries.get(key), by_id[key], any(not t.passed for t in by_id[key]))
            for key in order]


def render_html(results: RunResults, history: Sequence[HistoryPoint] = ()) -> str:
    """The full HTML report; size is bounded by sharing fixed byte budgets among tasks."""
    attempts = sum(len(t.attempts) for t in results.tasks)
    output_limit = share(OUTPUT_BUDGET, len(results.tasks), 300, 20_000)
    reason_limit = share(REASON_BUDGET, attempts + len(results.tasks), 120, 4_000)

    def clip_output(text: str) -> Markup:
        return clip_html(text, output_limit)

    def clip_reason(text: str) -> Markup:
        return clip_html(text, reason_limit)

    template = _environment().get_template("report.html.j2")
    return template.render(
        r=results,
        charts=[_distribution_chart(results), _cost_chart(results), _task_type_chart(results)],
        trends=_trend(results, history),
        scenarios=_scenarios(results),
        clip_output=clip_output,
        clip_reason=clip_reason,
        truncated_note=TRUNCATED_NOTE,
    )
