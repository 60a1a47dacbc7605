"""Model-written code must not get the harness's secrets out: not from its own environment (scrubbed), not
from an ancestor's `/proc/<pid>/environ` (unprivileged uid as root, non-dumpable harness without root), and
whatever still slips into the output is redacted before a verdict reads it."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import validators
from validators import CheckContext, SandboxLimits, Verdict, run_sandboxed
from validators.sandbox import available_isolation, redact

Check = Callable[..., Verdict]
Py = Callable[[str], str]

ISOLATION = available_isolation()
REPO = Path(validators.__file__).resolve().parents[1]

# Walks up from its parent (the harness) and reads each ancestor's environment; returns what it got, also
# reversed and base64-encoded, which no redaction of the plain value can catch.
THIEF = '''
import base64, os


def ancestors():
    pid = os.getppid()
    for _ in range(6):
        if pid <= 1:
            return
        yield pid
        with open(f"/proc/{pid}/stat") as handle:
            pid = int(handle.read().rsplit(")", 1)[1].split()[1])


def stolen():
    found = []
    for pid in ancestors():
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read()
        except OSError as error:
            found.append(f"{pid}:denied:{error.errno}")
            continue
        found.append(f"{pid}:read")
        for entry in environ.split(b"\\0"):
            if entry.startswith(b"ANTHROPIC_API_KEY="):
                value = entry.split(b"=", 1)[1].decode()
                encoded = base64.b64encode(value.encode()).decode()
                found.append(f"{pid}:key:{value}:{value[::-1]}:{encoded}")
    return found


def ok():
    found = stolen()
    print("STOLEN", " ".join(found))
    assert False, " ".join(found)
'''

HIDDEN = "import solution\n\ndef test_runs(): assert solution.ok()\n"

# Runs in a fresh interpreter whose real exec environment holds the key: both a python_tests check and a
# bare run_sandboxed of the same code. argv: fixtures dir, "on" | "off" (off: the OS layers disabled).
HARNESS = '''
import asyncio, sys
from pathlib import Path
import validators
from validators import sandbox

folder, layers = Path(sys.argv[1]), sys.argv[2]
if layers == "off":
    sandbox._drop_mode = lambda: None
    sandbox._make_harness_undumpable = lambda: True
code = (folder / "thief.py").read_text()
ctx = validators.CheckContext(fixtures_dir=folder)
spec = {"python_tests": {"tests": "test_hidden.py", "limits": {"wall_s": 10}}}
verdict = asyncio.run(validators.build(spec).check("```python\\n" + code + "\\n```", ctx))
argv = [sys.executable, "-c", "import solution; print('STOLEN', ' '.join(solution.stolen()))"]
direct = asyncio.run(validators.run_sandboxed(argv, {"solution.py": code}))
print(verdict.model_dump_json())
print(direct.model_dump_json())
'''


def _run_harness(tmp_path: Path, key: str, layers: str) -> tuple[str, dict[str, object], dict[str, object]]:
    (tmp_path / "thief.py").write_text(THIEF)
    (tmp_path / "test_hidden.py").write_text(HIDDEN)
    env = {**os.environ, "ANTHROPIC_API_KEY": key}
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, str(tmp_path), layers],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    verdict_line, direct_line = done.stdout.strip().splitlines()[-2:]
    return done.stdout + done.stderr, json.loads(verdict_line), json.loads(direct_line)


def _forms(key: str) -> list[str]:
    return [key, key[::-1], base64.b64encode(key.encode()).decode()]


def test_harness_environ_cannot_be_read_from_proc(tmp_path: Path) -> None:
    key = f"sk-ant-test-{secrets.token_hex(16)}"
    output, verdict, direct = _run_harness(tmp_path, key, "on")
    assert verdict["passed"] is False
    assert "STOLEN" in str(verdict["details"]) and "STOLEN" in str(direct["stdout"])  # the code did run
    for form in _forms(key):
        assert form not in output
    parent = str(direct["stdout"]).split()[1]  # the harness process itself: its environ must be refused
    assert parent.endswith(":denied:13"), direct["stdout"]
    isolation = direct["isolation"]
    assert isinstance(isolation, dict)
    assert isolation["unprivileged_user"] is (os.geteuid() == 0)


def test_without_the_os_layers_the_thief_succeeds_and_only_redaction_is_left(tmp_path: Path) -> None:
    """The control: proves the test above can fail here, and that redaction still hides the plain value."""
    key = f"sk-ant-test-{secrets.token_hex(16)}"
    output, _, direct = _run_harness(tmp_path, key, "off")
    assert key not in output and "[redacted]" in output  # redacted in the sandbox result...
    assert key[::-1] in str(direct["stdout"])  # ...but a transformed copy gets through: the OS layers matter


@pytest.mark.parametrize(
    "name",
    ["ANTHROPIC_API_KEY", "github_token", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "GCP_CREDENTIALS", "ApiKey"],
)
def test_redact_replaces_secret_named_values(name: str) -> None:
    value = "s3cr3t-value-123"
    text = f"before {value} middle {value} after"
    assert redact(text, {name: value}) == "before [redacted] middle [redacted] after"


def test_redact_leaves_other_names_short_values_and_keeps_the_longest_match() -> None:
    environ = {"HOME": "/home/someone-long", "PIN_TOKEN": "1234567", "A_KEY": "abcdefgh", "B_KEY": "abcdefghijkl"}
    assert redact("/home/someone-long 1234567", environ) == "/home/someone-long 1234567"
    assert redact("x abcdefghijkl y abcdefgh", environ) == "x [redacted] y [redacted]"


def test_redact_catches_a_secret_cut_off_at_the_end() -> None:
    value = "sk-ant-test-0123456789"
    assert redact(f"output then {value[:10]}", {"ANTHROPIC_API_KEY": value}) == "output then [redacted]"
    assert redact("ends with sk-", {"ANTHROPIC_API_KEY": value}) == "ends with sk-"  # too short to matter


def test_redact_defaults_to_the_harness_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-0123456789")
    assert redact("got tok-0123456789") == "got [redacted]"


def test_sandbox_output_is_redacted_for_every_reader(
    fixtures: Callable[[dict[str, str]], CheckContext], monkeypatch: pytest.MonkeyPatch, check: Check, py: Py
) -> None:
    value = f"tok-{secrets.token_hex(8)}"
    monkeypatch.setenv("SOME_SERVICE_TOKEN", value)
    code = f"import sys\nprint({value!r})\nprint({value!r}, file=sys.stderr)\n"
    result = asyncio.run(run_sandboxed([sys.executable, "-c", code], {}, SandboxLimits(wall_s=5)))
    assert value not in result.stdout + result.stderr
    assert result.stdout.strip() == result.stderr.strip() == "[redacted]"
    ctx = fixtures({"test_hidden.py": HIDDEN})
    verdict = check({"python_tests": {"tests": "test_hidden.py"}}, py(f"def ok():\n    assert False, {value!r}"), ctx)
    assert not verdict.passed and "[redacted]" in verdict.reason
    assert value not in verdict.model_dump_json()


@pytest.mark.skipif(not ISOLATION.unprivileged_user, reason="only as root: the code runs under a uid of its own")
def test_code_runs_unprivileged_and_each_run_under_its_own_uid() -> None:
    probe = (
        "import json, os\nstatus = open('/proc/self/status').read()\n"
        "print(json.dumps([os.getuid(), os.getgid(), os.getgroups(), 'NoNewPrivs:\\t1' in status,"
        " os.access('.', os.W_OK)]))"
    )

    async def two() -> list[list[object]]:
        runs = [run_sandboxed([sys.executable, "-c", probe], {}, SandboxLimits(wall_s=5)) for _ in range(2)]
        return [json.loads(result.stdout) for result in await asyncio.gather(*runs)]

    first, second = asyncio.run(two())
    for uid, gid, groups, no_new_privs, writable in (first, second):
        assert uid != 0 and gid != 0 and groups == []
        assert no_new_privs is True and writable is True  # no setuid way back; its own temp dir is writable
    assert first[0] != second[0]  # concurrent runs cannot touch each other's files or processes
