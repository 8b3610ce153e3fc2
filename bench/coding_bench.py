"""Coding workspace benchmark: the Coding page's rerun and applying one coding, each against a bare baseline.

    .venv/bin/python bench/coding_bench.py [--repeats 5] [--seed 7] [--per-sample 50] [--no-browser] [--no-profile]

Setup (untimed): a fresh SQLite database in a tempdir (``store.migrate.upgrade``), project
``Bench`` adopting ``value-creation`` and ``network-conditions``, one seeded synthetic
Dutch-like transcript of 20,000 words with ``I:``/``R:`` turns (the import benchmark's
generator, ``bench/import_bench.py``) imported through ``preview_import``/``store_import``,
3 coders, and 1,500 codings (1,500 one-code segments: random word-aligned spans of 3-40
words inside respondent turns, random codable codes, coders in turn) inserted through
``coding.codings.apply_coding`` in 5 transactions.

Four kinds, measured in one process, interleaved (A, A0, B, B0, A, A0, ...); one warm-up
round is discarded, then the median of ``--repeats``:

  A   Coding page  ``AppTest(app.py)`` with project, document and coder in the query
                   params, switched to ``pages/coding.py`` and run once; timed: ``at.run()``
                   (a full rerun: app.py, the sidebar, the page with the 20k-word transcript
                   -- sent to the component one part of turns at a time, the first part here,
                   with the highlights of its codings -- and AppTest's parsing of the result).
  A0  trivial page ``AppTest.from_string`` of ``st.title`` + ``st.write``; timed: ``at.run()``.
  B   apply        ``--per-sample`` codings, each one as the Coding page's Apply button does:
                   ``coding.codings.code_span(engine, project guid, document guid, coder, start, end,
                   [key], actor=...)``: one transaction that looks up project, document, text
                   version, coder and code, checks span, code and duplicates, inserts the segment,
                   the coding and the event, and commits (one commit each).
  B0  bare insert  the same rows (one segment row, one coding row) with raw SQL through the
                   sqlite3 module on the same database file, same PRAGMAs, ``BEGIN IMMEDIATE``,
                   two INSERTs, ``COMMIT`` (one commit each).

B and B0 write the same spans/coders/codes; after each sample the rows it added (and the
events B logged) are deleted again, untimed, so the Coding page always shows exactly 1,500
highlights; each B/B0 sample starts on an empty WAL (untimed checkpoint). Targets (issue 3):
A <= 5x A0, B <= 3x B0 (medians).

Each round also runs, as information, A with one ScriptCache kept across runs ("server-like":
AppTest re-reads, magic-rewrites and compiles app.py and the page on every run, the server
does not). Then, as information: an unprofiled breakdown of the Coding page's own work (the same
functions the page calls, timed outside Streamlit), a cProfile of Coding-page reruns (the
script thread and AppTest's main thread, top functions of the project's own code), and a
Playwright time from page load to the highlighted transcript in Debian's Chromium against
``python -m ui.serve`` (skipped with a note when /usr/bin/chromium is missing).

Results go to stdout and bench/results/coding_bench.json (git-ignored).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import logging
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))  # apptest_support: make_app (AppTest of app.py, pages/ workaround)

from bench.measure import (  # noqa: E402
    CHROMIUM, RESULTS, Sample, cpu_pressure_total_s, describe_machine, launch_chromium, load, machine,
    streamlit_server, summarise, versions, write_json,
)

TARGET_PAGE_RATIO = 5.0   # Coding-page rerun within 5x a trivial page's rerun
TARGET_APPLY_RATIO = 3.0  # applying a coding within 3x a bare INSERT + COMMIT of the same rows
PROJECT = "Bench"
CODEBOOKS = ("value-creation", "network-conditions")
CODERS = ("Anna", "Bram", "Chris")
PAGE_CODER = "Anna"  # who the Coding page is opened as ("only my codings" stays off: all 1,500 show)
TRIVIAL_SCRIPT = 'import streamlit as st\n\nst.title("Trivial")\nst.write("Hello, world.")\n'
HIGHLIGHTS_JS = """() => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  const root = host && host.shadowRoot;
  if (!root) return 0;
  return root.querySelectorAll('.kp-hl').length;
}"""
BARS_JS = """() => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  const root = host && host.shadowRoot;
  return root ? root.querySelectorAll('.kp-bar').length : 0;
}"""


# document_segments' query (coding/workspace.py), for a reference timing without the ORM
SEGMENTS_SQL = (
    'SELECT segment.guid, segment.start, segment."end", coder.name, coding.guid, code.*, coding.origin '
    "FROM segment JOIN coder ON segment.coder_id = coder.id JOIN coding ON coding.segment_id = segment.id "
    "JOIN code ON coding.code_id = code.id WHERE segment.document_id = ? AND segment.text_version_id = ?"
)


class PressureSample(Sample):
    """A timed sample whose load probe is machine-wide CPU pressure (PSI), kept as "cpu_pressure_s".

    AppTest runs the page in a thread of its own, which the main thread's runqueue wait (the import benchmark's
    probe) would not see.
    """

    def __init__(self) -> None:
        super().__init__(cpu_pressure_total_s, "cpu_pressure_s")


# ---------------------------------------------------------------------------------------------
# Setup (untimed)
# ---------------------------------------------------------------------------------------------

def build_database(tmp: str, seed: int, words: int, codings: int) -> dict:
    """A migrated SQLite file with the project, the transcript, 3 coders and `codings` one-code segments."""
    from bench.import_bench import generate_corpus
    from cases.documents import document_turns
    from cases.importer import SpeakerDecision, preview_import, store_import
    from cases.projects import create_case, create_project, get_or_create_coder
    from codebooks.service import adopt_codebook
    from coding.codings import apply_coding
    from coding.picker import code_choices
    from store.db import write_session
    from store.migrate import upgrade

    t0 = time.perf_counter()
    url = f"sqlite:///{tmp}/coding-bench.sqlite"
    engine = upgrade(url)
    corpus = generate_corpus(words, 1, seed)
    ((filename, data),) = corpus["files"]
    with write_session(engine) as s:
        project = create_project(s, PROJECT)
        for key in CODEBOOKS:
            adopt_codebook(s, project, key)
        case = create_case(s, project, "Netwerk Bench")
        preview = preview_import(filename, data, language="nl")
        document = store_import(s, project, preview, cases=[case], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        coders = [get_or_create_coder(s, project, name)[0] for name in CODERS]
        keys = [c.key for c in code_choices(s, project)]
        turns = document_turns(s, document)
        text = preview.source.text
        ids = {"project_guid": str(project.guid), "document_guid": str(document.guid), "project_id": project.id,
               "document_id": document.id}
    respondent = [t for t in turns if t.role == "respondent"]
    rng = random.Random(seed * 1_000_003 + 1)

    def word_spans(turn) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
        spans, pos = [], turn.content_start
        for word in text[turn.content_start:turn.end].split(" "):
            if word:
                spans.append((pos, pos + len(word)))
            pos += len(word) + 1
        return spans

    words_of = {t.ordinal: word_spans(t) for t in respondent}

    def random_span() -> tuple[int, int]:
        turn = rng.choice(respondent)
        ws = words_of[turn.ordinal]
        n = min(len(ws), rng.randint(3, 40))
        first = rng.randrange(0, len(ws) - n + 1)
        return ws[first][0], ws[first + n - 1][1]

    used: set[tuple[int, int, str]] = set()

    def fresh(coder: str) -> tuple[int, int, str, str]:
        """A span this coder has not coded yet (apply_coding refuses the same span and code twice)."""
        while True:
            start, end = random_span()
            if (start, end, coder) not in used:
                used.add((start, end, coder))
                return start, end, coder, rng.choice(keys)

    planned = [fresh(CODERS[i % len(CODERS)]) for i in range(codings)]
    batches = 5
    per_batch = -(-codings // batches)
    for b in range(batches):
        with write_session(engine) as s:
            from cases.projects import get_document, get_project

            project = get_project(s, ids["project_guid"])
            document = get_document(s, project, ids["document_guid"])
            by_name = {c.name: c for c in [get_or_create_coder(s, project, n)[0] for n in CODERS]}
            for start, end, coder, key in planned[b * per_batch:(b + 1) * per_batch]:
                apply_coding(s, project, document, by_name[coder], start, end, [key], actor=coder)
    setup_s = time.perf_counter() - t0
    with engine.connect() as conn:
        version_id, length = conn.exec_driver_sql(
            "SELECT id, length FROM text_version WHERE document_id = ?", (ids["document_id"],)).one()
        coder_ids = dict(conn.exec_driver_sql("SELECT name, id FROM coder WHERE project_id = ?",
                                              (ids["project_id"],)).all())
        code_ids = dict(conn.exec_driver_sql(
            "SELECT code.key, code.id FROM code JOIN codebook ON code.codebook_id = codebook.id "
            "WHERE codebook.project_id = ?", (ids["project_id"],)).all())
        stored = {name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()
                  for name in ("turn", "sentence", "segment", "coding", "event")}
    return {
        "url": url, "path": f"{tmp}/coding-bench.sqlite", "engine": engine, **ids,
        "text_version_id": version_id, "text_length": length, "coder_ids": coder_ids, "code_ids": code_ids,
        "codable_keys": keys, "respondent_turns": respondent, "fresh": fresh, "rng": rng,
        "corpus": {"words": corpus["words"], "turns": corpus["turns"], "sentences": corpus["sentences"],
                   "chars": len(text), "bytes": corpus["bytes"], "sha256": corpus["sha256"],
                   "respondent_turns": len(respondent), "codable_codes": len(keys)},
        "stored": stored, "setup_s": setup_s,
    }


# ---------------------------------------------------------------------------------------------
# A / A0: AppTest reruns
# ---------------------------------------------------------------------------------------------

class PageRuns:
    """The Coding page (A) and a trivial page (A0), each an AppTest that has run once already."""

    def __init__(self, db: dict) -> None:
        import pytest
        from streamlit.testing.v1 import AppTest

        from apptest_support import make_app

        # make_app clears Streamlit's caches outside a runtime, which logs harmless "No runtime found" warnings.
        for name in ("streamlit.runtime.caching.cache_data_api",
                     "streamlit.runtime.scriptrunner_utils.script_run_context"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self.monkeypatch = pytest.MonkeyPatch()
        self.coding = make_app(self.monkeypatch, db["url"], project_guid=db["project_guid"], coder=PAGE_CODER)
        self.coding.query_params["document"] = db["document_guid"]
        self.coding.run()
        self._check(self.coding, "app.py")
        self.coding.switch_page("pages/coding.py")
        t0 = time.perf_counter()
        self.coding.run()
        self.first_coding_run_s = time.perf_counter() - t0
        self._check(self.coding, "pages/coding.py")
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache

        self._shared_cache = ScriptCache()
        self.trivial = AppTest.from_string(TRIVIAL_SCRIPT, default_timeout=60)
        self.trivial.run()
        self._check(self.trivial, "trivial page")
        self.rendered = self.describe_coding_page(db)

    @staticmethod
    def _check(at, what: str) -> None:  # type: ignore[no-untyped-def]
        if at.exception:
            raise SystemExit(f"{what} raised: {[e.message for e in at.exception]}")

    def describe_coding_page(self, db: dict) -> dict:
        """Proof that the timed page is the real thing: the title, the transcript and its highlights."""
        at = self.coding
        titles = [t.value for t in at.title]
        comps = at.get("bidi_component")
        if titles != ["Coding"] or len(comps) != 1:
            raise SystemExit(f"the Coding page did not render as expected: titles {titles}, "
                             f"{len(comps)} transcript component(s)")
        raw = comps[0].proto.json
        data = json.loads(raw)
        highlights = sum(len(t["highlights"]) for t in data["turns"])
        # The page sends one part of a long transcript (ui.coding_view.TRANSCRIPT_PAGE_CHARS): every coding inside
        # the turns it sends must be there (each benchmark coding lies inside one respondent turn).
        sent = {t["ordinal"] for t in data["turns"]}
        ranges = [(t.content_start, t.end) for t in db["respondent_turns"] if t.ordinal in sent]
        with sqlite3.connect(db["path"]) as conn:
            spans = conn.execute("SELECT segment.start, segment.\"end\" FROM segment JOIN coding "
                                 "ON coding.segment_id = segment.id").fetchall()
        expected = sum(1 for a, b in spans if any(lo <= a and b <= hi for lo, hi in ranges))
        if not data["turns"] or highlights != expected:
            raise SystemExit(f"the transcript shows {highlights} highlights in {len(sent)} turns, expected {expected}")
        if at.query_params.get("document") != db["document_guid"]:
            raise SystemExit("the Coding page did not open the benchmark document")
        return {"title": titles[0], "turns_sent": len(data["turns"]), "turns_in_document": db["stored"]["turn"],
                "highlights_sent": highlights, "codings_in_document": db["stored"]["coding"],
                "component_json_bytes": len(raw.encode("utf-8")), "elements": len(list(at.main))}

    def run_coding(self) -> dict:
        return self._timed(self.coding)

    def run_coding_cached(self) -> dict:
        """Information only: the same rerun with one ScriptCache kept across runs, as the real server keeps it.

        AppTest makes a new ScriptCache for every run, so app.py and the page are read, rewritten for
        Streamlit's "magic" and compiled again each time; the server does that once per file.
        """
        import streamlit.testing.v1.app_test as app_test_module
        import streamlit.testing.v1.local_script_runner as runner_module

        originals = (app_test_module.ScriptCache, runner_module.ScriptCache)
        app_test_module.ScriptCache = runner_module.ScriptCache = lambda: self._shared_cache  # type: ignore
        try:
            return self._timed(self.coding)
        finally:
            app_test_module.ScriptCache, runner_module.ScriptCache = originals

    def run_trivial(self) -> dict:
        return self._timed(self.trivial)

    def _timed(self, at) -> dict:  # type: ignore[no-untyped-def]
        with PressureSample() as sample:
            at.run()
        self._check(at, "page rerun")
        return sample.as_dict()

    def close(self) -> None:
        self.monkeypatch.undo()


# ---------------------------------------------------------------------------------------------
# B / B0: applying codings
# ---------------------------------------------------------------------------------------------

class ApplyRuns:
    """(B) the Apply button's write path, (B0) the same rows as a bare INSERT + COMMIT via sqlite3."""

    def __init__(self, db: dict, per_sample: int) -> None:
        from coding.codings import code_span
        from store.db import SQLITE_BUSY_TIMEOUT_MS

        self._code_span = code_span
        self.db = db
        self.per_sample = per_sample
        self.engine = db["engine"]
        # The same PRAGMAs as store.db._prepare_sqlite; autocommit mode, explicit BEGIN IMMEDIATE as write_session.
        self.conn = sqlite3.connect(db["path"], timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        for pragma in ("PRAGMA foreign_keys=ON", f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
                       "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            self.conn.execute(pragma)
        self.check_storage_format()

    def plan(self) -> list[tuple[int, int, str, str]]:
        """`per_sample` new (start, end, coder, code) rows: random spans in respondent turns, not coded before."""
        rng, fresh = self.db["rng"], self.db["fresh"]
        return [fresh(rng.choice(CODERS)) for _ in range(self.per_sample)]

    def check_storage_format(self) -> None:
        """The bare rows must look like the product's: guid as 32 hex digits, created_at as SQLAlchemy writes it."""
        guid, created = self.conn.execute("SELECT guid, created_at FROM segment ORDER BY id LIMIT 1").fetchone()
        if len(guid) != 32 or "-" in guid:
            raise SystemExit(f"unexpected guid storage {guid!r}: adjust the bare insert")
        datetime.strptime(created, "%Y-%m-%d %H:%M:%S.%f")

    def _checkpoint(self) -> dict:
        """Empty the WAL; returns how many frames (pages) it held.

        A PASSIVE checkpoint reports the WAL's frames (TRUNCATE reports 0 once it has reset the WAL).
        """
        busy, log, done = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        truncate_busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return {"busy": busy or truncate_busy, "wal_frames": log, "checkpointed": done}

    def _watermarks(self) -> tuple[int, int, int]:
        return tuple(self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]  # type: ignore
                     for t in ("segment", "coding", "event"))

    def _cleanup(self, marks: tuple[int, int, int]) -> int:
        seg, cod, ev = marks
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute("DELETE FROM coding WHERE id > ?", (cod,))
        removed = cur.execute("DELETE FROM segment WHERE id > ?", (seg,)).rowcount
        cur.execute("DELETE FROM event WHERE id > ?", (ev,))
        cur.execute("COMMIT")
        return removed

    def apply_rows(self, rows: list[tuple[int, int, str, str]]) -> None:
        """Each row as the Apply button does it (pages/coding.py): one `code_span` call, one commit, per coding.

        The page holds the project's guid (a uuid.UUID from its read session) and the document's guid as the
        string in the URL; both are passed the same way here.
        """
        code_span = self._code_span
        engine, document_guid = self.engine, self.db["document_guid"]
        project_guid = uuid.UUID(self.db["project_guid"])
        for start, end, me, key in rows:
            code_span(engine, project_guid, document_guid, me, start, end, [key], actor=me)

    def _sample(self, what: str, rows: list[tuple[int, int, str, str]], write: Callable[[], None]) -> dict:
        """One timed B or B0 sample, framed identically for both so that their ratio is fair.

        Starts on an empty WAL (no automatic checkpoint lands inside a sample); afterwards, untimed,
        counts the WAL pages written and deletes the rows the sample added.
        """
        marks = self._watermarks()
        self._checkpoint()
        with PressureSample() as sample:
            write()
        wal = self._checkpoint()
        removed = self._cleanup(marks)
        if removed != len(rows):
            raise SystemExit(f"{what}: expected {len(rows)} new segments, found {removed}")
        return sample.as_dict() | {"per_coding_s": sample.seconds / len(rows),
                                   "wal_frames_per_coding": wal["wal_frames"] / len(rows)}

    def run_apply(self, rows: list[tuple[int, int, str, str]]) -> dict:
        return self._sample("apply", rows, lambda: self.apply_rows(rows))

    def run_bare(self, rows: list[tuple[int, int, str, str]]) -> dict:
        conn, doc_id, ver_id = self.conn, self.db["document_id"], self.db["text_version_id"]
        coder_ids, code_ids = self.db["coder_ids"], self.db["code_ids"]

        def insert_rows() -> None:
            for start, end, me, key in rows:
                now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
                cur = conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                cur.execute('INSERT INTO segment (guid, document_id, text_version_id, coder_id, start, "end", '
                            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (uuid.uuid4().hex, doc_id, ver_id, coder_ids[me], start, end, now))
                cur.execute("INSERT INTO coding (guid, segment_id, code_id, created_at, origin, matched_term) "
                            "VALUES (?, ?, ?, ?, 'manual', NULL)",
                            (uuid.uuid4().hex, cur.lastrowid, code_ids[key], now))
                cur.execute("COMMIT")

        return self._sample("bare", rows, insert_rows)

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# Where the Coding page's time goes
# ---------------------------------------------------------------------------------------------

def page_stages(db: dict, repeats: int = 5) -> dict[str, float]:
    """Unprofiled wall time of what the Coding page computes, through the same functions, outside Streamlit.

    Mirrors ui/coding_view.coding_page (minus widgets). What a rerun runs is listed plainly; what the page keeps in
    resource caches keyed on the project's latest event id (recomputed only after a change) is bracketed.
    """
    from cases.documents import document_case_names, document_text, document_turns, list_documents
    from cases.projects import get_document, get_project, list_coders
    from coding.picker import code_choices
    from coding.workspace import document_segments, last_undoable, project_revision, recent_code_keys
    from store.db import read_session
    from ui.coding_view import _Codings, _transcript_part, transcript_pages, transcript_payload
    from ui.transcript_component import _component_data, highlights_for_turns

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    from store.migrate import current_revision

    engine = db["engine"]
    project_guid, document_guid = uuid.UUID(db["project_guid"]), uuid.UUID(db["document_guid"])
    raw = sqlite3.connect(db["path"])

    def once() -> dict[str, float]:
        out: dict[str, float] = {}

        def lap(name: str, t: float) -> float:
            now = time.perf_counter()
            out[name] = now - t
            return now

        t = time.perf_counter()
        cache = ScriptCache()
        cache.get_bytecode(str(ROOT / "app.py"))
        cache.get_bytecode(str(ROOT / "pages" / "coding.py"))
        t = lap("AppTest only: compile + Streamlit magic of app.py and pages/coding.py (a new ScriptCache per "
                "AppTest run; the server keeps its cache)", t)
        current_revision(engine)
        t = lap("(every 30 s) app.py engine_or_stop: current_revision (connection + alembic_version)", t)
        project_revision(engine, project_guid)
        project_revision(engine, project_guid, document_guid)
        t = lap("page top and fragment: coding.workspace.project_revision, twice (one driver statement each)", t)
        with read_session(engine) as s:
            project = get_project(s, db["project_guid"])
            list_documents(s, project)
            document_case_names(s, project)
            coders = list_coders(s, project)
        t = lap("(cached on the revision) project, documents, case names, coders", t)
        with read_session(engine) as s:
            document = get_document(s, project, db["document_guid"])
            text, turns = document_text(s, document), document_turns(s, document)
        t = lap("(cached on the text version) text + turns", t)
        with read_session(engine) as s:
            coder = next(c for c in coders if c.name == PAGE_CODER)
            segments = document_segments(s, document, coder=None, language="en")
            t = lap("(cached on the revision) document_segments (1,500 codings)", t)
            raw.execute(SEGMENTS_SQL, (db["document_id"], db["text_version_id"])).fetchall()
            t = lap("(reference, not on the page) the same join in raw sqlite3, all Code columns as the ORM "
                    "loads them", t)
            choices = code_choices(s, project, language="en")
            recent = recent_code_keys(s, project, coder)
            undoable = last_undoable(s, project, PAGE_CODER)
            t = lap("(cached on the revision) code_choices, recent_code_keys, last_undoable", t)
        turn_rows, highlights = transcript_payload(text, turns, segments)
        per_turn = highlights_for_turns(highlights, turn_rows)
        pages = transcript_pages(turn_rows)
        t = lap("(cached on the revision) transcript_payload, highlights_for_turns, transcript_pages", t)
        cached = _Codings(text, turns, segments, 0, choices, recent, undoable, pages, turn_rows, per_turn)
        first, end, part = _transcript_part(cached, None)
        data = _component_data(turn_rows[first:end], per_turn, None, 640, part)
        t = lap("the first part's component data (_transcript_part, _component_data)", t)
        json.dumps(data)
        json.dumps(data, sort_keys=True)
        lap("json.dumps of the component data, twice (Streamlit: payload and element identity)", t)
        out["_keep"] = float(len(choices) + len(pages))  # keep the results alive until here
        return out

    once()
    runs = [once() for _ in range(repeats)]
    raw.close()
    return {k: statistics.median(r[k] for r in runs) for k in runs[0] if not k.startswith("_")}


def _label(filename: str, line: int, func: str) -> str:
    root = str(ROOT) + os.sep
    shown = os.path.relpath(filename, ROOT) if filename.startswith(root) else filename
    site = shown.find("site-packages/")
    if site >= 0:
        shown = shown[site + len("site-packages/"):]
    return f"{shown}:{line}({func})"


def _own(filename: str) -> bool:
    root = str(ROOT) + os.sep
    return filename.startswith(root) and not filename.startswith((str(ROOT / ".venv"), str(ROOT / "bench")))


def _aggregate(profiles: list[cProfile.Profile], keep) -> list[dict]:  # type: ignore[no-untyped-def]
    """Rows per function label, averaged over the profiles (one per rerun).

    Each AppTest rerun compiles app.py and the page anew, so their code objects differ from run to run;
    pstats keys by (file, line, name) and would keep one run's entry. Summing per profile avoids that.
    """
    total: dict[tuple, list[float]] = {}
    for prof in profiles:
        for key, (cc, nc, tt, ct, _callers) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
            row = total.setdefault(key, [0, 0.0, 0.0])
            row[0] += nc
            row[1] += tt
            row[2] += ct
    n = len(profiles)
    return [{"function": _label(*key), "own": _own(key[0]), "file": key[0], "name": key[2], "ncalls": round(nc / n),
             "tottime_s": tt / n, "cumtime_s": ct / n} for key, (nc, tt, ct) in total.items() if keep(key)]


def profile_page(pages: PageRuns, runs: int = 3) -> dict:
    """cProfile Coding-page reruns in the script thread (where the page runs), one profiler per rerun."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    profiles: list[cProfile.Profile] = []
    original = LocalScriptRunner._run_script_thread
    script_wall: list[float] = []

    def profiled(self) -> None:  # type: ignore[no-untyped-def]
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()
            script_wall.append(time.perf_counter() - t0)
            profiles.append(prof)

    LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]
    try:
        pages.run_coding()  # warm-up with the profiler on
        profiles.clear()
        script_wall.clear()
        total_wall = []
        for _ in range(runs):
            gc.collect()  # so that a full collection (reported in the table) does not land in one function here
            total_wall.append(pages.run_coding()["seconds"])
    finally:
        LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]
    RESULTS.mkdir(parents=True, exist_ok=True)
    profiles[-1].dump_stats(str(RESULTS / "coding_page_profile.prof"))
    with open(RESULTS / "coding_page_profile.txt", "w") as fh:
        fh.write("script thread, last of the profiled Coding-page reruns\n")
        pstats.Stats(profiles[-1], stream=fh).sort_stats("cumulative").print_stats(70)
        pstats.Stats(profiles[-1], stream=fh).sort_stats("tottime").print_stats(40)
    rows = _aggregate(profiles, lambda k: True)
    own = sorted((r for r in rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)
    by_self = sorted(rows, key=lambda r: r["tottime_s"], reverse=True)

    def cum(where: str) -> float:
        """Cumulative time of 'path/ending.py:function' (matched without line numbers: the files change)."""
        path, name = where.rsplit(":", 1)
        return max((r["cumtime_s"] for r in rows if r["name"] == name and r["file"].endswith(path)), default=0.0)

    script = statistics.median(script_wall)
    groups = {
        "app.py, whole script (sidebar, navigation, the page)": cum("app.py:<module>"),
        "ui/coding_view.coding_page, whole page": cum("ui/coding_view.py:coding_page"),
        "ui/coding_view._workspace (the st.fragment)": cum("ui/coding_view.py:_workspace"),
        "AppTest only: compile + Streamlit magic of app.py and the page (ScriptCache is new per AppTest run; "
        "the server caches it)": cum("scriptrunner/script_cache.py:get_bytecode"),
        "ui/state.engine_or_stop": cum("ui/state.py:engine_or_stop"),
        "ui/state.project_picker (sidebar)": cum("ui/state.py:project_picker"),
        "coding/workspace.project_revision": cum("coding/workspace.py:project_revision"),
        "ui/transcript_component.transcript_view (mounting the component with one part)":
            cum("ui/transcript_component.py:transcript_view"),
        "  of which bidi_component (JSON of the data, identity, proto)":
            cum("bidi_component/main.py:_bidi_component"),
        "ui/coding_view._segments_panel": cum("ui/coding_view.py:_segments_panel"),
        "ui/coding_view._coding_panel": cum("ui/coding_view.py:_coding_panel"),
        "ui/coding_view._suggestions_panel": cum("ui/coding_view.py:_suggestions_panel"),
        "ui/coding_view._memo_panel": cum("ui/coding_view.py:_memo_panel"),
    }
    return {"runs": runs, "rerun_wall_s": statistics.median(total_wall), "script_thread_wall_s": script,
            "apptest_outside_script_s": statistics.median(total_wall) - script,
            "groups_cum_s": groups, "top_project_cumulative": own[:25], "top_self": by_self[:15],
            "note": "profiler overhead included; per rerun, averaged over the profiled reruns"}


def profile_apply(applies: ApplyRuns) -> dict:
    """Where one apply goes: unprofiled laps per step, then a cProfile of a whole sample (per coding)."""
    from coding.codings import _Dialect, _Writer

    engine, project_guid, document_guid = applies.engine, applies.db["project_guid"], applies.db["document_guid"]
    project_hex, document = uuid.UUID(project_guid).hex, uuid.UUID(document_guid)
    rows = applies.plan()
    laps: dict[str, list[float]] = {}
    marks = applies._watermarks()
    for start, end, me, key in rows:  # code_span's steps, one by one
        t = time.perf_counter()
        steps = []
        pooled = engine.raw_connection()
        steps.append(("pool checkout", time.perf_counter()))
        writer = _Writer(pooled.cursor(), _Dialect.of(engine.dialect))
        writer.cursor.execute("BEGIN IMMEDIATE")
        steps.append(("BEGIN IMMEDIATE", time.perf_counter()))
        target, codes = writer.target(project_hex, document.hex, me, [key], start, end)
        steps.append(("lookup: project, document, text version, coder, code, duplicate (one SELECT)",
                      time.perf_counter()))
        writer.insert(project_guid=project_hex, document_id=target.document_id, document_guid=str(document),
                      version_id=target.version_id, version=target.version, coder_id=target.coder_id,
                      coder_name=me, start=start, end=end, codes=codes, actor=me, origin="manual", matched_term=None)
        steps.append(("INSERT segment, coding, event", time.perf_counter()))
        pooled.commit()
        steps.append(("COMMIT", time.perf_counter()))
        pooled.close()
        steps.append(("pool checkin", time.perf_counter()))
        for name, now in steps:
            laps.setdefault(name, []).append(now - t)
            t = now
    applies._cleanup(marks)
    stages = {name: statistics.median(v) for name, v in laps.items()}
    prof = cProfile.Profile()
    marks = applies._watermarks()
    rows = applies.plan()
    prof.enable()
    applies.apply_rows(rows)
    prof.disable()
    applies._cleanup(marks)
    prof.dump_stats(str(RESULTS / "apply_profile.prof"))
    n = len(rows)
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    all_rows = [{"function": _label(*key), "own": _own(key[0]), "ncalls": nc / n, "tottime_s": tt / n,
                 "cumtime_s": ct / n} for key, (cc, nc, tt, ct, _c) in stats.items()]
    own = sorted((r for r in all_rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)
    by_self = sorted(all_rows, key=lambda r: r["tottime_s"], reverse=True)
    sql = sum(r["ncalls"] for r in all_rows if "method 'execute' of 'sqlite3.Cursor'" in r["function"])
    callees: dict[str, list[dict]] = {}
    for parent_name in ("code_span", "insert"):
        parent = next((k for k in stats if k[2] == parent_name and _own(k[0])), None)
        found = []
        for key, (_cc, _nc, _tt, _ct, callers) in stats.items():
            if parent is not None and parent in callers:
                cc, nc, tt, ct = callers[parent]
                found.append({"function": _label(*key), "ncalls": nc / n, "cumtime_s": ct / n})
        callees[parent_name] = sorted(found, key=lambda r: r["cumtime_s"], reverse=True)[:8]
    return {"stages_median_s": stages, "top_project_cumulative": own[:12], "top_self": by_self[:10],
            "callees": callees,
            "sqlite_execute_calls_per_coding": sql,
            "sqlite_execute_s_per_coding": sum(r["tottime_s"] for r in all_rows
                                               if "method 'execute' of 'sqlite3.Cursor'" in r["function"]),
            "commit_s_per_coding": sum(r["tottime_s"] for r in all_rows
                                       if "method 'commit' of 'sqlite3.Connection'" in r["function"])}


# ---------------------------------------------------------------------------------------------
# Playwright (information only)
# ---------------------------------------------------------------------------------------------

def browser_time(db: dict, loads: int) -> dict:
    """Page load (fresh browser context, server warm) until the transcript's shadow root holds .kp-hl spans."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"Chromium not found at {CHROMIUM} (install Debian's chromium: `make test` does)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed in this environment"}
    with streamlit_server({"KRUISPUNT_DB_URL": db["url"]}, "kruispunt-coding-bench-server-") as server:
        if server.url is None:
            return {"skipped": f"the Streamlit server did not start (see {server.log})"}
        url = f"{server.url}/coding?project={db['project_guid']}&document={db['document_guid']}&coder={PAGE_CODER}"
        samples: list[dict] = []
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for i in range(loads + 1):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(url, wait_until="commit")
                    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
                    t_app = time.perf_counter() - t0
                    page.wait_for_function(f"() => ({HIGHLIGHTS_JS})() > 0", timeout=120_000)
                    t_hl = time.perf_counter() - t0
                    page.wait_for_function(f"() => ({BARS_JS})() > 0", timeout=60_000)
                    t_bars = time.perf_counter() - t0
                    sample = {"to_sidebar_s": t_app, "to_highlights_s": t_hl, "to_stripes_s": t_bars,
                              "kp_hl": page.evaluate(HIGHLIGHTS_JS), "kp_bar": page.evaluate(BARS_JS)}
                    if i == 0:
                        sample["warmup"] = True
                    samples.append(sample)
                    print(f"  browser {'warm-up' if i == 0 else f'load {i}/{loads}':>9}: sidebar after {t_app:5.2f} s, "
                          f"highlighted transcript after {t_hl:5.2f} s, coding stripes after {t_bars:5.2f} s "
                          f"({sample['kp_hl']} .kp-hl, {sample['kp_bar']} .kp-bar)", flush=True)
                    context.close()
            finally:
                browser.close()
    timed = [s for s in samples if not s.get("warmup")]
    hl = [s["to_highlights_s"] for s in timed]
    bars = [s["to_stripes_s"] for s in timed]
    os.unlink(server.log)
    return {"loads": loads, "samples": samples, "chromium": CHROMIUM,
            "to_highlights_median_s": statistics.median(hl), "to_highlights_min_s": min(hl),
            "to_highlights_max_s": max(hl), "to_stripes_median_s": statistics.median(bars),
            "to_sidebar_median_s": statistics.median(s["to_sidebar_s"] for s in timed),
            "kp_hl": timed[-1]["kp_hl"], "kp_bar": timed[-1]["kp_bar"],
            "method": "fresh browser context per load, server warm (one discarded warm-up load); timed from "
                      "page.goto() to the first .kp-hl in the component's shadow root (and to the first .kp-bar)"}


# ---------------------------------------------------------------------------------------------
# Run and report
# ---------------------------------------------------------------------------------------------

def _summary(runs: list[dict], per: int = 1) -> dict:
    """The shared sample summary (divided by `per`: codings per sample), with the median CPU pressure."""
    return summarise(runs, per, nullable={"cpu_pressure_median_s": "cpu_pressure_s"})


def measure(args: argparse.Namespace) -> dict:
    started = datetime.now(timezone.utc)
    load_before = load()
    tmp = tempfile.mkdtemp(prefix="kruispunt-coding-bench-")
    pages = applies = None
    try:
        print(f"setup: database, {args.words:,}-word transcript, {args.codings:,} codings by {len(CODERS)} coders "
              f"(seed {args.seed}) ...", flush=True)
        db = build_database(tmp, args.seed, args.words, args.codings)
        c = db["corpus"]
        print(f"  {c['words']:,} words, {c['chars']:,} characters, {db['stored']['turn']} turns "
              f"({c['respondent_turns']} respondent), {db['stored']['sentence']:,} sentences; "
              f"{db['stored']['segment']:,} segments / {db['stored']['coding']:,} codings over "
              f"{c['codable_codes']} codable codes; setup {db['setup_s']:.1f} s", flush=True)
        pages = PageRuns(db)
        shown = pages.rendered
        print(f"  Coding page: first run {pages.first_coding_run_s:.2f} s; sends {shown['turns_sent']} of "
              f"{shown['turns_in_document']} turns (the first part) with {shown['highlights_sent']:,} "
              f"of {shown['codings_in_document']:,} highlights "
              f"({pages.rendered['component_json_bytes'] / 1e6:.2f} MB of component JSON)", flush=True)
        rendered, first_run = pages.rendered, pages.first_coding_run_s
        gc.collect()
        t0 = time.perf_counter()
        gc.collect()
        gc_info = {"tracked_objects": len(gc.get_objects()), "full_collection_s": time.perf_counter() - t0,
                   "spacy_loaded": "spacy" in sys.modules,
                   "note": "the setup imported transcripts, which loads spaCy into this process (as a server that "
                           "has imported or searched has it)"}
        applies = ApplyRuns(db, args.per_sample)
        runs: dict[str, list[dict]] = {"A": [], "A0": [], "B": [], "B0": [], "A_cached": []}
        warmup: dict[str, dict] = {}
        for i in range(args.repeats + 1):
            label = "warm-up" if i == 0 else f"run {i}/{args.repeats}"
            rows = applies.plan()
            round_ = {"A": pages.run_coding(), "A0": pages.run_trivial(),
                      "B": applies.run_apply(rows), "B0": applies.run_bare(rows),
                      "A_cached": pages.run_coding_cached()}
            print(f"  {label:>9}: coding page {round_['A']['seconds'] * 1e3:6.1f} ms (gc "
                  f"{round_['A']['gc_seconds'] * 1e3:5.1f}) | trivial page {round_['A0']['seconds'] * 1e3:5.1f} ms | "
                  f"apply {round_['B']['per_coding_s'] * 1e3:6.3f} ms/coding | bare insert "
                  f"{round_['B0']['per_coding_s'] * 1e3:6.3f} ms/coding | (info) coding page, server-like "
                  f"{round_['A_cached']['seconds'] * 1e3:5.1f} ms", flush=True)
            for kind, r in round_.items():
                if i == 0:
                    warmup[kind] = r
                else:
                    runs[kind].append(r)
        stages = page_stages(db)
        prof = None if args.no_profile else profile_page(pages)
        aprof = None if args.no_profile else profile_apply(applies)
        pages.close()
        pages = None
        applies.close()
        applies = None
        db["engine"].dispose()
        load_after = load()
        browser = {"skipped": "--no-browser"} if args.no_browser else browser_time(db, args.browser_loads)
    finally:
        if pages is not None:
            pages.close()
        if applies is not None:
            applies.close()
        shutil.rmtree(tmp, ignore_errors=True)

    a, a0, a_cached = _summary(runs["A"]), _summary(runs["A0"]), _summary(runs["A_cached"])
    b, b0 = _summary(runs["B"], args.per_sample), _summary(runs["B0"], args.per_sample)
    page_ratio = a["median_s"] / a0["median_s"]
    apply_ratio = b["median_s"] / b0["median_s"]
    pair_page = [x["seconds"] / y["seconds"] for x, y in zip(runs["A"], runs["A0"])]
    pair_apply = [x["seconds"] / y["seconds"] for x, y in zip(runs["B"], runs["B0"])]
    cpu_page = a["cpu_median_s"] / a0["cpu_median_s"]
    cpu_apply = b["cpu_median_s"] / b0["cpu_median_s"]
    return {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": {"repeats": args.repeats, "seed": args.seed, "per_sample": args.per_sample, "words": args.words,
                 "codings": args.codings},
        "machine": machine(), "versions": versions("streamlit", "sqlalchemy", "playwright"),
        "load_before": load_before, "load_after": load_after,
        "corpus": db["corpus"], "stored": db["stored"], "setup_s": db["setup_s"],
        "coding_page_rendered": rendered | {"first_run_s": first_run},
        "method": {
            "A": "AppTest.from_file(app.py) (tests/apptest_support.make_app) with project, coder and document in the "
                 "query params, switch_page('pages/coding.py'), one untimed run; timed: at.run()",
            "A0": "AppTest.from_string(st.title + st.write), one untimed run; timed: at.run()",
            "B": "per coding: coding.codings.code_span(engine, project guid, document guid, coder, start, end, "
                 "[key], actor=coder), as the Apply button calls it -- one transaction and commit per coding",
            "B0": "per coding: sqlite3 on the same file, same PRAGMAs, BEGIN IMMEDIATE; INSERT segment; INSERT "
                  "coding; COMMIT",
            "A_cached": "information only: A with one ScriptCache kept across runs (the server compiles each "
                        "script once; AppTest compiles app.py and the page, with Streamlit magic, on every run)",
            "order": "A, A0, B, B0, A_cached per round; one warm-up round discarded; rows added by B/B0 deleted "
                     "after each sample (untimed); each B/B0 sample starts on an empty WAL "
                     "(PRAGMA wal_checkpoint(TRUNCATE), untimed)",
            "per_sample": args.per_sample,
        },
        "coding_page": a | {"warmup_s": warmup["A"]["seconds"]},
        "trivial_page": a0 | {"warmup_s": warmup["A0"]["seconds"]},
        "coding_page_shared_script_cache": a_cached | {
            "info": "not a target: A with one ScriptCache kept across AppTest runs, as the server keeps it",
            "ratio_to_trivial": a_cached["median_s"] / a0["median_s"]},
        "apply": b | {"unit": "seconds per coding", "warmup_per_coding_s": warmup["B"]["per_coding_s"]},
        "bare_insert": b0 | {"unit": "seconds per coding", "warmup_per_coding_s": warmup["B0"]["per_coding_s"]},
        "cpu_pressure_s": {k: [r["cpu_pressure_s"] for r in v] for k, v in runs.items()},
        "apply_runs": runs["B"], "bare_insert_runs": runs["B0"],
        "gc": gc_info | {
            "full_collections_in_timed_runs": {k: sum(r["gc_collections"][2] for r in v) for k, v in runs.items()},
            "gc_seconds_in_timed_runs": {k: [r["gc_seconds"] for r in v] for k, v in runs.items()}},
        "ratio_page": page_ratio, "ratio_page_per_pair": pair_page, "ratio_page_cpu": cpu_page,
        "ratio_apply": apply_ratio, "ratio_apply_per_pair": pair_apply, "ratio_apply_cpu": cpu_apply,
        "targets": {
            "coding_page": {"target": f"<= {TARGET_PAGE_RATIO:g}x the trivial page's rerun (median)",
                            "measured": page_ratio, "pass": page_ratio <= TARGET_PAGE_RATIO},
            "apply": {"target": f"<= {TARGET_APPLY_RATIO:g}x a bare INSERT + COMMIT (median per coding)",
                      "measured": apply_ratio, "pass": apply_ratio <= TARGET_APPLY_RATIO},
        },
        "page_stages_median_s": stages,
        "profile": prof,
        "apply_profile": aprof,
        "browser": browser,
    }


def print_report(r: dict) -> None:
    v, c = r["versions"], r["corpus"]
    print()
    print(f"Kruispunt coding-workspace benchmark  {r['started_utc']}")
    print(describe_machine(r))
    print(f"versions: Python {v['python']}, SQLite {v['sqlite']}, Streamlit {v['streamlit']}, "
          f"SQLAlchemy {v['sqlalchemy']}, Playwright {v['playwright']}")
    print(f"document: {c['words']:,} words, {r['stored']['turn']} turns, {r['stored']['coding']:,} codings by "
          f"{len(CODERS)} coders; seed {r['args']['seed']}, {r['args']['repeats']} repeats (median, min-max), "
          f"{r['args']['per_sample']} codings per apply sample")
    print()
    print(f"  {'':26} {'median':>10} {'min':>10} {'max':>10} {'cpu (med)':>10} {'gc (med)':>10} {'ratio':>7} "
          f"{'target':>7}  verdict")
    t = r["targets"]

    def line(name: str, s: dict, digits: int, ratio: float | None = None, target: float | None = None,
             ok: bool | None = None) -> None:
        tail = "" if ratio is None else f"{ratio:6.2f}x {f'<={target:g}x':>7}  {'PASS' if ok else 'FAIL'}"
        cells = " ".join(f"{s[k] * 1e3:8.{digits}f}ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s",
                                                                  "gc_median_s"))
        print(f"  {name:26} {cells} {tail}")

    line("A  Coding page rerun", r["coding_page"], 1, r["ratio_page"], TARGET_PAGE_RATIO, t["coding_page"]["pass"])
    line("A0 trivial page rerun", r["trivial_page"], 1)
    line("B  apply one coding", r["apply"], 3, r["ratio_apply"], TARGET_APPLY_RATIO, t["apply"]["pass"])
    line("B0 bare INSERT + COMMIT", r["bare_insert"], 3)
    ac = r["coding_page_shared_script_cache"]
    line("(info) A, server-like", ac, 1)
    print(f"  (info) A with one ScriptCache kept across runs, as the server keeps it: "
          f"{ac['ratio_to_trivial']:.1f}x the trivial page (not a target)")
    print(f"  WAL pages written per coding (median): apply "
          f"{statistics.median(x['wal_frames_per_coding'] for x in r['apply_runs']):.1f}, bare insert "
          f"{statistics.median(x['wal_frames_per_coding'] for x in r['bare_insert_runs']):.1f}")
    g = r["gc"]
    print(f"  full (generation 2) garbage collections inside timed runs: "
          f"{', '.join(f'{k} {n}' for k, n in g['full_collections_in_timed_runs'].items())}; one full collection "
          f"takes {g['full_collection_s'] * 1e3:.0f} ms here ({g['tracked_objects']:,} tracked objects, spaCy "
          f"{'loaded' if g['spacy_loaded'] else 'not loaded'})")
    print(f"  per pair: page {', '.join(f'{x:.1f}x' for x in r['ratio_page_per_pair'])}; "
          f"apply {', '.join(f'{x:.2f}x' for x in r['ratio_apply_per_pair'])}")
    print(f"  on CPU time (process_time, all threads): page {r['ratio_page_cpu']:.1f}x, apply "
          f"{r['ratio_apply_cpu']:.2f}x; (gc = time in Python's cyclic garbage collector)")
    for key, name, target, base in (("coding_page", "Coding page", TARGET_PAGE_RATIO, r["trivial_page"]),
                                    ("apply", "apply", TARGET_APPLY_RATIO, r["bare_insert"])):
        if not t[key]["pass"]:
            limit = target * base["median_s"]
            actual = r["coding_page" if key == "coding_page" else "apply"]["median_s"]
            print(f"  {name} target missed: {t[key]['measured']:.1f}x instead of <= {target:g}x, i.e. "
                  f"{actual * 1e3:.1f} ms where {limit * 1e3:.1f} ms would pass ({actual / limit:.1f}x too slow)")
    print()
    print("Coding page, what the page computes (unprofiled, same functions outside Streamlit, median of 5):")
    stages = r["page_stages_median_s"]
    for name, secs in stages.items():
        print(f"  {secs * 1e3:8.1f} ms  {name}")
    listed = sum(v for k, v in stages.items() if not k.startswith("("))
    print(f"  {listed * 1e3:8.1f} ms  sum of the stages a rerun runs (the bracketed ones left out)")
    print(f"  {(r['coding_page']['median_s'] - listed) * 1e3:8.1f} ms  rest of the A median: Streamlit (widgets, "
          "element protos, the component's proto, fragment, navigation) and AppTest, by difference")
    prof = r["profile"]
    if prof:
        print()
        print(f"Coding page rerun under cProfile (script thread, per rerun, mean of {prof['runs']}; profiler overhead "
              f"included): {prof['rerun_wall_s'] * 1e3:.0f} ms at.run(), of which script thread "
              f"{prof['script_thread_wall_s'] * 1e3:.0f} ms, AppTest outside it "
              f"{prof['apptest_outside_script_s'] * 1e3:.0f} ms")
        for name, secs in prof["groups_cum_s"].items():
            print(f"  {secs * 1e3:8.1f} ms  {name}")
        print("  top project functions by cumulative time:")
        for row in prof["top_project_cumulative"][:14]:
            print(f"  {row['cumtime_s'] * 1e3:8.1f} ms cum {row['tottime_s'] * 1e3:7.1f} ms self "
                  f"{row['ncalls']:>8,} calls  {row['function']}")
        print("  top functions by own time (any code):")
        for row in prof["top_self"][:10]:
            print(f"  {row['tottime_s'] * 1e3:8.1f} ms self {row['ncalls']:>10,} calls  {row['function']}")
    ap = r.get("apply_profile")
    if ap:
        print()
        print("apply one coding, unprofiled steps (median of one sample):")
        for name, secs in ap["stages_median_s"].items():
            print(f"  {secs * 1e3:8.3f} ms  {name}")
        print(f"  cProfile per coding: {ap['sqlite_execute_calls_per_coding']:.0f} SQL statements "
              f"({ap['sqlite_execute_s_per_coding'] * 1e3:.3f} ms in sqlite3 execute), commit "
              f"{ap['commit_s_per_coding'] * 1e3:.3f} ms; top project functions by cumulative time:")
        for row in ap["top_project_cumulative"][:10]:
            print(f"  {row['cumtime_s'] * 1e3:8.3f} ms cum  {row['function']}")
        for parent, rows in ap["callees"].items():
            print(f"  {parent}: direct callees by cumulative time (per coding)")
            for row in rows[:7]:
                print(f"  {row['cumtime_s'] * 1e3:8.3f} ms {row['ncalls']:5.1f}x  {row['function']}")
    br = r["browser"]
    print()
    if "skipped" in br:
        print(f"browser (information only): skipped: {br['skipped']}")
    else:
        print(f"browser (information only): page load to highlighted transcript, median of {br['loads']}: "
              f"{br['to_highlights_median_s']:.2f} s (min {br['to_highlights_min_s']:.2f}, max "
              f"{br['to_highlights_max_s']:.2f}); sidebar shown after {br['to_sidebar_median_s']:.2f} s; "
              f"coding stripes drawn after {br['to_stripes_median_s']:.2f} s; "
              f"{br['kp_hl']:,} .kp-hl spans, {br['kp_bar']:,} stripe bars")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--per-sample", type=int, default=50, help="codings applied per B/B0 sample")
    p.add_argument("--words", type=int, default=20_000, help=argparse.SUPPRESS)
    p.add_argument("--codings", type=int, default=1_500, help=argparse.SUPPRESS)
    p.add_argument("--browser-loads", type=int, default=5)
    p.add_argument("--no-browser", action="store_true", help="skip the Playwright page-load time")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile of the Coding page")
    args = p.parse_args(argv)
    result = measure(args)
    print_report(result)
    print(f"\nwrote {write_json(RESULTS / 'coding_bench.json', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
