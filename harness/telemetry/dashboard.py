"""The terminal dashboard of `harness analyze`: the tutorial's boxes, every figure from the records."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.models import format_usd
from harness.telemetry.analysis import Analysis


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _ci(rate: float | None, ci: tuple[float, float]) -> str:
    return "-" if rate is None else f"{rate:.1%} (95% CI {ci[0]:.0%}-{ci[1]:.0%})"


def _window(a: Analysis) -> str:
    if a.window_start is None or a.window_end is None:
        return ""
    scope = f"task type {a.task_type_filter}, " if a.task_type_filter else ""
    live = "live runs and offline replays" if a.includes_offline_sample_data else "live runs"
    seconds = a.window_days * 86_400
    span = (f"{seconds:.0f} s" if seconds < 3600 else f"{seconds / 3600:.1f} hours" if seconds < 86_400
            else f"{a.window_days:.1f} day{'s' if a.window_days != 1 else ''}")
    return f"{scope}{live}, {a.window_start:%Y-%m-%d} to {a.window_end:%Y-%m-%d}, {span}"


def _quality(a: Analysis) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Calls (attempts)", f"{a.calls:,}")
    for model, calls in a.calls_by_model.items():
        grid.add_row(f"  to {model}", f"{calls:,}")
    grid.add_row("Tasks finished", f"{a.tasks:,}")
    grid.add_row("Success rate", _ci(a.success_rate, a.success_ci95))
    grid.add_row("Cheap-tier success", _ci(a.cheap_tier_success_rate, a.cheap_tier_success_ci95))
    if a.premium_first_tasks:
        grid.add_row("  over", f"{a.cheap_tier_tasks:,} cascade tasks ({a.premium_first_tasks:,} routed straight "
                     "to premium: no cheap-tier data)")
    grid.add_row("Fallbacks", f"{a.fallbacks:,}")
    grid.add_row("Fallback rate", _pct(a.fallback_rate))
    return Panel(grid, title=f"Cascade performance ({_window(a)})", title_align="left")


def _cost(a: Analysis) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Actual cost", format_usd(a.actual_cost_usd))
    if a.unfinished_tasks_cost_usd:
        grid.add_row("  of which unfinished tasks", format_usd(a.unfinished_tasks_cost_usd))
    grid.add_row("All-premium cost (estimate)", format_usd(a.baseline_cost_usd_estimate))
    grid.add_row("Savings (estimate)", f"{format_usd(a.savings_usd_estimate)} ({_pct(a.savings_pct_estimate)})")
    if a.break_even_cheap_tier_success is not None:
        grid.add_row("Price ratio r (premium/cheap)",
                     f"{a.price_ratio:.2f} from {a.price_ratio_source}: "
                     f"break-even cheap-tier success {a.break_even_cheap_tier_success:.0%}")
    if a.annual_cost_usd_projection is None or a.annual_savings_usd_projection is None:
        grid.add_row("Annual projection", f"none: {a.projection_note}")
    else:
        grid.add_row("Annual projection", f"{format_usd(a.annual_cost_usd_projection)} spent, "
                     f"{format_usd(a.annual_savings_usd_projection)} saved "
                     f"(projection: cost per day over {a.window_days:.1f} days x 365)")
    return Panel(grid, title="Cost: actual vs all-premium estimate", title_align="left")


def _by_type(a: Analysis) -> Table:
    table = Table(title="Per task type", title_justify="left")
    for name in ("task type", "tasks", "cheap-tier success", "break-even", "fallback rate", "actual cost",
                 "all-premium (est.)", "savings (est.)"):
        table.add_column(name, justify="left" if name == "task type" else "right")
    for t in a.by_task_type:
        table.add_row(
            t.task_type, f"{t.tasks:,}", _pct(t.cheap_tier_success_rate),
            _pct(t.break_even_cheap_tier_success), _pct(t.fallback_rate), format_usd(t.actual_cost_usd),
            format_usd(t.baseline_cost_usd_estimate), _pct(t.savings_pct_estimate),
            style="red" if t.recommendation.action == "premium" else None)
    return table


def _recommendations(a: Analysis) -> Panel:
    marks = {"premium": "[red]![/red]", "cascade": "[green]ok[/green]", "routed-to-premium": "[blue]p[/blue]"}
    lines = [f"{marks.get(t.recommendation.action, '-')} {t.recommendation.text}" for t in a.by_task_type]
    return Panel("\n".join(lines), title="Recommendations (break-even: cheap-tier success = 1/r)",
                 title_align="left")


def render(analysis: Analysis, db: Path, console: Console) -> None:
    if analysis.empty:
        if analysis.offline_runs_excluded and analysis.data_note:
            console.print(Text(analysis.data_note, style="yellow"))
            return
        console.print(f"No telemetry recorded in this window (database {db}). "
                      "Run `harness run quick` to record some.")
        return
    if analysis.includes_offline_sample_data:
        console.print(Panel(Text(f"Figures include offline replays of sample data ({analysis.offline_runs} of "
                                 f"{analysis.runs} runs in this window): they are not live measurements.",
                                 style="bold yellow"), border_style="yellow", title="--include-offline"))
    elif analysis.offline_runs_excluded and analysis.data_note:
        console.print(Text(f"Live runs only: {analysis.data_note}.", style="dim"))
    console.print(Group(_quality(analysis), _cost(analysis), _by_type(analysis), _recommendations(analysis)))
