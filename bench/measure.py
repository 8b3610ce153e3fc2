"""Measurement scaffolding shared by the benchmarks (bench/import_bench.py, coding_bench.py, matrix_bench.py,
bin_bench.py).

All benchmarks report the same facts about the machine and its load, time their samples
the same way and summarise them the same way. Keeping that in one place means a figure
called ``cpu_median_s`` or ``load_before`` means the same thing in every result file.
Only the standard library is imported here, so a benchmark's worker process loads
nothing else by importing it.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# ---------------------------------------------------------------------------------------------
# Machine, versions and load
# ---------------------------------------------------------------------------------------------


def fs_type(path: str) -> str:
    """The filesystem type of the mount `path` is on ('?' if unknown): tmpfs or ext4 changes SQLite's commit cost."""
    best, fstype = "", "?"
    try:
        with open("/proc/mounts") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3 and path.startswith(parts[1]) and len(parts[1]) > len(best):
                    best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return fstype


def machine(*, processor: bool = False) -> dict:
    """What the figures were measured on; `processor` adds platform.processor() (the import benchmark's key)."""
    out: dict[str, Any] = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                           "machine": platform.machine()}
    if processor:
        out["processor"] = platform.processor() or None
    tmp = tempfile.gettempdir()
    return out | {"tempdir": tmp, "tempdir_fs": fs_type(tmp)}


def versions(*packages: str) -> dict[str, str | None]:
    """Python and SQLite versions, then each installed package's version (None when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _cpu_pressure_some() -> dict[str, str] | None:
    """The "some" line of Linux's CPU pressure (PSI) as {"avg10": ..., "total": ...}; None without PSI."""
    try:
        with open("/proc/pressure/cpu") as fh:
            return dict(field.split("=", 1) for field in fh.readline().split()[1:])
    except (OSError, ValueError):
        return None


def load() -> dict:
    """What else the machine was doing: load average and Linux CPU pressure (PSI some avg10), if available."""
    out: dict[str, Any] = {"loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
    psi = _cpu_pressure_some()
    try:
        out["cpu_pressure_some_avg10"] = float(psi["avg10"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        pass
    return out


def describe_machine(r: dict) -> str:
    """The report's machine and load lines, from a result's "machine", "load_before" and "load_after"."""
    m, lb, la = r["machine"], r["load_before"], r["load_after"]
    return (f"machine: {m['cpu_count']} CPUs, {m['platform']}; tempdir {m['tempdir']} ({m['tempdir_fs']})\n"
            f"load: loadavg {lb['loadavg'][0]:.2f} before, {la['loadavg'][0]:.2f} after; CPU pressure (PSI some "
            f"avg10) {lb.get('cpu_pressure_some_avg10', '?')}% before, {la.get('cpu_pressure_some_avg10', '?')}% "
            "after")


# ---------------------------------------------------------------------------------------------
# Load probes: counters in seconds, read at both ends of a sample
# ---------------------------------------------------------------------------------------------


def runqueue_wait_s() -> float | None:
    """Seconds this process's main thread has spent runnable but waiting for a CPU (Linux schedstat): other load."""
    try:
        with open("/proc/self/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def cpu_pressure_total_s() -> float | None:
    """Machine-wide seconds in which some task waited for a CPU (Linux PSI "some" total)."""
    psi = _cpu_pressure_some()
    try:
        return int(psi["total"]) / 1e6  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Timing one sample
# ---------------------------------------------------------------------------------------------


class GCTimer:
    """Time in Python's cyclic garbage collector inside a `with` block (any thread), via gc.callbacks.

    A full collection can land in any sample; timing it says whether a slow sample was the code or the GC.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._t0: float | None = None

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        elif self._t0 is not None:
            self.seconds += time.perf_counter() - self._t0
            self.collections[info["generation"]] += 1
            self._t0 = None

    def __enter__(self) -> GCTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def as_dict(self) -> dict:
        return {"gc_seconds": self.seconds, "gc_collections": self.collections}


class Sample:
    """Wall time, process CPU time (all threads), cyclic-GC time of a `with` block, and how far a load probe moved.

    One shape for every timed sample, so that the benchmarks' figures mean the same. The probe
    (runqueue_wait_s, cpu_pressure_total_s, or none) is read just inside the wall-clock window;
    `waited` is its difference, or None where the probe is unavailable.
    """

    def __init__(self, probe: Callable[[], float | None] | None = None, probe_key: str = "waited_s") -> None:
        self._probe = probe or (lambda: None)
        self._probe_key = probe_key
        self.seconds = self.cpu = 0.0
        self.waited: float | None = None

    def __enter__(self) -> Sample:
        self.gc = GCTimer().__enter__()
        self.p0, self.c0, self.t0 = self._probe(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds, self.cpu = time.perf_counter() - self.t0, time.process_time() - self.c0
        p1 = self._probe()
        self.gc.__exit__()
        self.waited = None if self.p0 is None or p1 is None else p1 - self.p0

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu, "gc_seconds": self.gc.seconds,
                "gc_collections": self.gc.collections, self._probe_key: self.waited}


def summarise(runs: list[dict], per: int = 1, nullable: Mapping[str, str] | None = None) -> dict:
    """Median/min/max of the samples' wall time and the CPU and GC medians, all divided by `per` (items per sample).

    `nullable` maps an output key to a run field that may be None (a load probe the machine lacks):
    its median, undivided, or None if any run lacks it.
    """
    values = [r["seconds"] / per for r in runs]
    out = {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values), "runs_s": values,
           "cpu_median_s": statistics.median(r["cpu_seconds"] / per for r in runs),
           "gc_median_s": statistics.median(r["gc_seconds"] / per for r in runs)}
    for key, field in (nullable or {}).items():
        out[key] = (statistics.median(r[field] for r in runs) if all(r[field] is not None for r in runs)
                    else None)
    return out


def write_json(path: Path, data: dict) -> Path:
    """Write a result file (creating bench/results/); values JSON cannot hold are written as str."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# Streamlit server and Chromium (tests/browser_support.py does the same for the tests, but it
# imports pytest and fails with pytest.fail; a benchmark records a note and carries on instead)
# ---------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("KRUISPUNT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    """A local TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium through Playwright (no browser download), with the flags this closed network needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Server:
    url: str | None  # the base URL, or None when the server did not answer in time
    log: str         # its output; kept for the reader when something went wrong


@contextmanager
def streamlit_server(env: Mapping[str, str], log_prefix: str, timeout_s: float = 90, *,
                     command: Sequence[str] = ("-m", "ui.serve"), cwd: Path = ROOT,
                     options: Sequence[str] = ()) -> Iterator[Server]:
    """`python -m ui.serve` (as `make run`; or `python <command>` in `cwd`, e.g. `streamlit run` of a script or the
    app from a snapshot of the repository) on a free local port until healthy; stopped and its log closed on exit.

    Yields a Server whose url is None if it did not become healthy within `timeout_s` or exited.
    The log file is left on disk: the caller deletes it once everything went well.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=log_prefix, suffix=".log", delete=False)
    server = subprocess.Popen(
        [sys.executable, *command, "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false", *options],
        cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        url: str | None = base
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                url = None
                break
            time.sleep(0.2)
        yield Server(url=url, log=log.name)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(kind: str, prefix: str) -> Iterator[str]:
    """A database only this run uses: a SQLite file in a temporary folder, or a new PostgreSQL database on the
    local server (dropped afterwards, with every connection to it). Yields its URL, not yet migrated."""
    from sqlalchemy import create_engine, text

    with tempfile.TemporaryDirectory(prefix=f"kruispunt-{prefix}-") as tmp:
        if kind == "sqlite":
            url = f"sqlite:///{tmp}/{prefix}.sqlite"
            try:
                yield url
            finally:
                _dispose(url)
            return
        name = f"kp_{prefix}_{os.getpid()}_{time.time_ns() % 10**8}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        try:
            yield url
        finally:
            _dispose(url)
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _dispose(url: str) -> None:
    from store.db import get_engine

    get_engine(url).dispose()
