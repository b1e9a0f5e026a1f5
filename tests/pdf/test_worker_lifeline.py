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

from tests.helpers import require

ROOT = Path(__file__).resolve().parents[2]

# The "app": starts a pool the way the app does, has it do one piece of work, prints its
# workers' pids and their forkserver's (their parent), and ends without shutting the pool down.
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
workers = sorted(pool._processes)
parents = {int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1]) for pid in workers}
print(json.dumps({"workers": workers, "forkservers": sorted(parents)}), flush=True)
os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGTERM)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("how", ["kill", "term"])
@pytest.mark.parametrize("kind", ["reports", "photos"])
def test_pool_workers_and_their_forkserver_end_when_the_app_is_killed(
    kind: str, how: str, tmp_path: Path
) -> None:
    if not Path("/proc").is_dir():
        require("reads processes from /proc (Linux)")
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
    started = json.loads(out.read_text().strip().splitlines()[-1])
    workers, forkservers = set(started["workers"]), set(started["forkservers"])
    assert workers, "the pool started no worker"
    assert len(forkservers) == 1, forkservers  # the pool's workers come from one forkserver
    left = workers | forkservers
    deadline = time.monotonic() + 20
    while left and time.monotonic() < deadline:
        left = {pid for pid in left if _running(pid)}
        time.sleep(0.1)
    assert not left, f"processes of the {kind} pool outlived the app: {sorted(left)}"
