"""Runs `yunqiao` subcommands for the Python suites (pytests/conformance, pytests/browser): the binary, a server
process that announces `listening on http://HOST:PORT` on stdout, and its orderly stop (SIGTERM, exit code 0).

`pytests/pytest.ini` puts this directory on `sys.path`, so every suite imports it as `yunqiao_process`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterator, TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@cache
def yunqiao_binary() -> str:
    """`$YUNQIAO_BIN` (made absolute: servers may run in another directory), or the debug build of the package
    (`swift build --show-bin-path`)."""
    configured = os.environ.get("YUNQIAO_BIN")
    if configured:
        return os.path.abspath(configured) if os.sep in configured else configured
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
    binary = Path(bin_path) / "yunqiao"
    if not binary.exists():
        pytest.exit(f"{binary} does not exist: run `swift build --product yunqiao` first (or set YUNQIAO_BIN)", 2)
    return str(binary)


@dataclass
class YunqiaoProcess:
    """A running `yunqiao` server: its base URL (from its `listening on` line), its stdout so far, its stderr file."""

    process: subprocess.Popen
    base: str
    stderr_path: str
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.process.args[1]) if isinstance(self.process.args, list) else "yunqiao"

    def stop(self) -> int:
        """SIGTERM, then waits; fails when the process does not stop within `STOP_TIMEOUT` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"yunqiao {self.name} did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM") from None
        return self.process.returncode


P = TypeVar("P", bound=YunqiaoProcess)


def start_yunqiao(*args: str, env: dict[str, str] | None = None, cwd: str | Path | None = None,
                  kind: type[P] = YunqiaoProcess, timeout: float = START_TIMEOUT, **fields: Any) -> P:
    """Starts `yunqiao ARGS` and waits (at most `timeout` seconds) for `listening on http://HOST:PORT…` on its stdout
    (the first word after `listening on` is the base URL). `env` is added to this process's environment; `fields` go
    to `kind`."""
    stderr = tempfile.NamedTemporaryFile(prefix=f"yunqiao-{args[0]}-", suffix=".log", delete=False)
    command = [yunqiao_binary(), *args]
    with stderr:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1, cwd=cwd,
                                   env={**os.environ, **env} if env else None)
    lines: list[str] = []
    found: dict[str, str] = {}
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "base" not in found and line.startswith("listening on http://"):
                found["base"] = line.split()[2]
                ready.set()
        ready.set()  # EOF: the process ended

    threading.Thread(target=read_stdout, daemon=True).start()
    if not ready.wait(timeout) or "base" not in found:
        process.kill()
        process.wait()
        log = Path(stderr.name).read_text(errors="replace")
        raise RuntimeError(f"yunqiao {args[0]} did not start: {command}\nstdout: {lines}\nstderr: {log}")
    return kind(process=process, base=found["base"], stderr_path=stderr.name, stdout_lines=lines, **fields)


@contextmanager
def stopped_at_exit(server: P) -> Iterator[P]:
    """Yields `server`, then stops it: it must exit 0 after SIGTERM. Its stderr file is kept only on failure."""
    try:
        yield server
    finally:
        code = server.stop()
    assert code == 0, f"yunqiao {server.name} exited with {code} after SIGTERM; its stderr is in {server.stderr_path}"
    os.unlink(server.stderr_path)
