"""The Markdown summary for a CI job summary or a PR comment: short, and safe to paste.

Untrusted text is flattened to one line and Markdown-escaped, so it cannot inject HTML, links or
table breaks; lists are capped so the summary stays well under GitHub's comment size limit.
"""

from __future__ import annotations

from harness.results import RunResults, TaskEntry
from reports.text import md_inline, pct, usd

LIST_LIMIT = 20
REASON_CHARS = 200


def _path(task: TaskEntry) -> str:
    """The models that answered in order, repeats (retries, repairs) collapsed."""
    models: list[str] = []
    for attempt in task.attempts:
        model = attempt.model_reported or attempt.model_requested
        if not models or models[-1] != model:
            models.append(model)
    return " → ".join(models)


def _label(task: TaskEntry) -> str:
    return f"{md_inline(task.scenario_id, 120)} (trial {task.trial})"


def _capped(lines: list[str], total: int) -> list[str]:
    return lines + ([f"- … and {total - len(lines)} more (see the HTML report)"] if total > len(lines) else [])


def render_markdown(results: RunResults) -> str:
    """Headline figures, then failures and escalations, each list capped at LIST_LIMIT."""
    r = results
    source = f"⚠️ **Offline:** {md_inline(r.data_label, 200)}" if r.offline else f"Live: {md_inline(r.data_label, 200)}"
    lines = [
        f"## Harness: {md_inline(r.suite, 80)} suite, run {md_inline(r.run_id, 80)}",
        "",
        source,
        "",
    ]
    if not r.complete:
        lines += [f"❌ **Run did not complete:** {md_inline(r.stop_reason or 'no reason recorded', REASON_CHARS)}", ""]
    lines += [
        "| | |",
        "|---|---|",
        f"| Success rate | **{pct(r.success_rate)}** (95% interval {pct(r.success_ci95[0])} – "
        f"{pct(r.success_ci95[1])}; {r.tasks_passed}/{r.tasks_total} tasks) |",
        f"| Actual cost | **{usd(r.actual_cost_usd)}** |",
        f"| All-premium cost (estimate) | {usd(r.baseline_cost_usd_estimate)} "
        f"(every task on {md_inline(r.baseline_model, 60)}; estimate) |",
        f"| Savings (estimate) | {usd(r.savings_usd_estimate)} ({r.savings_pct:.1f}%) |",
        f"| Fallback rate | {pct(r.fallback_rate)} |",
        f"| Policy | {md_inline(' → '.join(r.policy_chain), 200)} |",
    ]
    if r.measured_baseline is not None:
        m = r.measured_baseline
        lines.append(f"| All-premium cost (measured, shadow run) | {usd(m.cost_usd)} on {md_inline(m.model, 60)} vs "
                     f"{usd(m.cascade_cost_usd_same_tasks)} through the cascade, same {m.tasks} tasks |")
    lines.append("")
    failures = [t for t in r.tasks if not t.passed]
    lines.append(f"### Failures ({len(failures)})")
    if failures:
        shown = [f"- {_label(t)}: {md_inline(t.error or t.final_reason or 'no reason recorded', REASON_CHARS)}"
                 for t in failures[:LIST_LIMIT]]
        lines += _capped(shown, len(failures))
    else:
        lines.append("None.")
    escalated = [t for t in r.tasks if t.fallback_used]
    lines += ["", f"### Escalations ({len(escalated)})"]
    if escalated:
        shown = [f"- {_label(t)}: {md_inline(_path(t), 200)}: "
                 f"{md_inline('; '.join(t.escalation_reasons) or 'no reason recorded', REASON_CHARS)}"
                 for t in escalated[:LIST_LIMIT]]
        lines += _capped(shown, len(escalated))
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"
