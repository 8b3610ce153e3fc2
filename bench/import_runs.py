"""The import benchmark's two timed measurements: (A) the full import, (B) the bare spaCy baseline.

Shared by bench/import_bench.py's worker subprocesses and its ``--profile`` mode (bench/import_profile.py).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.measure import Sample, runqueue_wait_s

PROJECT = "Bench"
CASE = "Bench"

# ---------------------------------------------------------------------------------------------
# The two measurements
# ---------------------------------------------------------------------------------------------

class ImportRun:
    """(A) the full import into a fresh, migrated SQLite database."""

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        from cases.projects import create_project
        from cases.staged_import import import_files
        from store.db import get_engine, write_session
        from store.migrate import upgrade

        self.files = files
        self._import_files, self._create_project = import_files, create_project
        self._get_engine, self._write_session, self._upgrade = get_engine, write_session, upgrade

    def __call__(self, profiler=None) -> dict:  # type: ignore[no-untyped-def]
        from sqlalchemy import func, select

        from store.models import Document, Sentence, Turn

        tmp = tempfile.mkdtemp(prefix="kruispunt-bench-")
        try:
            url = f"sqlite:///{tmp}/bench.sqlite"
            t0 = time.perf_counter()
            engine = self._upgrade(url)
            with self._write_session(engine) as session:
                self._create_project(session, PROJECT)
            setup = time.perf_counter() - t0
            if profiler is not None:
                profiler.enable()
            with Sample(runqueue_wait_s) as sample:
                outcomes = self._import_files(engine, PROJECT, self.files, case_name=CASE, language="nl")
            if profiler is not None:
                profiler.disable()
            errors = [o.error for o in outcomes if o.error]
            if errors:
                raise SystemExit(f"import refused {len(errors)} file(s), e.g. {errors[0]}")
            with engine.connect() as conn:
                counts = {name: conn.scalar(select(func.count()).select_from(model))
                          for name, model in (("documents", Document), ("turns", Turn), ("sentences", Sentence))}
            engine.dispose()
            self._get_engine.cache_clear()
            db_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {"seconds": sample.seconds, "cpu_seconds": sample.cpu, "runqueue_wait_seconds": sample.waited,
                "setup_seconds": setup, "db_bytes": db_bytes, **counts, **sample.gc.as_dict()}


class BaselineRun:
    """(B) the same spaCy pipeline over the whole file texts, sentences consumed."""

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        from cases.nlp import sentence_pipeline

        self.texts = [data.decode("utf-8") for _, data in files]
        self._pipeline = sentence_pipeline

    def __call__(self, profiler=None) -> dict:  # type: ignore[no-untyped-def]
        with Sample(runqueue_wait_s) as sample:
            nlp = self._pipeline("nl")  # cached after the first call, as in the product
            sentences = 0
            chars = 0
            for doc in nlp.pipe(self.texts):
                for sent in doc.sents:
                    sentences += 1
                    chars += sent.end_char - sent.start_char
        return {"seconds": sample.seconds, "cpu_seconds": sample.cpu, "runqueue_wait_seconds": sample.waited,
                "sentences": sentences, "sentence_chars": chars, **sample.gc.as_dict()}
