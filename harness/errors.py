"""Errors that are the user's to fix: the CLI prints them as one line and exits 2, no traceback."""

from pydantic import ValidationError


class UserError(Exception):
    """Bad input: a file, a field, a flag. The message says what and where."""

    exit_code = 2


def first_error(exc: ValidationError, whole: str = "(top level)") -> tuple[str, str]:
    """The first problem of a pydantic error as (dotted field path, message): one line for a user."""
    first = exc.errors()[0]
    return ".".join(str(part) for part in first["loc"]) or whole, first["msg"]
