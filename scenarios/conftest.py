"""Makes `pytest scenarios -m quick -n 2` collect the YAML scenarios (see harness.pytest_plugin)."""

from harness.pytest_plugin import (  # noqa: F401
    pytest_addoption,
    pytest_collect_file,
    pytest_configure,
    pytest_report_header,
    pytest_sessionfinish,
)

# Hidden tests and mutants in fixtures/ are run by validators inside the sandbox, never collected here.
collect_ignore = ["fixtures", "samples"]
