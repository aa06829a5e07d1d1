"""Startup errors of `yunqiao` (hardening issue #13): a database that cannot be opened, and a secret key that must not
be replaced, stop the process at once with a message naming the file and the cause, and a non-zero exit status —
never "SQLite error 14", never a silent hang, never a new key for a database whose secrets were sealed with the old one.

The read-only and unreadable cases need a user that file permissions apply to: run as root, the commands run as
`nobody` (through `setpriv`), in directories handed to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from yunqiao_process import yunqiao_binary

TIMEOUT = 60


def run(*args: str, env: dict[str, str] | None = None, as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    """Runs `yunqiao ARGS` to its end (failing the test when it hangs), without YUNQIAO_* settings of the caller."""
    command = [yunqiao_binary(), *args]
    if as_nobody and os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--", *command]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("YUNQIAO_")}
    environment.update(env or {})
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=environment, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{command} did not end within {TIMEOUT} s; stderr so far: {error.stderr!r}") from None


def hand_to_nobody(path: Path) -> None:
    """When root: `path` (and what is in it) belongs to `nobody`, who runs the commands of the unprivileged cases."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for item in [path, *path.rglob("*")]:
            os.chown(item, nobody.pw_uid, nobody.pw_gid)


@pytest.fixture()
def workdir() -> Iterator[Path]:
    """A fresh directory that `nobody` can reach (pytest's own tmp_path lies under a directory of mode 0700)."""
    directory = Path(tempfile.mkdtemp(prefix="yunqiao-startup-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture()
def nobody() -> None:
    """The permission cases: skipped when run as root without `setpriv` (root reads and writes every file)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("run as root without setpriv: cannot drop to nobody")


def add_enterprise(database: Path, as_nobody: bool = False) -> None:
    """A database with a sealed app secret (and its key file)."""
    done = run("enterprise", "add", "--database", str(database), "--name", "示例科技", "--app-id", "cli_startup",
               "--app-secret", "startup-secret-1", as_nobody=as_nobody)
    assert done.returncode == 0, done.stderr
    assert Path(f"{database}.key").exists()


@pytest.mark.parametrize("command", [["serve"], ["enterprise", "list"], ["sync", "feishu", "--enterprise", "x"]])
def test_a_missing_directory_is_named(workdir: Path, command: list[str]) -> None:
    database = workdir / "missing" / "yunqiao.sqlite"
    done = run(*command, env={"YUNQIAO_DATABASE": str(database)})
    assert done.returncode != 0
    assert f"cannot open the database {database}: the directory {workdir / 'missing'} does not exist" in done.stderr
    assert "SQLite error" not in done.stderr
    assert not (workdir / "missing").exists()


def test_the_demo_does_not_hang_on_a_missing_directory(workdir: Path) -> None:
    database = workdir / "nonexistent" / "x.sqlite"
    done = run("demo", "--database", str(database), "--port", "0", "--emulator-port", "0")
    assert done.returncode != 0
    assert f"cannot open the database {database}: the directory {workdir / 'nonexistent'} does not exist" in done.stderr
    assert "listening on" not in done.stdout


@pytest.mark.usefixtures("nobody")
def test_a_read_only_directory_is_named(workdir: Path) -> None:
    directory = workdir / "readonly"
    directory.mkdir()
    hand_to_nobody(directory)
    directory.chmod(0o555)
    try:
        done = run("enterprise", "list", "--database", str(directory / "yunqiao.sqlite"), as_nobody=True)
    finally:
        directory.chmod(0o755)
    assert done.returncode != 0
    assert f"the directory {directory} is not writable by this user" in done.stderr
    assert "readonly database" not in done.stderr


def test_a_missing_key_file_is_not_replaced_while_secrets_are_sealed(workdir: Path) -> None:
    database = workdir / "yunqiao.sqlite"
    add_enterprise(database)
    key = Path(f"{database}.key")
    backup = key.read_bytes()
    key.unlink()
    for command in (["enterprise", "list", "--database", str(database)], ["serve"]):
        done = run(*command, env={"YUNQIAO_DATABASE": str(database), "YUNQIAO_HTTP_PORT": "0"})
        assert done.returncode != 0, done.stdout
        assert f"the key file {key} is missing, but the database holds 1 secret(s) sealed with it" in done.stderr
        assert not key.exists()
    # The key back from the backup: everything as before.
    key.write_bytes(backup)
    listed = run("enterprise", "list", "--database", str(database))
    assert listed.returncode == 0, listed.stderr
    assert "cli_startup" in listed.stdout and "••••••••et-1" in listed.stdout


@pytest.mark.usefixtures("nobody")
def test_a_key_file_that_cannot_be_read_is_never_replaced(workdir: Path) -> None:
    directory = workdir / "data"
    directory.mkdir()
    hand_to_nobody(directory)
    database = directory / "yunqiao.sqlite"
    add_enterprise(database, as_nobody=True)
    key = Path(f"{database}.key")
    before = key.read_bytes()
    if os.geteuid() == 0:
        os.chown(key, 0, 0)  # root's, 0600: nobody cannot read it
    else:
        key.chmod(0)
    try:
        done = run("enterprise", "list", "--database", str(database), as_nobody=True)
    finally:
        if os.geteuid() != 0:
            key.chmod(0o600)
    assert done.returncode != 0
    assert f"cannot read the key file {key} (Permission denied); it is never replaced" in done.stderr
    assert key.read_bytes() == before


def test_the_files_are_created_0600(workdir: Path) -> None:
    database = workdir / "yunqiao.sqlite"
    add_enterprise(database)
    for name in (database, Path(f"{database}.key")):
        assert name.stat().st_mode & 0o777 == 0o600, name

