"""Rendering and signing off the event loop: a process pool by default.

WeasyPrint holds the GIL for most of a render, so threads would stall the app's event loop
(and with it every sync push). Worker processes take the whole job: structs and bytes in,
signed PDF bytes out. One pool per process and size is shared by every app in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import msgspec

from pdf.context import RenderJob
from pdf.lifeline import follow_app
from pdf.render import render_pdf, weasyprint_warnings
from pdf.sign import Certificate, reason_text, sign_pdf


class Rendered(msgspec.Struct, frozen=True):
    """A signed report and what WeasyPrint warned about while rendering it."""

    pdf: bytes
    warnings: list[str]


def render_and_sign(job: RenderJob) -> Rendered:
    """Render ``job`` to PDF and sign it (runs in a worker)."""
    ctx = job.context
    with weasyprint_warnings() as warnings:
        pdf = render_pdf(ctx, job.resources)
    cert = Certificate(Path(job.pkcs12_path), job.pkcs12_passphrase)
    signed = sign_pdf(
        pdf,
        cert,
        reason=reason_text(ctx.report.number, ctx.report.revision, ctx.report.content_sha256),
        location=ctx.company.address,
        name=ctx.company.name,
    )
    return Rendered(pdf=signed, warnings=list(warnings))


WORKER_NICENESS = 10
"""Workers yield the CPU to the app: a sync push must not wait behind a report."""


def _warm_up(app_pid: int) -> None:
    follow_app(app_pid)
    # Reports are background work: on a small machine the app's event loop comes first.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    # Load WeasyPrint, Pango and the fonts once per worker, not during the first report.
    from weasyprint import HTML

    HTML(string="<p>预热 warm-up 0123</p>").write_pdf()


_POOLS: dict[int, Executor] = {}
_LOCK = threading.Lock()


def executor(workers: int) -> Executor:
    """The shared executor: ``workers`` processes, or one thread when ``workers`` is 0."""
    with _LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            if workers <= 0:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report")
            else:
                # forkserver: workers start from a clean process, not a copy of the app's
                # threads and open connections.
                ctx = multiprocessing.get_context("forkserver")
                pool = ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=ctx,
                    initializer=_warm_up,
                    initargs=(os.getpid(),),
                )
            _POOLS[workers] = pool
        return pool


def _discard(workers: int, pool: Executor) -> None:
    """Forget a broken pool, so that the next report starts a fresh one."""
    with _LOCK:
        if _POOLS.get(workers) is pool:
            del _POOLS[workers]
    pool.shutdown(wait=False, cancel_futures=True)


async def render_in_pool(job: RenderJob, workers: int) -> Rendered:
    """Render and sign ``job`` in the shared pool without blocking the event loop.

    A pool whose worker died (killed for memory, say) is broken for good: it is replaced and
    the report tried once more in the fresh one.
    """
    loop = asyncio.get_running_loop()
    pool = executor(workers)
    try:
        return await loop.run_in_executor(pool, render_and_sign, job)
    except BrokenProcessPool:
        _discard(workers, pool)
    return await loop.run_in_executor(executor(workers), render_and_sign, job)


def shutdown() -> None:
    """Stop every pool of this process (a served app does, when it stops)."""
    with _LOCK:
        for pool in _POOLS.values():
            pool.shutdown(wait=False, cancel_futures=True)
        _POOLS.clear()
