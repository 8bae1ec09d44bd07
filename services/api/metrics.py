"""Prometheus metrics of one API process, or of all of them under `sway api --workers N`.

Several processes each count in their own memory, so a scrape would see only the one process
that answered it. prometheus_client's multiprocess mode instead has every process write its
samples to files in PROMETHEUS_MULTIPROC_DIR, and /metrics sums those files. The variable must
be set before any process imports prometheus_client (it picks its value store at import), so
the parent sets it and uvicorn's spawned workers inherit it."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_across(workers: int) -> Iterator[None]:
    """For more than one worker: a fresh, empty directory for this start, removed at the end,
    so the files of an earlier run never add to this run's counts. One worker: nothing."""
    if workers <= 1:
        yield
        return
    directory = tempfile.mkdtemp(prefix="sway-metrics-")
    os.environ[MULTIPROC_DIR] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(directory, ignore_errors=True)


def exposition() -> bytes:
    """The text format of this process's metrics, or of every process sharing the directory."""
    if not os.environ.get(MULTIPROC_DIR):
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def process_exited() -> None:
    """A stopping worker's live gauges must no longer count (counters and histograms stay:
    what a process counted before it stopped still happened)."""
    if os.environ.get(MULTIPROC_DIR):
        multiprocess.mark_process_dead(os.getpid())
