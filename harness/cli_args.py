"""Argument types shared by the subcommands: a bad value is one clear line from argparse, exit 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(minimum: int, what: str) -> Callable[[str], int]:
    """An int parser for `what` (e.g. "tokens", "days"); accepts 1_000 and 1,000 separators."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of {what}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}")
        return value

    return parse
