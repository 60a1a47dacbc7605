"""`harness scenarios list|check`: for people writing scenarios, to see a suite and try an answer offline."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
from pathlib import Path
from typing import Any

from harness.config import load_config
from harness.errors import UserError
from harness.scenarios.scenario import FULL_TAG, QUICK_TAG, Scenario, load_suite
from validators import Verdict


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("scenarios", help="list scenarios; check an answer against a scenario")
    commands = parser.add_subparsers(dest="scenarios_command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser("list", help="id, title, task type, tags and validators of a suite")
    listing.add_argument("--suite", default=FULL_TAG, help=f"{QUICK_TAG}, {FULL_TAG} (default) or any tag")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--root", type=Path, help="scenario folder (default: [tool.harness] scenarios_dir)")
    listing.set_defaults(handler=_list)

    check = commands.add_parser("check", help="run a scenario's validators on an answer (exit 0 accepted, 1 rejected)")
    check.add_argument("id", help="scenario id (the file name without .yaml)")
    check.add_argument("answer_file", type=Path, help="file holding the answer text, as a model would reply")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--root", type=Path, help="scenario folder (default: [tool.harness] scenarios_dir)")
    check.set_defaults(handler=_check)


def _list(args: argparse.Namespace) -> int:
    scenarios = load_suite(args.suite, root=args.root or load_config().scenarios_dir)
    rows = [
        {"id": s.id, "title": s.title, "task_type": s.task_type.value, "tags": list(s.tags),
         "validators": s.validator_names}
        for s in scenarios
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']:32} {r['task_type']:22} {','.join(r['tags']):12} {r['title']}")
        print(f"{'':32} validators: {', '.join(r['validators'])}")
    print(f"{len(rows)} scenarios in suite {args.suite!r}")
    return 0


def _find(scenario_id: str, root: Path) -> Scenario:
    scenarios = {s.id: s for s in load_suite(FULL_TAG, root=root)}
    if scenario_id in scenarios:
        return scenarios[scenario_id]
    # substring hits first ("review_sql" -> review_sql_injection), then spelling neighbours
    close = [i for i in sorted(scenarios) if scenario_id.lower() in i.lower()]
    close += [i for i in difflib.get_close_matches(scenario_id, scenarios, n=3, cutoff=0.5) if i not in close]
    close = close[:3]
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(scenarios))}"
    raise UserError(f"no scenario {scenario_id!r} in {root}{hint}")


async def _run_each(scenario: Scenario, answer: str) -> list[Verdict]:
    """Every validator's own verdict (not only the first rejection), so an author sees all problems at once."""
    ctx = scenario.check_context()
    return list(await asyncio.gather(*(v.check(answer, ctx) for v in scenario.build_validators())))


def _check(args: argparse.Namespace) -> int:
    scenario = _find(args.id, args.root or load_config().scenarios_dir)
    try:
        answer = args.answer_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{args.answer_file}: cannot read answer file: {exc}") from None
    verdicts = asyncio.run(_run_each(scenario, answer))
    accepted = all(v.passed for v in verdicts)
    if args.json:
        result: dict[str, Any] = {
            "scenario": scenario.id, "accepted": accepted,
            "verdicts": [{"validator": v.validator, "passed": v.passed, "reason": v.reason} for v in verdicts],
        }
        print(json.dumps(result, indent=2))
    else:
        for v in verdicts:
            print(f"{'PASS' if v.passed else 'FAIL'}  {v.validator:20} {v.reason}")
        print(f"{scenario.id}: {'accepted' if accepted else 'rejected'}")
    return 0 if accepted else 1
