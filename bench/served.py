"""A ``fieldsync serve`` process for the benchmarks: a fresh SQLite data folder, accounts made
with the CLI, the server on a free loopback port until the block ends."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

FIELDSYNC = str(Path(sys.executable).with_name("fieldsync"))


def free_port() -> int:
    """A TCP port free on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and its data folder."""

    base: str
    data: Path


@contextmanager
def fieldsync_server(
    users: Sequence[tuple[str, str, str]], env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Serve Fieldsync with these (role, username, password) accounts; the server's log is
    printed (without access lines) when the block fails."""
    import os

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        full = {**os.environ, **(env or {}), "FIELDSYNC_DATA_DIR": str(data)}
        full.pop("FIELDSYNC_DATABASE_URL", None)
        subprocess.run([FIELDSYNC, "db", "upgrade"], env=full, check=True, capture_output=True)
        for role, name, password in users:
            command = ["user", "create", "--role", role, "--username", name]
            subprocess.run(
                [FIELDSYNC, *command, "--password", password],
                env=full,
                check=True,
                capture_output=True,
            )
        port = free_port()
        log_path = data / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [FIELDSYNC, "serve", "--no-migrate", "--port", str(port)],
                env=full,
                stdout=log,
                stderr=log,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_http(f"{base}/health", server, log_path)
                yield Served(base, data)
            except Exception:
                lines = log_path.read_text().splitlines()
                kept = [x for x in lines if "fieldsync.access" not in x]
                print("\n".join(kept)[-6000:], file=sys.stderr)
                raise
            finally:
                server.terminate()
                server.wait(timeout=30)
