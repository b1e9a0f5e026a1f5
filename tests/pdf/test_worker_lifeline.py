"""Worker processes end with the app that started them, however the app ends.

A report worker (WeasyPrint loaded) or a photo worker (Pillow) left behind by a killed app
held a few hundred MB and its forkserver for good; a server restarted by its supervisor after
SIGKILL left one more each time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The "app": starts a pool the way the app does, has it do one piece of work, prints its
# workers' pids, and ends without shutting the pool down.
APP = r"""
import asyncio, json, os, signal, sys
from pathlib import Path
kind, how, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
if kind == "reports":
    from pdf.worker import executor
    pool = executor(1)
    pool.submit(os.getpid).result()
else:
    from PIL import Image
    from api.media.images import IngestPool
    photo = folder / "photo.jpg"
    Image.new("RGB", (64, 48), "red").save(photo)
    ingest = IngestPool(workers=1)
    asyncio.run(ingest.ingest(photo, "a" * 64))
    pool = ingest._pool
print(json.dumps(sorted(pool._processes)), flush=True)
os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGTERM)
"""


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize("how", ["kill", "term"])
@pytest.mark.parametrize("kind", ["reports", "photos"])
def test_pool_workers_and_their_forkserver_end_when_the_app_is_killed(
    kind: str, how: str, tmp_path: Path
) -> None:
    # Into files, not pipes: a worker left behind would hold a pipe open, and the wait with it.
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        app = subprocess.run(
            [sys.executable, "-c", APP, kind, how, str(tmp_path)],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
            timeout=120,
        )
    assert app.returncode < 0, err.read_text()  # ended by the signal, without cleaning up
    workers: list[int] = json.loads(out.read_text().strip().splitlines()[-1])
    assert workers, "the pool started no worker"
    forkservers = {parent for pid in workers if (parent := _parent_of(pid)) not in (None, 1)}
    left = set(workers) | forkservers
    deadline = time.monotonic() + 20
    while left and time.monotonic() < deadline:
        left = {pid for pid in left if _running(pid)}
        time.sleep(0.1)
    assert not left, f"processes of the {kind} pool outlived the app: {sorted(left)}"
