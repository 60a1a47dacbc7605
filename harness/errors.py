"""Errors that are the user's to fix: the CLI prints them as one line and exits 2, no traceback."""


class UserError(Exception):
    """Bad input: a file, a field, a flag. The message says what and where."""

    exit_code = 2
