"""The database side of the coding browser benchmark (bench/coding_browser_bench.py): its set-up (the coding
benchmark's 1,500-coding transcript and the 20 MB one in one project), the floor page's turns (the Coding page's
first window), and the codings a repetition made, found and removed again."""

from __future__ import annotations

import argparse
import sqlite3
import time
import uuid

from bench.coding_kinds import PAGE_CODER, build_database

try:  # the Coding page's window of turns (one continuous scroll drawn ~12,000 characters at a time)
    from ui.transcript_window import WINDOW_CHARS, char_starts, window_around
except ImportError:  # an older working tree: the same rule, from the first turn only
    WINDOW_CHARS = 12_000

    def char_starts(rows: list[dict]) -> list[int]:
        starts = [0]
        for row in rows:
            starts.append(starts[-1] + len(row["content"]))
        return starts

    def window_around(starts: list[int], index: int) -> tuple[int, int]:
        from bisect import bisect_right
        assert index == 0
        return 0, max(bisect_right(starts, WINDOW_CHARS) - 1, 1)


def setup(tmp: str, args: argparse.Namespace) -> dict:
    from bench.large_files import text_file
    from cases.documents import document_text, document_turns
    from cases.importer import SpeakerDecision, preview_import, store_import
    from cases.members import remember_local_name
    from cases.projects import create_case, get_document, get_project
    from store.db import read_session, write_session

    db = build_database(tmp, args.seed, 20_000, 1_500)
    engine = db["engine"]
    with write_session(engine) as s:
        remember_local_name(s, PAGE_CODER)  # local mode: the researcher gave this name once
    with read_session(engine) as s:
        document = get_document(s, get_project(s, db["project_guid"]), db["document_guid"])
        text = document_text(s, document)
        turns = document_turns(s, document)
    db["text"], db["turns"] = text, turns
    if args.large_mb:
        t0 = time.perf_counter()
        name, data = text_file(megabytes=args.large_mb, seed=args.seed)
        preview = preview_import(name, data, language="nl")
        with write_session(engine) as s:
            project = get_project(s, db["project_guid"])
            case = create_case(s, project, "Netwerk Groot")
            big = store_import(s, project, preview, cases=[case], speakers={
                "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
            big_guid = str(big.guid)
        with read_session(engine) as s:
            big = get_document(s, get_project(s, db["project_guid"]), big_guid)
            big_text = document_text(s, big)
            big_turns = document_turns(s, big)
        first, last = big_turns[0], big_turns[-1]
        db["large"] = {"guid": big_guid, "bytes": len(data), "chars": len(big_text), "turns": len(big_turns),
                       "last_ordinal": last.ordinal,
                       # within the turn: the text ends with a line break the turn's content does not hold
                       "last_prefix": big_text[last.content_start:min(last.end, last.content_start + 30)],
                       "first_ordinal": first.ordinal,
                       "first_prefix": big_text[first.content_start:min(first.end, first.content_start + 30)],
                       "windows_of_12000_chars": -(-sum(t.end - t.content_start for t in big_turns) // WINDOW_CHARS),
                       "import_s": time.perf_counter() - t0}
        del data, preview, big_text, big_turns
    return db


def first_window_turns(db: dict) -> list[dict]:
    """The turns of the Coding page's first window (what a fresh session sends: ``window_around(char_starts(rows),
    0)`` of ui.transcript_window, about WINDOW_CHARS of turn content from the first turn), with their highlights as
    [start, end, segment] in the turn's content (UTF-16 = code points: checked)."""
    text, turns = db["text"], db["turns"]
    first, end = window_around(char_starts([{"content": text[t.content_start:t.end]} for t in turns]), 0)
    rows = turns[first:end]
    with sqlite3.connect(db["path"]) as conn:
        spans = conn.execute('SELECT guid, start, "end" FROM segment').fetchall()
    out = []
    for t in rows:
        content = text[t.content_start:t.end]
        if any(ord(ch) > 0xFFFF for ch in content):
            raise SystemExit("the floor page counts code points as UTF-16 units: a non-BMP character breaks that")
        hls = [[max(a, t.content_start) - t.content_start, min(b, t.end) - t.content_start, g]
               for g, a, b in spans if a < t.end and b > t.content_start]
        out.append({"ordinal": t.ordinal, "role": t.role, "content": content, "highlights": hls})
    return out


# ---------------------------------------------------------------------------------------------
# The database side of a coding repetition
# ---------------------------------------------------------------------------------------------

def newest_segment_id(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM segment").fetchone()[0]


def new_codings(path: str, after: int) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            'SELECT coding.guid, code.key, segment.start, segment."end", coder.name FROM segment '
            "JOIN coding ON coding.segment_id = segment.id JOIN code ON code.id = coding.code_id "
            "JOIN coder ON coder.id = segment.coder_id WHERE segment.id > ?", (after,)).fetchall()


def remove_codings(db: dict, rows: list[tuple]) -> None:
    """As the page's "Remove this code" does: one change each, logged (so the page's caches see a new revision)."""
    from cases.projects import get_project
    from coding.workspace import remove_coding
    from store.db import write_session

    for guid, _key, _start, _end, coder in rows:
        with write_session(db["engine"]) as s:
            remove_coding(s, get_project(s, db["project_guid"]), uuid.UUID(hex=guid), actor=coder)


def code_taken(db: dict, turn_start: int, key: str) -> bool:
    """Whether Anna already coded a span starting at this turn's content with this code (Apply would refuse)."""
    with sqlite3.connect(db["path"]) as conn:
        return conn.execute(
            "SELECT 1 FROM segment JOIN coding ON coding.segment_id = segment.id JOIN code ON code.id = coding.code_id "
            "JOIN coder ON coder.id = segment.coder_id WHERE coder.name = ? AND code.key = ? AND segment.start = ?",
            (PAGE_CODER, key, turn_start)).fetchone() is not None
