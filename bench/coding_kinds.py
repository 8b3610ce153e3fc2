"""The coding benchmark's set-up and timed kinds (bench/coding_bench.py): the database, A/A0 and B/B0.

``build_database`` makes the 1,500-coding project; ``PageRuns`` reruns the Coding page (A) and a trivial page
(A0) in AppTest; ``ApplyRuns`` applies codings as the Apply button does (B) and as bare SQL (B0). The script
interleaves them; bench/coding_profile.py looks inside them.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from bench.measure import Sample, cpu_pressure_total_s

PROJECT = "Bench"
CODEBOOKS = ("value-creation", "network-conditions")
CODERS = ("Anna", "Bram", "Chris")
PAGE_CODER = "Anna"  # who the Coding page is opened as ("only my codings" stays off: all 1,500 show)
TRIVIAL_SCRIPT = 'import streamlit as st\n\nst.title("Trivial")\nst.write("Hello, world.")\n'


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
    from bench.corpus import generate_corpus
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
