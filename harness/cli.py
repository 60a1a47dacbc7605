"""`harness` command line: each layer contributes its own subcommands via `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from harness.errors import UserError

# Modules that add subcommands; each defines register(subparsers) and sets `handler` on its parsers.
COMMAND_MODULES = (
    "harness.runner.cli",
    "reports.cli",
    "harness.telemetry.cli",
    "harness.scenarios.cli",
    "harness.models.cli",
    "harness.emulator.cli",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description=(
            "Quality-verifying LLM router and evaluation harness: cheap model first, validators "
            "decide, premium model only on rejection or API failure."
        ),
        epilog="Start with `harness run quick` (offline without ANTHROPIC_API_KEY); `harness COMMAND --help` for more.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what the shell reports for `cat`, `yes` and any tool the reader of its pipe hung up on."""


def _stdout_closed() -> int:
    """The reader went away (`harness analyze --json | head -1`): stop quietly, as the Python docs advise.

    Python ignores SIGPIPE, so the write raised instead; stdout is pointed at devnull so the flush at
    exit cannot raise again. Exit 141, as if SIGPIPE had ended us: the output *was* cut short, and
    `set -o pipefail` scripts treat us like every other Unix tool (0 would claim a complete write).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file (captured, replaced): nothing left to flush into a pipe
        pass
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's own flush at exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
