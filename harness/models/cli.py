"""`harness price` and `harness models`: look up what a call costs and what models are known."""

from __future__ import annotations

import argparse
import json
from typing import Any

from harness.cli_args import whole_number
from harness.config import load_config
from harness.models.pricing import format_usd
from harness.models.registry import Registry, load_registry
from harness.models.retirement import retirement_date
from harness.models.usage import Usage


def _registry() -> Registry:
    return load_registry(load_config().models_file)


def _price(args: argparse.Namespace) -> int:
    registry = _registry()
    model = registry.get(args.model)
    usage = Usage(
        input_tokens=args.input,
        output_tokens=args.output,
        cache_read_tokens=args.cache_read,
        cache_write_5m_tokens=args.cache_write_5m,
        cache_write_1h_tokens=args.cache_write_1h,
    )
    amount = model.cost(usage, batch=args.batch)
    long_ctx = model.long_context is not None and usage.prompt_tokens > model.long_context.threshold
    if args.json:
        print(json.dumps({"model": model.id, "usage": usage.model_dump(), "batch": args.batch,
                          "long_context_rate": long_ctx, "cost_usd": str(amount)}))
        return 0
    notes = [n for n, on in (("long-context rate", long_ctx), ("batch -50%", args.batch)) if on]
    print(f"{model.id} ({model.display}): {format_usd(amount)}" + (f" [{', '.join(notes)}]" if notes else ""))
    print(f"{amount.normalize():f}")
    return 0


def _models(args: argparse.Namespace) -> int:
    registry = _registry()
    rows: list[dict[str, Any]] = []
    for m in registry.models.values():
        retires = retirement_date(m.id, registry)
        rows.append({
            "id": m.id, "tier": m.tier.value, "input": str(m.input), "output": str(m.output),
            "cache_write_5m": str(m.cache_write_5m), "cache_write_1h": str(m.cache_write_1h),
            "cache_read": str(m.cache_read), "context_window": m.context_window,
            "retires": retires.isoformat() if retires else None, "as_of": m.as_of.isoformat(),
        })
    if args.json:
        presets = {p.name: list(p.chain) for p in registry.presets.values()}
        print(json.dumps({"models": rows, "presets": presets}, indent=2))
        return 0
    print(f"{'model':28} {'tier':8} {'in':>6} {'out':>6} {'cw5m':>6} {'cw1h':>6} {'read':>6} {'window':>8}  retires")
    for r in rows:
        print(f"{r['id']:28} {r['tier']:8} {r['input']:>6} {r['output']:>6} {r['cache_write_5m']:>6} "
              f"{r['cache_write_1h']:>6} {r['cache_read']:>6} {r['context_window']:>8}  {r['retires'] or ''}")
    print("USD per million tokens. Presets: " + ", ".join(
        f"{p.name} ({' -> '.join(p.chain)})" for p in registry.presets.values()))
    return 0


def register(subparsers: Any) -> None:
    price = subparsers.add_parser(
        "price", help="exact cost of one call", description=(
            "Exact USD cost of one call, per Anthropic's billing rules (cache rates, long-context "
            "tier, batch discount). The last line is the plain number."))
    price.add_argument("model", help="model id or alias, e.g. claude-sonnet-4-6")
    for flag, text in (("--input", "uncached input tokens"), ("--output", "output tokens"),
                       ("--cache-read", "cache-read tokens"), ("--cache-write-5m", "5-minute cache-write tokens"),
                       ("--cache-write-1h", "1-hour cache-write tokens")):
        price.add_argument(flag, type=whole_number(0, "tokens"), default=0, metavar="N", help=text)
    price.add_argument("--batch", action="store_true", help="Message Batches API (50%% off)")
    price.add_argument("--json", action="store_true", help="machine-readable output")
    price.set_defaults(handler=_price)

    models = subparsers.add_parser("models", help="list known models, prices and presets")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(handler=_models)
