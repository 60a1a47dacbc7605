"""`harness report` re-renders a past run; `harness gate` turns a run into a CI exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.config import load_config
from harness.errors import UserError
from harness.results import load_results
from reports.gate import EXIT_MISS, GateThresholds, evaluate
from reports.render import FILE_NAMES, FORMATS, Format, render

GATE_FLAGS = {"min_success": "--min-success", "max_cost": "--max-cost", "max_cost_per_task": "--max-cost-per-task",
              "max_fallback_rate": "--max-fallback-rate", "min_savings": "--min-savings"}


def _report(args: argparse.Namespace) -> int:
    results_path: Path = args.results
    results = load_results(results_path)
    fmt: Format = args.format
    text = render(results, fmt)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out) if args.out else results_path.parent / FILE_NAMES[fmt]
    if out.resolve() == results_path.resolve():
        raise UserError(f"{out} is the input file; pass --out FILE or --out - for the re-serialised JSON")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _thresholds(args: argparse.Namespace) -> GateThresholds:
    """[tool.harness.gate], then flags on top; each layer's errors name where the bad value is."""
    config = load_config()
    source = f"{config.source}: [tool.harness.gate]" if config.source else "[tool.harness.gate]"
    from_config = GateThresholds.from_config(config.gate, source)
    flags: dict[str, Any] = {k: getattr(args, k) for k in GATE_FLAGS if getattr(args, k) is not None}
    if args.on_lower_bound:
        flags["on_lower_bound"] = True
    merged = {**from_config.model_dump(exclude_none=True), **flags}
    try:
        return GateThresholds.model_validate(merged)
    except ValidationError as exc:  # config alone was valid, so a flag is at fault
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise UserError(f"{GATE_FLAGS.get(field, field)}: {first['msg']}") from None


def _gate(args: argparse.Namespace) -> int:
    results = load_results(args.results)
    outcome = evaluate(results, _thresholds(args))
    offline_refused = args.require_live and results.offline
    code = EXIT_MISS if offline_refused and outcome.exit_code == 0 else outcome.exit_code
    if args.json:
        print(json.dumps(outcome.as_dict() | {"offline": results.offline, "data_label": results.data_label,
                                              "exit_code": code}, indent=2))
        return code
    print(f"data: {results.data_label}" + (" (offline: not a live measurement)" if results.offline else ""))
    print("\n".join(outcome.lines()))
    if offline_refused:
        print("MISS live data: --require-live, but this run was an offline replay")
    return code


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None


def register(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report", help="render a run's results.json as HTML, Markdown, JUnit or JSON",
        description="Re-render any past run from its results.json. Default output: next to the results "
                    f"({', '.join(f'{f}: {n}' for f, n in FILE_NAMES.items())}).")
    report.add_argument("results", type=Path, metavar="RESULTS.json")
    report.add_argument("--format", choices=FORMATS, default="html", help="report format (default: html)")
    report.add_argument("--out", metavar="FILE", help="output file, '-' for stdout")
    report.set_defaults(handler=_report)

    gate = subparsers.add_parser(
        "gate", help="exit non-zero when a run misses its quality or cost thresholds",
        description="Thresholds come from [tool.harness.gate]; flags override them. Exit 0 pass, 1 a threshold "
                    "missed, 2 usage or config error, 3 the run itself could not complete.")
    gate.add_argument("results", type=Path, metavar="RESULTS.json")
    gate.add_argument("--min-success", type=_number, metavar="RATE", help="minimum success rate, 0..1")
    gate.add_argument("--on-lower-bound", action="store_true",
                      help="apply --min-success to the 95%% interval's lower bound")
    gate.add_argument("--max-cost", type=_number, metavar="USD", help="maximum total actual cost")
    gate.add_argument("--max-cost-per-task", type=_number, metavar="USD", help="maximum actual cost per task")
    gate.add_argument("--max-fallback-rate", type=_number, metavar="RATE", help="maximum fallback rate, 0..1")
    gate.add_argument("--min-savings", type=_number, metavar="PCT",
                      help="minimum savings vs the all-premium estimate, percent")
    gate.add_argument("--require-live", action="store_true",
                      help="fail (exit 1) when the results come from an offline replay, not the live API")
    gate.add_argument("--json", action="store_true", help="machine-readable outcome")
    gate.set_defaults(handler=_gate)
