"""JUnit XML: valid against junit-10.xsd, counts equal results.json, reasons carried."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from harness.results import RunResults
from reports import render_junit
from tests.reports.reports_factory import attempt, build_results, sample_tasks, task

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("junit-10.xsd"))))


def _parse(text: str) -> etree._Element:
    root = etree.fromstring(text.encode("utf-8"))
    SCHEMA.assertValid(root)
    return root


def test_validates_and_counts_match_results(results: RunResults) -> None:
    root = _parse(render_junit(results))
    cases = root.findall(".//testcase")
    failures, errors = root.findall(".//testcase/failure"), root.findall(".//testcase/error")
    assert int(root.get("tests")) == len(cases) == results.tasks_total
    assert int(root.get("failures")) == len(failures) == 1
    assert int(root.get("errors")) == len(errors) == 1
    assert len(failures) + len(errors) == results.tasks_total - results.tasks_passed
    suites = root.findall("testsuite")
    assert sum(int(s.get("tests")) for s in suites) == results.tasks_total
    assert all(s.get("skipped") == "0" for s in suites)
    assert {s.get("name") for s in suites} == {f"quick.{g.key}" for g in results.by_task_type}


def test_testcases_carry_names_reasons_time_and_properties(results: RunResults) -> None:
    root = _parse(render_junit(results))
    case = root.find(".//testcase[@name='refactor_callbacks [trial 1]']")
    assert case is not None and case.get("classname") == "refactoring" and case.get("time") == "3.000"
    failure = case.find("failure")
    assert failure.get("message") == "1 type error (incompatible return value)" and failure.get("type") == "validator"
    assert "step 1: requested claude-sonnet-4-6" in failure.text
    error = root.find(".//testcase[@name='explain_regex [trial 1]']/error")
    assert error.get("message") == "API unreachable: connection refused"
    props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties")}
    assert props["offline"] == "true" and props["run_id"] == "run-0042"
    assert props["baseline_cost_usd_estimate"] == repr(results.baseline_cost_usd_estimate)


@pytest.mark.parametrize("output", ["bell \x07 nul \x00 esc \x1b", "<![CDATA[ ]]> & <tag attr=\"x\">"])
def test_hostile_output_still_valid(output: str) -> None:
    hostile = task("weird", "code_generation", 1, [attempt(0, "rejected", f"bad {output}")], output)
    root = _parse(render_junit(build_results([hostile, *sample_tasks()])))
    case = root.find(".//testcase[@name='weird [trial 1]']")
    assert "weird" in case.get("name") and case.find("system-out").text.endswith(output.replace("\x07", "\ufffd")
                                                                                    .replace("\x00", "\ufffd")
                                                                                    .replace("\x1b", "\ufffd"))
