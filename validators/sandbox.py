"""Run model-written code in a throwaway directory with hard limits, so a hostile answer costs a verdict, not the host.

Layers, each used where the OS allows it (see `Isolation`, reported with every result):
- rlimits (CPU, address space, file size, open files, processes) set in the child before exec;
- own session / process group, killed as a whole on timeout, output overflow and exit;
- as root on Linux: a private network namespace (no interfaces up: no network at all), a private mount
  namespace where every mount is read-only except the sandbox's temp dir, and a `pids` cgroup capping
  the number of processes (RLIMIT_NPROC does not bind root);
- as root: the code runs as an unprivileged uid of its own (one per run, 65534 as a fallback), with
  no_new_privs, so it cannot read the harness's `/proc/<pid>/environ` (nor its ancestors'), cannot
  touch other runs, and RLIMIT_NPROC binds; the interpreter's prefix is made reachable for it by
  mounting an empty read-only tmpfs over any ancestor directory it could not traverse (e.g. /root);
- without root: the harness makes itself non-dumpable, so its `/proc/<pid>/environ` is root-owned and
  unreadable to its (same-user) children; the user's shell and other ancestors stay readable;
- an environment rebuilt from an allowlist, so no API key or token is inherited;
- the output is redacted: the value of any harness environment variable named like a secret is
  replaced by "[redacted]" before anything reads it.
It is not a container: the code can read what its user can read, and use CPU up to its limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import dataclasses
import functools
import importlib.util
import itertools
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Limit = Literal["timeout", "cpu", "memory", "output_cap", "nproc", "fsize"]

LIMIT_SENTENCES: dict[Limit, str] = {  # each completes "The code was stopped because ..."
    "timeout": "it ran past the wall-clock time limit",
    "cpu": "it used up its CPU-time limit",
    "memory": "it exceeded the memory limit",
    "output_cap": "it printed more output than allowed",
    "nproc": "it tried to start more processes than allowed",
    "fsize": "it tried to write a file larger than allowed",
}

_SAFE_ENV_KEYS = frozenset({"PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTHONPATH", "PYTHONIOENCODING", "TZ"})
_SECRET_KEY = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
_MIN_SECRET_LEN = 8
_REDACTED = "[redacted]"

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18
_MS_BIND = 0x1000
_MS_REMOUNT = 0x20
_SYS_MOUNT_SETATTR = 442  # x86_64 and aarch64 share the generic number
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_SYS_OPEN_TREE = 428  # generic numbers too
_SYS_MOVE_MOUNT = 429
_OPEN_TREE_CLONE = 0x1
_MOVE_MOUNT_F_EMPTY_PATH = 0x4
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_NOBODY = 65534
_RUN_UID_BASE = 0x40000000  # + (pid << 8) + run counter: one uid per run, clear of real and subordinate ids

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_run_ids = itertools.count()
_uid_ids = itertools.count()


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


class SandboxLimits(BaseModel):
    """Hard ceilings for one run; the defaults fit a pytest run of a small module."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_s: float = Field(default=10.0, gt=0)
    cpu_s: int = Field(default=10, gt=0)
    memory_mb: int = Field(default=1024, gt=0)
    nproc: int = Field(default=32, gt=0)
    fsize_mb: int = Field(default=16, gt=0)
    nofile: int = Field(default=256, gt=0)
    output_cap_bytes: int = Field(default=256_000, gt=0)


class Isolation(BaseModel):
    """Which protections were actually in force: reported, never assumed."""

    model_config = ConfigDict(frozen=True)

    network: bool
    readonly_filesystem: bool
    process_cap: Literal["cgroup", "rlimit", "none"]
    unprivileged_user: bool = False  # as root: the code ran under an unprivileged uid of its own


class SandboxResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    returncode: int | None
    stdout: str
    stderr: str
    limit_hit: Limit | None
    duration_s: float
    isolation: Isolation

    @property
    def limit_sentence(self) -> str | None:
        return LIMIT_SENTENCES[self.limit_hit] if self.limit_hit else None


def _is_root() -> bool:
    return os.geteuid() == 0


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


Blocked = tuple[tuple[str, tuple[str, ...]], ...]


def _blocked_ancestors(paths: Sequence[str]) -> Blocked:
    """(directory others cannot traverse, the children on the way to `paths`), outermost first.

    An unprivileged uid must reach the interpreter and its prefix (pyenv installs under /root, mode 0700):
    in the mount namespace each such directory is covered by an empty tmpfs holding only those children.
    """
    needed: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(os.path.realpath(path)).parts
        for depth in range(1, len(parts) - 1):
            ancestor = os.path.join(*parts[: depth + 1])
            try:
                mode = os.stat(ancestor).st_mode
            except OSError:
                break
            if not mode & 0o001:
                needed.setdefault(ancestor, set()).add(parts[depth + 1])
    return tuple(sorted(((d, tuple(sorted(c))) for d, c in needed.items()), key=lambda item: item[0].count("/")))


@functools.cache
def _blocked_for_interpreter() -> Blocked:
    """Computed once in the harness (not per child): what to expose for this interpreter and temp dir."""
    return _blocked_ancestors((os.path.dirname(os.path.realpath(sys.executable)), sys.prefix, sys.base_prefix,
                               sys.exec_prefix, sys.base_exec_prefix, tempfile.gettempdir()))


def _expose(blocked: Blocked) -> None:
    """Cover each blocked directory with a tmpfs (0755) holding bind clones of just the needed children."""
    for directory, children in blocked:
        clones = []
        for child in children:
            fd = _libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, os.path.join(directory, child).encode(),
                               _OPEN_TREE_CLONE | _AT_RECURSIVE | os.O_CLOEXEC)
            _check(min(fd, 0), f"open_tree {directory}/{child}")
            clones.append((child, fd))
        target = directory.encode()
        _check(_libc.mount(b"tmpfs", target, b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=0755,size=64k"), "tmpfs")
        for child, fd in clones:
            path = os.path.join(directory, child)
            os.mkdir(path, 0o755)
            _check(_libc.syscall(_SYS_MOVE_MOUNT, fd, b"", _AT_FDCWD, path.encode(), _MOVE_MOUNT_F_EMPTY_PATH),
                   f"move_mount {path}")
            os.close(fd)


def _enter_namespaces(workdir: str, blocked: Blocked = ()) -> None:
    """No network, and a read-only view of every mount except `workdir` (runs in the child, as root)."""
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET), "unshare")
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
    _expose(blocked)
    attr = _MountAttr(attr_set=_MOUNT_ATTR_RDONLY)
    rc = _libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, b"/", _AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr))
    _check(rc, "mount_setattr read-only")
    target = workdir.encode()
    _check(_libc.mount(target, target, None, _MS_BIND, None), "bind workdir")
    _check(_libc.mount(None, target, None, _MS_REMOUNT | _MS_BIND, None), "remount workdir writable")
    os.chdir(workdir)  # the cwd was entered before the bind mount: re-enter, or relative writes hit the ro mount


def _child_setup(
    workdir: str, limits: SandboxLimits, nproc: int, cgroup_procs: str | None, namespaces: bool, uid: int | None,
    blocked: Blocked = (),
) -> None:
    """Runs between fork and exec: everything here must hold before any model-written code starts."""
    if cgroup_procs is not None:
        with open(cgroup_procs, "w") as handle:
            handle.write(str(os.getpid()))
    if namespaces:
        _enter_namespaces(workdir, blocked if uid is not None else ())
    mb = 1024 * 1024
    for which, soft, hard in (
        (resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 1),
        (resource.RLIMIT_AS, limits.memory_mb * mb, limits.memory_mb * mb),
        (resource.RLIMIT_FSIZE, limits.fsize_mb * mb, limits.fsize_mb * mb),
        (resource.RLIMIT_NOFILE, limits.nofile, limits.nofile),
        (resource.RLIMIT_NPROC, nproc, nproc),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        resource.setrlimit(which, (soft, hard))
    if uid is not None:  # last: the steps above need root
        _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


class _PidsCgroup:
    """A per-run cgroup with `pids.max`: the fork-bomb cap that also binds root, and a reliable kill list."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_pids: int) -> _PidsCgroup | None:
        if not _is_root():
            return None
        for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
            if not (base / "cgroup.procs").exists():
                continue
            path = base / f"validators-sandbox-{os.getpid()}-{next(_run_ids)}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(max_pids))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path)
        return None

    @property
    def procs_file(self) -> str:
        return str(self.path / "cgroup.procs")

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def cap_hit(self) -> bool:
        try:
            events = (self.path / "pids.events").read_text().split()
        except OSError:
            return False
        return len(events) >= 2 and events[0] == "max" and events[1] != "0"

    async def kill_all_and_remove(self) -> None:
        for _ in range(200):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.005)
        with contextlib.suppress(OSError):
            self.path.rmdir()


@functools.cache
def _namespaces_work() -> bool:
    """Probe once per process: a container or a non-root user may forbid namespaces or mounts."""
    if not _is_root():
        return False
    workdir = tempfile.mkdtemp(prefix="sandbox-probe-")
    try:
        subprocess.run(
            [sys.executable, "-c", ""], preexec_fn=functools.partial(_enter_namespaces, workdir), check=True
        )
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.rmdir(workdir)
    return True


def _run_uid() -> int:
    return _RUN_UID_BASE + ((os.getpid() & 0x3FFFFF) << 8) + (next(_uid_ids) & 0xFF)


@functools.cache
def _drop_mode() -> Literal["per_run", "nobody"] | None:
    """As root, which unprivileged uid the code can run under: its own per run, else nobody, else none.

    Probed once with the real child setup: the interpreter (and pytest, when the harness has it) must start.
    """
    if not _is_root():
        return None
    namespaces = _namespaces_work()
    code = "import pytest" if importlib.util.find_spec("pytest") else ""
    for uid in (_run_uid(), _NOBODY):
        workdir = tempfile.mkdtemp(prefix="sandbox-probe-")
        try:
            os.chown(workdir, uid, uid)
            setup = functools.partial(
                _child_setup, workdir, SandboxLimits(), _count_processes(uid) + 64, None, namespaces, uid,
                _blocked_for_interpreter(),
            )
            subprocess.run([sys.executable, "-c", code], cwd=workdir, env=scrubbed_env(workdir), preexec_fn=setup,
                           check=True, timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return "per_run" if uid != _NOBODY else "nobody"
    return None


@functools.cache
def _make_harness_undumpable() -> bool:
    """Without root: a non-dumpable process's /proc/<pid>/* turn root-owned, so our children cannot read our
    environ. Process-wide and permanent (also blocks same-user debuggers attaching to the harness)."""
    return bool(_libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)


def available_isolation() -> Isolation:
    """What a run on this host would get, so callers (and tests) can check before running hostile code."""
    cgroup = _PidsCgroup.create(1)
    if cgroup:
        cgroup.path.rmdir()
    return _isolation(_namespaces_work(), cgroup is not None, _drop_mode() is not None)


def _isolation(namespaces: bool, cgroup: bool, unprivileged: bool) -> Isolation:
    process_cap: Literal["cgroup", "rlimit", "none"] = (
        "cgroup" if cgroup else ("rlimit" if unprivileged or not _is_root() else "none")
    )
    return Isolation(
        network=namespaces, readonly_filesystem=namespaces, process_cap=process_cap, unprivileged_user=unprivileged
    )


def _count_processes(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(entry.path).st_uid == uid:
                    count += 1
    return count


def scrubbed_env(workdir: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing inherited but PATH and locale, and no key, token or secret names at all."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUTF8": "1",
    }
    for key, value in (extra or {}).items():
        if key not in _SAFE_ENV_KEYS or _SECRET_KEY.search(key):
            raise ValueError(f"environment variable {key!r} is not allowed into the sandbox")
        env[key] = value
    return env


def _secret_values(environ: Mapping[str, str]) -> list[str]:
    values = {v for k, v in environ.items() if _SECRET_KEY.search(k) and len(v) >= _MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace the value of every secret-named variable of `environ` (default: ours) with "[redacted]".

    Also a secret's head left at the very end of `text` (output cut off at the cap mid-secret).
    """
    for secret in _secret_values(os.environ if environ is None else environ):
        text = text.replace(secret, _REDACTED)
        for cut in range(len(secret) - 1, 3, -1):
            if text.endswith(secret[:cut]):
                text = text[:-cut] + _REDACTED
                break
    return text


def _classify(returncode: int | None, stdout: str, stderr: str) -> Limit | None:
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode == 0:
        return None
    text = stdout[-20_000:] + stderr[-20_000:]
    if "MemoryError" in text or "Cannot allocate memory" in text:
        return "memory"
    if "Resource temporarily unavailable" in text or "BlockingIOError" in text:
        return "nproc"
    if "File too large" in text:
        return "fsize"
    return None


def _write_files(workdir: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        target = (workdir / name).resolve()
        if not target.is_relative_to(workdir):
            raise ValueError(f"sandbox file {name!r} escapes the sandbox directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid)
    for folder, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


@dataclasses.dataclass(frozen=True)
class _Plan:
    namespaces: bool
    workdir: Path
    cgroup: _PidsCgroup | None
    nproc: int
    uid: int | None


def _prepare(files: Mapping[str, str | bytes], limits: SandboxLimits) -> _Plan:
    """The blocking part of the setup (probes, temp dir, files, cgroup, uid), run off the event loop."""
    namespaces = _namespaces_work()
    mode = _drop_mode()
    if not _is_root():
        _make_harness_undumpable()
    uid = _run_uid() if mode == "per_run" else (_NOBODY if mode == "nobody" else None)
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-")).resolve()
    try:
        _write_files(workdir, files)
        if uid is not None:
            _chown_tree(workdir, uid)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    cgroup = _PidsCgroup.create(limits.nproc)
    if mode == "per_run":  # a uid of its own: one above the cgroup cap, so the cgroup (which reports) hits first
        nproc = limits.nproc + (1 if cgroup else 0)
    elif uid is not None or not _is_root():  # a shared uid: count what it already runs
        nproc = _count_processes(os.getuid() if uid is None else uid) + limits.nproc
    else:
        nproc = limits.nproc  # root: does not bind
    return _Plan(namespaces=namespaces, workdir=workdir, cgroup=cgroup, nproc=nproc, uid=uid)


async def _drain(stream: asyncio.StreamReader, cap: int, on_overflow: Callable[[], None]) -> bytes:
    """Read incrementally; past the cap keep nothing more and stop the writer."""
    kept = bytearray()
    while chunk := await stream.read(65536):
        room = cap - len(kept)
        kept += chunk[: max(room, 0)]
        if len(chunk) > room:
            on_overflow()
            break
    return bytes(kept)


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _exited_within(proc: asyncio.subprocess.Process, deadline: float) -> bool:
    """Watch the main process itself: `wait()` would also wait for every inheritor of its pipes."""
    while proc.returncode is None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def run_sandboxed(
    argv: Sequence[str],
    files: Mapping[str, str | bytes],
    limits: SandboxLimits | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Write `files` into a fresh temp dir, run `argv` there under the limits, and always clean up."""
    limits = limits or SandboxLimits()
    started = time.monotonic()
    plan = await asyncio.to_thread(_prepare, files, limits)
    namespaces, workdir, cgroup = plan.namespaces, plan.workdir, plan.cgroup
    isolation = _isolation(namespaces, cgroup is not None, plan.uid is not None)
    overflow = False
    pids_capped = False
    proc: asyncio.subprocess.Process | None = None
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=workdir,
            env=scrubbed_env(str(workdir), extra_env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=functools.partial(
                _child_setup, str(workdir), limits, plan.nproc, cgroup.procs_file if cgroup else None, namespaces,
                plan.uid, _blocked_for_interpreter(),
            ),
        )
        assert proc.stdout is not None and proc.stderr is not None

        pid = proc.pid

        def stop_on_overflow() -> None:
            nonlocal overflow
            overflow = True
            _killpg(pid)

        readers = [
            asyncio.ensure_future(_drain(proc.stdout, limits.output_cap_bytes, stop_on_overflow)),
            asyncio.ensure_future(_drain(proc.stderr, limits.output_cap_bytes, stop_on_overflow)),
        ]
        timed_out = not await _exited_within(proc, started + limits.wall_s)
        _killpg(proc.pid)
        if cgroup:
            pids_capped = cgroup.cap_hit()
            await cgroup.kill_all_and_remove()
            cgroup = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), timeout=1.0)
        returncode = proc.returncode
        done, pending = await asyncio.wait(readers, timeout=1.0)
        for task in pending:  # a process that left the group may still hold the pipe open
            task.cancel()
        out, err = (task.result() if task in done else b"" for task in readers)
    finally:  # also on cancellation: nothing the code started outlives the call
        if proc is not None:
            _killpg(proc.pid)
        if cgroup:
            await cgroup.kill_all_and_remove()
        await asyncio.to_thread(shutil.rmtree, workdir, ignore_errors=True)
    # The one place every executing validator reads output from: no secret value gets past here.
    stdout = redact(out.decode("utf-8", "replace"))
    stderr = redact(err.decode("utf-8", "replace"))
    limit: Limit | None
    if overflow:
        limit = "output_cap"
    elif pids_capped:
        limit = "nproc"
    elif timed_out:
        limit = "timeout"
    else:
        limit = _classify(returncode, stdout, stderr)
    return SandboxResult(
        returncode=None if timed_out else returncode,
        stdout=stdout,
        stderr=stderr,
        limit_hit=limit,
        duration_s=time.monotonic() - started,
        isolation=isolation,
    )
