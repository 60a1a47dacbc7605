"""Hostile answers must be contained: the host survives, nothing leaks, and the verdict says which limit hit."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from validators import CheckContext, SandboxLimits, Verdict, run_sandboxed
from validators.sandbox import available_isolation

Check = Callable[..., Verdict]
Py = Callable[[str], str]

ISOLATION = available_isolation()
FAKE_KEY = "sk-ant-test-0123456789abcdefDONOTLEAK"
SPEC_LIMITS = {"wall_s": 3, "cpu_s": 2, "memory_mb": 512, "nproc": 16}
SPEC = {"python_tests": {"tests": "test_hidden.py", "limits": SPEC_LIMITS}}
HIDDEN = "import solution\n\ndef test_runs(): assert solution.ok()\n"


@pytest.fixture
def ctx(fixtures: Callable[[dict[str, str]], CheckContext]) -> CheckContext:
    return fixtures({"test_hidden.py": HIDDEN})


def test_infinite_loop_hits_a_time_limit(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("def ok():\n    while True:\n        pass"), ctx)
    assert not verdict.passed
    assert verdict.details["limit_hit"] in {"cpu", "timeout"}
    assert "time limit" in verdict.reason


def test_sleeping_forever_hits_the_wall_clock(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("import time\n\ndef ok():\n    time.sleep(60)"), ctx)
    assert not verdict.passed and verdict.details["limit_hit"] == "timeout"
    assert "wall-clock" in verdict.reason


@pytest.mark.skipif(ISOLATION.process_cap == "none", reason="no process cap on this host (root without a pids cgroup)")
def test_fork_bomb_is_capped_and_cleaned_up(ctx: CheckContext, check: Check, py: Py) -> None:
    bomb = (
        "import os\n\ndef ok():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n"
        "            pass"
    )
    spec = {"python_tests": {"tests": "test_hidden.py", "limits": {**SPEC_LIMITS, "wall_s": 2, "nproc": 8}}}
    verdict = check(spec, py(bomb), ctx)
    assert not verdict.passed
    assert verdict.details["limit_hit"] in {"nproc", "timeout"}
    assert verdict.details["isolation"]["process_cap"] == ISOLATION.process_cap


def test_memory_bomb_hits_the_memory_limit(ctx: CheckContext, check: Check, py: Py) -> None:
    bomb = "def ok():\n    hog = []\n    while True:\n        hog.append(bytearray(10**7))"
    spec = {"python_tests": {"tests": "test_hidden.py", "limits": {**SPEC_LIMITS, "memory_mb": 256}}}
    verdict = check(spec, py(bomb), ctx)
    assert not verdict.passed and verdict.details["limit_hit"] == "memory"
    assert "memory limit" in verdict.reason


def test_100mb_of_output_is_capped(ctx: CheckContext, check: Check, py: Py) -> None:
    flood = "import sys\n\ndef ok():\n    for _ in range(100):\n        sys.stdout.write('x' * 1_000_000)\n"
    verdict = check(SPEC, py(flood), ctx)
    assert not verdict.passed and verdict.details["limit_hit"] == "output_cap"
    assert len(json.dumps(verdict.details)) < 10_000


def test_api_key_does_not_reach_the_code(
    ctx: CheckContext,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    check: Check,
    py: Py,
) -> None:
    # Only the code's own environment: monkeypatch never reaches /proc/<pid>/environ, which
    # test_sandbox_secrets.py covers with a key in a real exec environment.
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_KEY)
    thief = "import os\n\ndef ok():\n    print(dict(os.environ))\n    assert os.environ['ANTHROPIC_API_KEY']\n"
    verdict = check(SPEC, py(thief), ctx)
    assert not verdict.passed and "KeyError" in verdict.reason
    captured = capsys.readouterr()
    for text in (verdict.model_dump_json(), captured.out, captured.err, caplog.text):
        assert FAKE_KEY not in text


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """World-writable and reachable by any uid: only the read-only mount can stop a write there."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-open-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_writing_outside_the_temp_dir(ctx: CheckContext, open_dir: Path, check: Check, py: Py) -> None:
    target = open_dir / "escaped.txt"
    writer = (
        f"import os\n\ndef ok():\n    print('CWD=' + os.getcwd())\n"
        f"    open({str(target)!r}, 'w').write('x')\n    return True"
    )
    result = asyncio.run(
        run_sandboxed(
            [sys.executable, "-c", "import solution; solution.ok()"],
            {"solution.py": writer},
            SandboxLimits(wall_s=5),
        )
    )
    cwd = result.stdout.split("CWD=")[1].split()[0]
    assert Path(cwd).name.startswith("sandbox-") and not Path(cwd).exists()  # guaranteed everywhere
    if not result.isolation.readonly_filesystem:
        pytest.skip("no mount namespace here: code can write wherever the host user can (documented in README)")
    assert not target.exists() and "Read-only file system" in result.stderr
    assert not check(SPEC, py(writer), ctx).passed


@pytest.mark.skipif(not ISOLATION.network, reason="no network namespace available (needs root on Linux)")
def test_socket_to_localhost_never_connects(ctx: CheckContext, check: Check, py: Py) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        port = server.getsockname()[1]
        dialer = (
            f"import socket\n\ndef ok():\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "    return True"
        )
        verdict = check(SPEC, py(dialer), ctx)
        with pytest.raises(TimeoutError):
            server.accept()
    assert not verdict.passed and "unreachable" in verdict.reason.lower()


ESCAPEE = "import os, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(60)\nprint(pid)"


@pytest.mark.skipif(ISOLATION.process_cap != "cgroup", reason="only a pids cgroup finds processes that left the group")
def test_process_that_leaves_the_group_is_killed() -> None:
    result = asyncio.run(run_sandboxed([sys.executable, "-c", ESCAPEE], {}, SandboxLimits(wall_s=5)))
    assert result.returncode == 0 and result.duration_s < 4
    status = Path(f"/proc/{int(result.stdout)}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()  # killed; reaping is init's job
