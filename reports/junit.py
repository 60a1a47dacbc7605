"""JUnit XML in the Jenkins xUnit `junit-10.xsd` dialect that GitHub, GitLab and Jenkins viewers load.

One testsuite per task type, one testcase per scenario trial. A task that got no answer (an API
error) is an <error>; a rejected answer is a <failure> carrying the validator's reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from harness.results import RunResults, TaskEntry
from reports.text import clip_plain, share, usd, xml_safe

OUTPUT_BUDGET = 3_000_000
REASON_BUDGET = 1_000_000
MESSAGE_CHARS = 500


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _is_error(task: TaskEntry) -> bool:
    return not task.passed and task.error is not None


def _chain(task: TaskEntry, reason_limit: int) -> str:
    return "\n".join(
        f"step {a.step + 1}{' repair' if a.repair else ''}: requested {a.model_requested}, "
        f"reported {a.model_reported or '-'}: {a.outcome}"
        f"{f' ({a.error_kind})' if a.error_kind else ''}: {clip_plain(a.reason, reason_limit)} "
        f"[{usd(a.cost_usd)}, {a.latency_s:.2f} s]"
        for a in task.attempts
    )


def _testcase(parent: ET.Element, task: TaskEntry, output_limit: int, reason_limit: int) -> None:
    """The chain goes in the failure/error text when there is one, else in system-out."""
    case = ET.SubElement(parent, "testcase", name=xml_safe(f"{task.scenario_id} [trial {task.trial}]"),
                         classname=xml_safe(task.task_type), time=_seconds(task.latency_s))
    chain = _chain(task, reason_limit)
    if _is_error(task):
        message = clip_plain(task.error or "", MESSAGE_CHARS)
        ET.SubElement(case, "error", message=xml_safe(message), type="api").text = xml_safe(chain)
    elif not task.passed:
        message = clip_plain(task.final_reason or "validator rejected the answer", MESSAGE_CHARS)
        ET.SubElement(case, "failure", message=xml_safe(message), type="validator").text = xml_safe(chain)
    head = (f"answered by {task.answered_by or '-'}; cost {usd(task.cost_usd)}; all-premium "
            f"{usd(task.baseline_cost_usd_estimate)} (estimate); fallback {'yes' if task.fallback_used else 'no'}")
    lines = [head, *([chain] if task.passed else []), "--- final output ---", clip_plain(task.output, output_limit)]
    ET.SubElement(case, "system-out").text = xml_safe("\n".join(lines))


def render_junit(results: RunResults) -> str:
    """The JUnit document; counts equal results.json's (tests = tasks_total)."""
    r = results
    by_type: dict[str, list[TaskEntry]] = defaultdict(list)
    for task in r.tasks:
        by_type[task.task_type].append(task)
    output_limit = share(OUTPUT_BUDGET, len(r.tasks), 300, 20_000)
    reason_limit = share(REASON_BUDGET, sum(len(t.attempts) for t in r.tasks), 120, 2_000)
    errors = sum(_is_error(t) for t in r.tasks)
    root = ET.Element("testsuites", name=xml_safe(f"harness {r.suite}"), tests=str(len(r.tasks)),
                      failures=str(sum(not t.passed for t in r.tasks) - errors), errors=str(errors),
                      time=_seconds(sum(t.latency_s for t in r.tasks)))
    for task_type, tasks in by_type.items():
        type_errors = sum(_is_error(t) for t in tasks)
        suite = ET.SubElement(
            root, "testsuite", name=xml_safe(f"{r.suite}.{task_type}"), tests=str(len(tasks)),
            failures=str(sum(not t.passed for t in tasks) - type_errors), errors=str(type_errors), skipped="0",
            time=_seconds(sum(t.latency_s for t in tasks)), timestamp=r.started_at.isoformat(),
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("run_id", r.run_id), ("policy", r.policy), ("policy_chain", " -> ".join(r.policy_chain)),
            ("data", r.data_label), ("offline", str(r.offline).lower()), ("complete", str(r.complete).lower()),
            ("success_rate", f"{r.success_rate:.4f}"),
            ("success_ci95", f"{r.success_ci95[0]:.4f}-{r.success_ci95[1]:.4f}"),
            ("actual_cost_usd", repr(r.actual_cost_usd)),
            ("baseline_cost_usd_estimate", repr(r.baseline_cost_usd_estimate)),
            ("savings_pct_estimate", f"{r.savings_pct:.2f}"), ("fallback_rate", f"{r.fallback_rate:.4f}"),
        ):
            ET.SubElement(properties, "property", name=name, value=xml_safe(value))
        for task in tasks:
            _testcase(suite, task, output_limit, reason_limit)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
