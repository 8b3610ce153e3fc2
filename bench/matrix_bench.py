"""Matrix benchmark: cross-case matrices, quotes and co-occurrence on a large project, each against bare SQL.

    .venv/bin/python bench/matrix_bench.py [--repeats 5] [--seed 7] [--db URL [--keep]] [--no-profile] [--no-report]

Setup (untimed): a seeded synthetic project "Matrix Bench" built straight into the database
(``store.bulk.insert_rows``/``new_guids`` for turns, sentences, segments and codings; the ORM only
for the few hundred project, case, codebook, code, document, text and speaker rows):
60 cases, 300 documents (10% also in a second case), interviewer + respondent speakers (15% double
interviews with two respondents; respondents are persons, some interviewed twice), turns and
sentences over Dutch-like pseudo-words, 150 codes in 3 codebooks (each 5 top codes x 9 children,
all codable), 4 coders and exactly 100,000 codings: word-aligned spans inside turns (mostly
respondent turns), 1-3 codes per segment drawn Zipf-like over the 150 codes, ~10% of the documents
coded a second time by another coder (a few with the second coder set as the primary coder).
A second project "Matrix Bench 20" (20 cases, 60 documents, one 20-code codebook, 10,000 codings,
framework cells with states, ratings, summaries and pinned quotes, focus-group feedback) is the
20 x 20 matrix of the Word report.

Kinds (default coder scope everywhere: each document's primary coder):

  count       ``build_matrix(s, project, MatrixSpec(rows="cases", codebook="bench-a", measure="count"))``
  count_sql   one hand-written GROUP BY over the same joins through the same connection
              (``exec_driver_sql`` + fetchall): the same (case, code) counts -- checked equal
  quotes      the same matrix with ``measure="quotes"``
  quotes_sql  one hand-written SELECT of the same rows: case, code, segment guid, document title and
              guid, start, end, the text slice, turn ordinal, speaker role, label, pseudonym, speaker
              key, coder -- checked: the same quotes
  cooc_overlap / cooc_turn
              ``build_cooccurrence(s, project, CooccurrenceSpec(codebook="bench-a", unit=...))``
  report_images / report_plain
              ``exports.cross_case_report.build_cross_case_report(s, project20, codebook="bench-r",
              depth=None, images=True/False)`` (20 cases x 20 codes); skipped with a note while that
              module does not exist

Warm: one long-lived worker subprocess opens the engine, runs every kind once (warm-up, discarded,
checks the numbers), then ``--repeats`` rounds with the kinds interleaved (count, count_sql, quotes,
quotes_sql, ...); each call in a new session (as a page rerun) on the pooled connection, the
project row loaded before the clock starts. Cold: for each round and kind a fresh worker process
(imports and mapper configuration done before the clock), a new engine, a new connection that has
read only the project row; timed: the first call. The OS file cache stays warm.

Targets (issue 4): count <= 3x count_sql and < 0.3 s; quotes <= 5x quotes_sql; co-occurrence < 2 s
(medians, warm and cold each judged). Results go to stdout and bench/results/matrix_bench[_postgresql].json
(git-ignored); unless ``--no-profile``, a cProfile of each kind (warm, after the timed rounds) goes to
bench/results/matrix_profile[_postgresql]_<kind>.txt and the JSON. ``--db URL`` takes an empty database
(PostgreSQL or SQLite); the benchmark removes its projects from it at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    RESULTS, Sample, describe_machine, load, machine, runqueue_wait_s, summarise, versions, write_json,
)

PROJECT = "Matrix Bench"
PROJECT20 = "Matrix Bench 20"
CODEBOOK = "bench-a"
REPORT_CODEBOOK = "bench-r"
CODERS = ("Anna", "Bram", "Chris", "Dewi")
TARGET_COUNT_RATIO, TARGET_COUNT_S = 3.0, 0.3
TARGET_QUOTES_RATIO = 5.0
TARGET_COOC_S = 2.0
KINDS = ("count", "count_sql", "quotes", "quotes_sql", "cooc_overlap", "cooc_turn")
REPORT_KINDS = ("report_images", "report_plain")
REPORT_MODULE = "exports.cross_case_report"
SKIPPED_REPORT = "skipped: report builder not present yet"

MAIN = {"name": PROJECT, "cases": 60, "documents": 300, "codings": 100_000,
        "codebooks": [(CODEBOOK, 5, 9), ("bench-b", 5, 9), ("bench-c", 5, 9)], "framework": False}
SMALL = {"name": PROJECT20, "cases": 20, "documents": 60, "codings": 10_000,
         "codebooks": [(REPORT_CODEBOOK, 4, 4)], "framework": True}


# ---------------------------------------------------------------------------------------------
# Synthetic project (untimed)
# ---------------------------------------------------------------------------------------------

_ONSETS = ["", "b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "h", "st", "sch", "kr",
           "br", "gr", "tr", "pl", "bl", "sl", "sp", "dr", "kl", "zw", "fl"]
_NUCLEI = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ie", "oe", "ij", "ui", "ou", "ei", "eu"]
_CODAS = ["", "", "n", "t", "k", "s", "l", "r", "m", "ng", "cht", "rd", "nd", "rk", "st"]


def _vocabulary(rng: random.Random, size: int = 4000) -> tuple[list[str], list[float]]:
    """Pseudo-words (1-4 syllables) and Zipf cumulative weights (short words rank highest)."""
    words: set[str] = set()
    while len(words) < size:
        n = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS) for _ in range(n)))
    ordered = sorted(words, key=lambda w: (len(w), w))
    return ordered, list(accumulate(1 / (r + 1) ** 1.07 for r in range(len(ordered))))


def _transcript(rng: random.Random, vocab: list[str], cum: list[float], respondents: list[str]) -> dict:
    """Text with "I: ..." / "R: ..." turns; each turn's word offsets and sentence spans."""
    parts: list[str] = []
    turns: list[dict] = []
    pos = 0
    n_turns = rng.randrange(50, 81)
    for t in range(n_turns):
        label = "I" if t % 2 == 0 else respondents[(t // 2) % len(respondents)]
        n_words = rng.randint(6, 20) if label == "I" else rng.randint(30, 160)
        words = rng.choices(vocab, cum_weights=cum, k=n_words)
        content_start = pos + len(label) + 2
        text_parts, word_spans, sentences = [], [], []
        cursor, i = content_start, 0
        while i < n_words:
            n = min(n_words - i, rng.randint(5, 20))
            sentence_start = cursor
            for k, w in enumerate(words[i:i + n]):
                if k == 0:
                    w = w.capitalize()
                if k:
                    text_parts.append(" ")
                    cursor += 1
                word_spans.append((cursor, cursor + len(w)))
                text_parts.append(w)
                cursor += len(w)
            end_mark = "?" if label == "I" else rng.choice(".....!?")
            text_parts.append(end_mark)
            cursor += 1
            sentences.append((sentence_start, cursor))
            i += n
            if i < n_words:
                text_parts.append(" ")
                cursor += 1
        line = f"{label}: " + "".join(text_parts)
        turns.append({"label": label, "start": pos, "content_start": content_start, "end": pos + len(line),
                      "words": word_spans, "sentences": sentences})
        parts.append(line)
        pos += len(line) + 1
    return {"text": "\n".join(parts), "turns": turns}


def _driver_now(dialect_name: str):  # noqa: ANN202
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect_name == "sqlite" else now


def build_project(engine, shape: dict, seed: int) -> dict:  # noqa: ANN001
    """One synthetic project of `shape` (see MAIN, SMALL) in one transaction; returns what was stored."""
    from sqlalchemy import select

    from cases.projects import create_project
    from store.bulk import insert_rows, new_guids
    from store.db import write_session
    from store.models import (
        Case, CaseDocument, Code, Codebook, Coder, Coding, Document, Person, Segment, Sentence, Speaker, TextVersion,
        Turn,
    )

    rng = random.Random(seed * 7919 + shape["cases"])
    vocab, cum = _vocabulary(rng)
    t0 = time.perf_counter()
    with write_session(engine) as s:
        dialect = s.connection().dialect.name
        now = _driver_now(dialect)
        project = create_project(s, shape["name"])
        cases = [Case(project_id=project.id, name=f"Netwerk {i + 1:02d}") for i in range(shape["cases"])]
        coders = [Coder(project_id=project.id, name=n) for n in CODERS]
        s.add_all(cases + coders)
        s.flush()
        # Codebooks: each `tops` top codes with `children` children, all codable, 2 levels.
        codes: list[Code] = []
        for key, tops, children in shape["codebooks"]:
            book = Codebook(project_id=project.id, key=key, prefix="", origin="project", version="1.0",
                            name_en=f"Bench codebook {key}")
            s.add(book)
            s.flush()
            position = 0
            for t in range(tops):
                top = Code(codebook_id=book.id, key=f"{key}.t{t + 1}", position=position,
                           label_en=f"{key} top {t + 1}", colour=f"#{rng.randrange(0x1000000):06x}", rank=t + 1)
                position += 1
                s.add(top)
                s.flush()
                codes.append(top)
                for c in range(children):
                    child = Code(codebook_id=book.id, parent_id=top.id, key=f"{key}.t{t + 1}.c{c + 1}",
                                 position=position, label_en=f"{key} {t + 1}.{c + 1}",
                                 colour=f"#{rng.randrange(0x1000000):06x}")
                    position += 1
                    s.add(child)
                    codes.append(child)
            s.flush()
        code_ids = [c.id for c in codes]
        rng.shuffle(code_ids)  # Zipf rank order spread over the codebooks
        code_cum = list(accumulate(1 / (r + 1) for r in range(len(code_ids))))

        # Documents, texts, speakers, persons, case links.
        n_docs = shape["documents"]
        docs, texts, transcripts, persons = [], [], [], []
        person_of_case: dict[int, list[Person]] = {}
        links: list[tuple[int, int]] = []
        for d in range(n_docs):
            case_index = d % len(cases)
            respondents = ["R1", "R2"] if rng.random() < 0.15 else ["R"]
            tr = _transcript(rng, vocab, cum, respondents)
            data = tr["text"].encode("utf-8")
            doc = Document(project_id=project.id, title=f"Interview {d + 1:03d}", kind="interview", language="nl",
                           source_filename=f"interview-{d + 1:03d}.txt", source_format="txt",
                           source_encoding="utf-8", sha256=hashlib.sha256(data).hexdigest(), file_size=len(data),
                           original_bytes=data, current_version=1,
                           document_date=date(2025, 1 + d % 12, 1 + d % 28))
            docs.append(doc)
            transcripts.append((tr, respondents, case_index))
        s.add_all(docs)
        s.flush()
        speaker_plan: list[list[tuple[str, str, Person | None]]] = []
        for doc, (tr, respondents, case_index) in zip(docs, transcripts):
            texts.append(TextVersion(document_id=doc.id, version=1, text=tr["text"], length=len(tr["text"]),
                                     normalisation_version=1))
            links.append((cases[case_index].id, doc.id))
            if rng.random() < 0.10:  # also in a second case
                links.append((cases[(case_index + 1 + rng.randrange(len(cases) - 1)) % len(cases)].id, doc.id))
            plan: list[tuple[str, str, Person | None]] = [("I", "interviewer", None)]
            for label in respondents:
                known = person_of_case.setdefault(case_index, [])
                if known and rng.random() < 0.10:  # interviewed twice
                    person = rng.choice(known)
                else:
                    person = Person(project_id=project.id, name=f"Respondent {len(persons) + 1}",
                                    pseudonym=f"R-{len(persons) + 1:03d}", role="respondent",
                                    case_id=cases[case_index].id)
                    persons.append(person)
                    known.append(person)
                plan.append((label, "respondent", person))
            speaker_plan.append(plan)
        s.add_all(texts + persons)
        s.flush()
        speaker_of: list[dict[str, Speaker]] = []
        for doc, plan in zip(docs, speaker_plan):
            speaker_of.append({label: Speaker(document_id=doc.id, label=label, role=role,
                                              person_id=person.id if person is not None else None)
                               for label, role, person in plan})
        s.add_all([sp for by_label in speaker_of for sp in by_label.values()])
        s.add_all([CaseDocument(case_id=c, document_id=d) for c, d in links])
        s.flush()

        # Turns and sentences, straight to the driver.
        turn_rows = []
        for doc, text, (tr, _, _), by_label in zip(docs, texts, transcripts, speaker_of):
            for i, t in enumerate(tr["turns"]):
                turn_rows.append((text.id, i, by_label[t["label"]].id, t["start"], t["end"], t["content_start"],
                                  None, None, "nl"))
        insert_rows(s, Turn.__table__, ("guid", "text_version_id", "ordinal", "speaker_id", "start", "end",
                                        "content_start", "start_ms", "end_ms", "language"),
                    [(g, *r) for g, r in zip(new_guids(len(turn_rows)), turn_rows)])
        version_ids = [t.id for t in texts]
        turn_id = {(v, o): i for i, v, o in s.execute(
            select(Turn.id, Turn.text_version_id, Turn.ordinal).where(Turn.text_version_id.in_(version_ids)))}
        sentence_rows = []
        for text, (tr, _, _) in zip(texts, transcripts):
            ordinal = 0
            for i, t in enumerate(tr["turns"]):
                for a, b in t["sentences"]:
                    sentence_rows.append((text.id, turn_id[(text.id, i)], ordinal, a, b))
                    ordinal += 1
        insert_rows(s, Sentence.__table__, ("guid", "text_version_id", "turn_id", "ordinal", "start", "end"),
                    [(g, *r) for g, r in zip(new_guids(len(sentence_rows)), sentence_rows)])

        # Codings: per (document, coder) unit a share of the total; primary units first (lower segment ids).
        primary = [coders[d % len(coders)] for d in range(n_docs)]
        double = sorted(rng.sample(range(n_docs), max(1, round(n_docs * 0.10))))
        units = [(d, primary[d]) for d in range(n_docs)]
        units += [(d, coders[(d + 1 + rng.randrange(len(coders) - 1)) % len(coders)]) for d in double]
        weights = [rng.uniform(0.5, 1.5) for _ in units]
        total = shape["codings"]
        budgets = [int(total * w / sum(weights)) for w in weights]
        budgets[-1] += total - sum(budgets)
        segment_rows, planned_codes = [], []
        for (d, coder), budget in zip(units, budgets):
            tr = transcripts[d][0]
            respondent_turns = [t for t in tr["turns"] if t["label"] != "I"]
            interviewer_turns = [t for t in tr["turns"] if t["label"] == "I"]
            while budget > 0:
                turn = rng.choice(interviewer_turns if rng.random() < 0.05 else respondent_turns)
                ws = turn["words"]
                n = min(len(ws), rng.randint(3, 40))
                first = rng.randrange(0, len(ws) - n + 1)
                k = min(budget, rng.choices((1, 2, 3), weights=(75, 18, 7))[0])
                chosen: list[int] = []
                while len(chosen) < k:
                    c = rng.choices(code_ids, cum_weights=code_cum)[0]
                    if c not in chosen:
                        chosen.append(c)
                segment_rows.append((docs[d].id, texts[d].id, coder.id, ws[first][0], ws[first + n - 1][1], now))
                planned_codes.append(chosen)
                budget -= k
        guids = new_guids(len(segment_rows))
        insert_rows(s, Segment.__table__, ("guid", "document_id", "text_version_id", "coder_id", "start", "end",
                                           "created_at"), [(g, *r) for g, r in zip(guids, segment_rows)])
        seg_id = {g.hex: i for g, i in s.execute(
            select(Segment.guid, Segment.id).where(Segment.document_id.in_([d.id for d in docs])))}
        coding_rows = [(seg_id[g], c, now, "manual") for g, chosen in zip(guids, planned_codes) for c in chosen]
        insert_rows(s, Coding.__table__, ("guid", "segment_id", "code_id", "created_at", "origin"),
                    [(g, *r) for g, r in zip(new_guids(len(coding_rows)), coding_rows)])
        # A few double-coded documents have the second coder chosen as the primary one.
        for d in double[::3]:
            docs[d].primary_coder_id = units[n_docs + double.index(d)][1].id
        s.flush()

        if shape["framework"]:
            _framework(s, project, cases, codes, rng)
        stored = {"project_id": project.id, "codings": len(coding_rows), "segments": len(segment_rows),
                  "turns": len(turn_rows), "sentences": len(sentence_rows), "documents": n_docs,
                  "cases": len(cases), "codes": len(codes), "persons": len(persons), "case_links": len(links),
                  "double_coded_documents": len(double), "text_chars": sum(t.length for t in texts),
                  "codebooks": [k for k, _, _ in shape["codebooks"]]}
    stored["build_s"] = time.perf_counter() - t0
    return stored


def _framework(s, project, cases, codes, rng: random.Random) -> None:  # noqa: ANN001
    """Framework cells (states, ratings, 1-2 sentence summaries, pinned quotes) and focus-group feedback."""
    from sqlalchemy import select

    from store.models import CaseDocument, CellQuote, Coding, Feedback, FocusGroupSession, FrameworkCell, Segment

    evidence: dict[tuple[int, int], list[int]] = {}
    for case_id, code_id, seg in s.execute(
            select(CaseDocument.case_id, Coding.code_id, Segment.id)
            .join(Segment, Segment.document_id == CaseDocument.document_id)
            .join(Coding, Coding.segment_id == Segment.id)
            .where(CaseDocument.case_id.in_([c.id for c in cases]))):
        evidence.setdefault((case_id, code_id), []).append(seg)
    cells = []
    for case in cases:
        for code in codes:
            roll = rng.random()
            if roll < 0.6:
                cell = FrameworkCell(project_id=project.id, case_id=case.id, code_id=code.id, state="assessed",
                                     rating=rng.randint(1, 4), validation=rng.choice(("proposed", "confirmed")),
                                     summary=f"In {case.name} the network shows {code.label_en}. "
                                             "Respondents give concrete examples.", updated_by="Anna")
                found = evidence.get((case.id, code.id), [])
                for position, seg in enumerate(rng.sample(found, min(len(found), rng.randint(1, 2)))):
                    cell.quotes.append(CellQuote(segment_id=seg, position=position))
            elif roll < 0.7:
                cell = FrameworkCell(project_id=project.id, case_id=case.id, code_id=code.id, state="no_data")
            elif roll < 0.75:
                cell = FrameworkCell(project_id=project.id, case_id=case.id, code_id=code.id, state="not_applicable")
            else:
                continue
            cells.append(cell)
    s.add_all(cells)
    meeting = FocusGroupSession(project_id=project.id, name="Validation 1", held_on=date(2026, 10, 1),
                                purpose="validation", attendees={"respondent": 6, "coordinator": 2})
    s.add(meeting)
    s.flush()
    s.add_all([Feedback(session_id=meeting.id, case_id=rng.choice(cases).id, code_id=rng.choice(codes).id,
                        stance=rng.choice(("agree", "disagree", "amend", "add")), participant_role="respondent",
                        note="Participants recognise this in their own network.", recorded_by="Anna")
               for _ in range(30)])
    s.flush()


# ---------------------------------------------------------------------------------------------
# The timed kinds
# ---------------------------------------------------------------------------------------------

def _primary_cte(project_id: int) -> str:
    """SQL: each document's primary coder -- the one it names, else the coder of its first segment."""
    return ("WITH f AS (SELECT s1.document_id, min(s1.id) AS first_id FROM segment s1 "
            f"JOIN document d1 ON d1.id = s1.document_id WHERE d1.project_id = {project_id} "
            "GROUP BY s1.document_id), "
            "pc AS (SELECT d.id AS document_id, COALESCE(d.primary_coder_id, fs.coder_id) AS coder_id "
            "FROM document d JOIN f ON f.document_id = d.id JOIN segment fs ON fs.id = f.first_id) ")


def count_sql(project_id: int, codebook_id: int) -> str:
    """The bare GROUP BY: in-scope (case, code) counts of coded segments (a segment has a code at most once)."""
    return (_primary_cte(project_id) +
            "SELECT cd.case_id, c.code_id, count(*) FROM coding c "
            "JOIN code k ON k.id = c.code_id "
            "JOIN segment s ON s.id = c.segment_id "
            "JOIN pc ON pc.document_id = s.document_id AND pc.coder_id = s.coder_id "
            "JOIN case_document cd ON cd.document_id = s.document_id "
            f"WHERE k.codebook_id = {codebook_id} "
            "GROUP BY cd.case_id, c.code_id")


def quotes_sql(project_id: int, codebook_id: int) -> str:
    """The bare SELECT of every quote's row key, column, text slice and reference fields."""
    return (_primary_cte(project_id) +
            "SELECT cd.case_id, c.code_id, s.guid, d.title, d.guid, s.start, s.\"end\", "
            "substr(tv.text, s.start + 1, s.\"end\" - s.start), t.ordinal, sp.role, sp.label, p.pseudonym, "
            "coalesce(sp.person_id, -sp.id), co.name FROM coding c "
            "JOIN code k ON k.id = c.code_id "
            "JOIN segment s ON s.id = c.segment_id "
            "JOIN pc ON pc.document_id = s.document_id AND pc.coder_id = s.coder_id "
            "JOIN document d ON d.id = s.document_id "
            "JOIN case_document cd ON cd.document_id = s.document_id "
            "JOIN text_version tv ON tv.id = s.text_version_id "
            "JOIN coder co ON co.id = s.coder_id "
            "LEFT JOIN turn t ON t.text_version_id = s.text_version_id AND t.start <= s.start "
            "AND s.start < t.\"end\" "
            "LEFT JOIN speaker sp ON sp.id = t.speaker_id "
            "LEFT JOIN person p ON p.id = sp.person_id "
            f"WHERE k.codebook_id = {codebook_id}")


class Kinds:
    """Each kind as a call on an open session; the project rows are loaded before any clock starts."""

    def __init__(self, ids: dict) -> None:
        from coding.cooccurrence import CooccurrenceSpec, build_cooccurrence
        from coding.matrix import MatrixSpec, build_matrix

        self.ids = ids
        self.build_matrix, self.MatrixSpec = build_matrix, MatrixSpec
        self.build_cooccurrence, self.CooccurrenceSpec = build_cooccurrence, CooccurrenceSpec
        if ids["report"]:  # imported before any clock starts, like the other kinds' modules
            import exports.cross_case_report  # noqa: F401
        self.sql = {"count_sql": count_sql(ids["project_id"], ids["codebook_id"]),
                    "quotes_sql": quotes_sql(ids["project_id"], ids["codebook_id"])}

    def run(self, kind: str, s, project, project20):  # noqa: ANN001, ANN201
        if kind == "count":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK, measure="count"))
        if kind == "quotes":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK,
                                                                 measure="quotes"))
        if kind in self.sql:
            return s.connection().exec_driver_sql(self.sql[kind]).fetchall()
        if kind.startswith("cooc_"):
            return self.build_cooccurrence(s, project, self.CooccurrenceSpec(codebook=CODEBOOK,
                                                                             unit=kind[len("cooc_"):]))
        if kind in REPORT_KINDS:
            from exports.cross_case_report import build_cross_case_report  # being written; may be absent

            return build_cross_case_report(s, project20, codebook=REPORT_CODEBOOK, depth=None,
                                           images=kind == "report_images")
        raise ValueError(kind)


def check(kind: str, result, ids: dict) -> dict:  # noqa: ANN001
    """What a kind produced, in a form that the A/B pairs can be compared on."""
    if kind == "count":
        return {"cells": {f"{r.sql_key}/{c.code_id}": result.counts[i][j] for i, r in enumerate(result.rows)
                          for j, c in enumerate(result.columns) if result.counts[i][j]},
                "shape": [len(result.rows), len(result.columns)]}
    if kind == "count_sql":
        return {"cells": {f"{case_id}/{code_id}": n for case_id, code_id, n in result}}
    if kind == "quotes":
        quotes = {(r.sql_key, c.code_id, q.segment, q.text, q.turn, q.role, q.coder)
                  for i, r in enumerate(result.rows) for j, c in enumerate(result.columns)
                  for q in result.quotes[i][j]}
        return {"quotes": sum(len(cell) for row in result.quotes for cell in row), "set": quotes}
    if kind == "quotes_sql":
        quotes = {(row[0], row[1], str(uuid.UUID(str(row[2]))), row[7], row[8], row[9] or "unknown", row[13])
                  for row in result}
        return {"quotes": len(result), "set": quotes}
    if kind.startswith("cooc_"):
        return {"pairs": sum(v for row in result.n12 for v in row if v), "shape": [len(result.rows),
                                                                                   len(result.columns)],
                "note": result.note}
    if kind in REPORT_KINDS:
        import io

        import docx

        document = docx.Document(io.BytesIO(result))
        shapes = sorted(((len(t.rows), len(t.columns)) for t in document.tables), reverse=True)
        return {"bytes": len(result), "tables": len(shapes), "largest_table": shapes[0] if shapes else None,
                "images": len(document.inline_shapes)}
    return {}


def verify(found: dict[str, dict]) -> dict:
    """The matrix and its bare-SQL twin must agree: same counts, same quotes."""
    a, b = found["count"]["cells"], found["count_sql"]["cells"]
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))[:5]
        raise SystemExit(f"count matrix and bare GROUP BY disagree ({len(a)} vs {len(b)} cells), e.g. {diff}")
    qa, qb = found["quotes"], found["quotes_sql"]
    if qa["quotes"] != qb["quotes"] or qa["set"] != qb["set"]:
        diff = sorted(map(str, qa["set"] ^ qb["set"]))[:3]
        raise SystemExit(f"quotes matrix ({qa['quotes']}) and bare SELECT ({qb['quotes']}) disagree, e.g. {diff}")
    return {"count_cells_nonzero": len(a), "count_total": sum(a.values()), "matrix_shape": found["count"]["shape"],
            "quotes": qa["quotes"], "cooc_overlap_pairs": found["cooc_overlap"]["pairs"],
            "cooc_turn_pairs": found["cooc_turn"]["pairs"], "cooc_note": found["cooc_overlap"]["note"]}


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------

def _open(url: str, ids: dict):  # noqa: ANN202
    from sqlalchemy.orm import configure_mappers

    from store.db import get_engine

    configure_mappers()
    return get_engine(url), Kinds(ids)


def _call(engine, kinds: Kinds, kind: str, ids: dict,  # noqa: ANN001
          profiler: cProfile.Profile | None = None) -> tuple:
    """One timed call in a new session; the project rows are read before the clock starts."""
    from store.db import read_session
    from store.models import Project

    with read_session(engine) as s:
        project = s.get(Project, ids["project_id"])
        project20 = s.get(Project, ids["project20_id"])
        if profiler is not None:
            profiler.enable()
        with Sample(runqueue_wait_s) as sample:
            result = kinds.run(kind, s, project, project20)
        if profiler is not None:
            profiler.disable()
    return sample.as_dict(), result


def warm_worker(args: argparse.Namespace) -> None:
    ids = json.loads(args.ids)
    engine, kinds = _open(args.db_url, ids)
    run_kinds = list(KINDS) + (list(REPORT_KINDS) if ids["report"] else [])
    found, warmup = {}, {}
    for kind in run_kinds:  # warm-up, discarded: also the checks
        sample, result = _call(engine, kinds, kind, ids)
        warmup[kind] = sample
        found[kind] = check(kind, result, ids)
    checked = verify(found)
    if ids["report"]:
        checked["report"] = {k: found[k] for k in REPORT_KINDS}
    runs: dict[str, list[dict]] = {k: [] for k in run_kinds}
    for r in range(args.repeats):
        for kind in run_kinds:
            if kind in REPORT_KINDS and r >= args.report_repeats:
                continue
            runs[kind].append(_call(engine, kinds, kind, ids)[0])
        print(json.dumps({"progress": r + 1, "of": args.repeats,
                          "medians_so_far_ms": {k: round(statistics.median(x["seconds"] for x in v) * 1e3, 1)
                                                for k, v in runs.items() if v}}), flush=True)
    profiles = {} if args.no_profile else profile_kinds(engine, kinds, ids, args.profile_tag)
    print(json.dumps({"result": {"warmup": warmup, "runs": runs, "checked": checked, "profiles": profiles}},
                     default=str), flush=True)


def cold_worker(args: argparse.Namespace) -> None:
    ids = json.loads(args.ids)
    engine, kinds = _open(args.db_url, ids)
    sample, result = _call(engine, kinds, args.kind, ids)
    print(json.dumps({"result": {"sample": sample, "check": {k: v for k, v in check(args.kind, result, ids).items()
                                                             if k != "set" and k != "cells"}}}, default=str),
          flush=True)


def profile_kinds(engine, kinds: Kinds, ids: dict, tag: str) -> dict:  # noqa: ANN001
    """cProfile of each target kind (warm): the top project functions by cumulative time, and a text dump."""
    root, venv, bench = str(ROOT) + os.sep, str(ROOT / ".venv"), str(ROOT / "bench")
    out = {}
    profiled = ["count", "quotes", "cooc_overlap", "cooc_turn", "count_sql", "quotes_sql"]
    for kind in profiled + (["report_plain"] if ids["report"] else []):
        prof = cProfile.Profile()
        sample, _ = _call(engine, kinds, kind, ids, profiler=prof)
        stats = pstats.Stats(prof)
        path = RESULTS / f"matrix_profile{tag}_{kind}.txt"
        RESULTS.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(45)
            pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(25)
        rows = []
        for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            shown = os.path.relpath(filename, ROOT) if filename.startswith(root) else filename
            rows.append({"function": f"{shown}:{line}({func})", "ncalls": nc, "tottime_s": tt, "cumtime_s": ct,
                         "own": filename.startswith(root) and not filename.startswith((venv, bench))})
        own = sorted((r for r in rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)[:15]
        top_self = sorted(rows, key=lambda r: r["tottime_s"], reverse=True)[:12]
        out[kind] = {"profiled_s": sample["seconds"], "total_s": stats.total_tt,  # type: ignore[attr-defined]
                     "top_project_cumulative": own, "top_self": top_self, "file": str(path)}
    return out


# ---------------------------------------------------------------------------------------------
# Parent: set-up, drive the workers, summarise
# ---------------------------------------------------------------------------------------------

def _worker_cmd(args: argparse.Namespace, url: str, ids: dict, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--db", url, "--ids", json.dumps(ids), *extra]


def _last_json(proc: subprocess.CompletedProcess, what: str) -> dict:
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith('{"result"'):
            return json.loads(line)["result"]
    raise SystemExit(f"{what} worker failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")


def prepare(url: str | None, tmp: str, seed: int) -> tuple[str, dict]:
    from sqlalchemy import select

    from store.db import read_session
    from store.migrate import upgrade
    from store.models import Codebook, Project

    url = url or f"sqlite:///{tmp}/matrix-bench.sqlite"
    engine = upgrade(url)
    with read_session(engine) as s:
        existing = s.scalars(select(Project.name).where(Project.name.in_((PROJECT, PROJECT20)))).all()
    if existing:
        raise SystemExit(f"the database already holds project(s) {existing}: use an empty database "
                         "(the benchmark builds and removes its own projects)")
    main = build_project(engine, MAIN, seed)
    small = build_project(engine, SMALL, seed)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would soon after a bulk load
    with read_session(engine) as s:
        codebook_id = s.scalar(select(Codebook.id).where(Codebook.project_id == main["project_id"],
                                                         Codebook.key == CODEBOOK))
    size = None
    if engine.dialect.name == "sqlite":
        path = url.split("///", 1)[1]
        size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    else:
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    engine.dispose()
    ids = {"project_id": main["project_id"], "project20_id": small["project_id"], "codebook_id": codebook_id,
           "report": importlib.util.find_spec(REPORT_MODULE) is not None}
    return url, {"ids": ids, "main": main, "report_project": small, "db_bytes": size,
                 "dialect": engine.dialect.name}


def cleanup(url: str, ids: dict) -> None:
    """Remove the benchmark's projects from a database given with --db (cascades to everything in them)."""
    from sqlalchemy import delete, select

    from store.db import get_engine
    from store.models import Event, Project

    engine = get_engine(url)
    with engine.begin() as conn:
        guids = conn.execute(select(Project.guid).where(Project.id.in_([ids["project_id"], ids["project20_id"]])))
        guids = [g for (g,) in guids]
        conn.execute(delete(Event).where(Event.project_guid.in_(guids)))
        conn.execute(delete(Project).where(Project.guid.in_(guids)))
    engine.dispose()


def _summary(runs: list[dict]) -> dict:
    return summarise(runs, nullable={"runqueue_wait_median_s": "waited_s"})


def measure(args: argparse.Namespace) -> dict:
    started = datetime.now(timezone.utc)
    load_before = load()
    tmp = tempfile.mkdtemp(prefix="kp-matrix-bench-")
    url = None
    try:
        print(f"building the synthetic projects (seed {args.seed}) ...", flush=True)
        url, setup = prepare(args.db, tmp, args.seed)
        ids = setup["ids"]
        m = setup["main"]
        print(f"  {m['cases']} cases, {m['documents']} documents ({m['case_links']} case links), {m['codes']} codes "
              f"in {len(m['codebooks'])} codebooks, {m['codings']:,} codings on {m['segments']:,} segments, "
              f"{m['turns']:,} turns, {m['sentences']:,} sentences, {m['text_chars'] / 1e6:.1f} M characters; "
              f"built in {m['build_s']:.1f} s; report project built in {setup['report_project']['build_s']:.1f} s; "
              f"database {setup['dialect']}, {setup['db_bytes'] / 1e6:.0f} MB", flush=True)
        if not ids["report"]:
            print(f"  Word report: {SKIPPED_REPORT} ({REPORT_MODULE})", flush=True)
        tag = "_postgresql" if setup["dialect"] == "postgresql" else ""
        extra = ["--repeats", str(args.repeats), "--report-repeats", str(args.report_repeats),
                 "--profile-tag", tag] + (["--no-profile"] if args.no_profile else [])
        ids_for_workers = ids | {"report": ids["report"] and not args.no_report}
        print("warm worker ...", flush=True)
        with subprocess.Popen(_worker_cmd(args, url, ids_for_workers, "--worker", "warm", *extra), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as worker:
            lines = []
            for line in worker.stdout:  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith('{"progress"'):
                    print("  " + line.rstrip(), flush=True)
            stderr = worker.stderr.read()  # type: ignore[union-attr]
        warm = _last_json(subprocess.CompletedProcess(worker.args, worker.returncode, "".join(lines), stderr),
                          "warm")
        print(f"  checked: {warm['checked']}", flush=True)
        cold_kinds = list(KINDS) + (list(REPORT_KINDS) if ids_for_workers["report"] else [])
        cold: dict[str, list[dict]] = {k: [] for k in cold_kinds}
        cold_checks: dict[str, dict] = {}
        print("cold workers (a fresh process per kind and round) ...", flush=True)
        for r in range(args.repeats):
            for kind in cold_kinds:
                if kind in REPORT_KINDS and r >= args.report_repeats:
                    continue
                p = subprocess.run(_worker_cmd(args, url, ids_for_workers, "--worker", "cold", "--kind", kind),
                                   cwd=ROOT, capture_output=True, text=True)
                res = _last_json(p, f"cold {kind}")
                cold[kind].append(res["sample"])
                cold_checks[kind] = res["check"]
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds'] * 1e3:.0f} ms" for k, v in cold.items()
                                                   if len(v) == r + 1), flush=True)
        if cold_checks["quotes"]["quotes"] != warm["checked"]["quotes"]:
            raise SystemExit("the cold quotes matrix found another number of quotes than the warm one")
        if args.db and not args.keep:
            cleanup(url, ids)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = load()

    summary = {"warm": {k: _summary(v) for k, v in warm["runs"].items() if v},
               "cold": {k: _summary(v) for k, v in cold.items() if v}}
    targets = {}
    for temp in ("warm", "cold"):
        s = summary[temp]
        cr = s["count"]["median_s"] / s["count_sql"]["median_s"]
        qr = s["quotes"]["median_s"] / s["quotes_sql"]["median_s"]
        cpu = {"count_ratio_cpu": s["count"]["cpu_median_s"] / s["count_sql"]["cpu_median_s"],
               "quotes_ratio_cpu": s["quotes"]["cpu_median_s"] / s["quotes_sql"]["cpu_median_s"]}
        targets[temp] = {
            "info_cpu_time": cpu | {"cooc_overlap_cpu_s": s["cooc_overlap"]["cpu_median_s"],
                                    "cooc_turn_cpu_s": s["cooc_turn"]["cpu_median_s"],
                                    "count_cpu_s": s["count"]["cpu_median_s"]},
            "count_ratio": {"target": f"<= {TARGET_COUNT_RATIO:g}x the bare GROUP BY", "measured": cr,
                            "pass": cr <= TARGET_COUNT_RATIO},
            "count_time": {"target": f"< {TARGET_COUNT_S:g} s", "measured": s["count"]["median_s"],
                           "pass": s["count"]["median_s"] < TARGET_COUNT_S},
            "quotes_ratio": {"target": f"<= {TARGET_QUOTES_RATIO:g}x the bare SELECT", "measured": qr,
                             "pass": qr <= TARGET_QUOTES_RATIO},
            "cooc_overlap": {"target": f"< {TARGET_COOC_S:g} s", "measured": s["cooc_overlap"]["median_s"],
                             "pass": s["cooc_overlap"]["median_s"] < TARGET_COOC_S},
            "cooc_turn": {"target": f"< {TARGET_COOC_S:g} s", "measured": s["cooc_turn"]["median_s"],
                          "pass": s["cooc_turn"]["median_s"] < TARGET_COOC_S},
        }
    return {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": {"repeats": args.repeats, "seed": args.seed, "report_repeats": args.report_repeats,
                 "db": "sqlite tempdir" if not args.db else _redact(args.db)},
        "database": setup["dialect"], "db_bytes": setup["db_bytes"],
        "machine": machine(), "versions": versions("sqlalchemy", "psycopg", "python-docx", "kaleido"),
        "load_before": load_before, "load_after": load_after,
        "project": setup["main"], "report_project": setup["report_project"],
        "report": ("measured" if ids_for_workers["report"] else
                   ("skipped: --no-report" if ids["report"] else SKIPPED_REPORT)),
        "checked": warm["checked"], "cold_checks": cold_checks,
        "summary": summary, "targets": targets,
        "warmup": warm["warmup"], "warm_runs": warm["runs"], "cold_runs": cold,
        "profiles": warm["profiles"],
        "method": {
            "count": "build_matrix(s, project, MatrixSpec(rows='cases', codebook='bench-a', measure='count'))",
            "count_sql": count_sql(ids["project_id"], ids["codebook_id"]),
            "quotes": "build_matrix(..., measure='quotes')",
            "quotes_sql": quotes_sql(ids["project_id"], ids["codebook_id"]),
            "cooc": "build_cooccurrence(s, project, CooccurrenceSpec(codebook='bench-a', unit='overlap'|'turn'))",
            "report": "build_cross_case_report(s, project20, codebook='bench-r', depth=None, images=True|False)",
            "warm": "one worker process; warm-up call per kind discarded (and checked); then rounds with the kinds "
                    "interleaved; each call in a new read_session, project rows loaded before the clock",
            "cold": "a fresh process per kind and round: imports + configure_mappers, new engine, new connection "
                    "that has read the project rows only; timed: the first call; OS file cache warm",
        },
    }


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_report(r: dict) -> None:
    v, p = r["versions"], r["project"]
    print()
    print(f"Kruispunt matrix benchmark  {r['started_utc']}  ({r['database']})")
    print(describe_machine(r))
    print(f"versions: Python {v['python']}, SQLite {v['sqlite']}, SQLAlchemy {v['sqlalchemy']}, "
          f"psycopg {v['psycopg']}")
    print(f"project: {p['cases']} cases, {p['documents']} documents, {p['codes']} codes in 3 codebooks, "
          f"{p['codings']:,} codings ({p['segments']:,} segments); seed {r['args']['seed']}, median of "
          f"{r['args']['repeats']}")
    c = r["checked"]
    print(f"checked: count matrix {c['matrix_shape'][0]} x {c['matrix_shape'][1]}, {c['count_cells_nonzero']} "
          f"non-zero cells, {c['count_total']:,} coded segments = bare GROUP BY; {c['quotes']:,} quotes = bare "
          f"SELECT; co-occurrence pairs: overlap {c['cooc_overlap_pairs']:,}, turn {c['cooc_turn_pairs']:,}")
    print()
    print(f"  {'':14} {'warm median':>12} {'min':>9} {'max':>9} {'cpu':>9} | {'cold median':>12} {'min':>9} "
          f"{'max':>9} {'cpu':>9}")
    for kind in list(KINDS) + list(REPORT_KINDS):
        if kind not in r["summary"]["warm"]:
            continue
        w, c = r["summary"]["warm"][kind], r["summary"]["cold"].get(kind)
        cells = " ".join(f"{w[k] * 1e3:7.1f} ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s"))
        cold = " ".join(f"{c[k] * 1e3:7.1f} ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s")) if c else ""
        print(f"  {kind:14} {cells[:10]:>12} {cells[10:]} | {cold[:10]:>12} {cold[10:]}")
    if r["report"] != "measured":
        print(f"  Word report: {r['report']}")
    else:
        for kind, found in r["checked"]["report"].items():
            print(f"  {kind}: .docx of {found['bytes'] / 1e3:.0f} kB, {found['tables']} tables (largest "
                  f"{found['largest_table'][0]} x {found['largest_table'][1]} with its header row and column), "
                  f"{found['images']} images")
    print()
    for temp in ("warm", "cold"):
        t = r["targets"][temp]
        print(f"  {temp}: count {t['count_ratio']['measured']:.2f}x bare (<= 3x) "
              f"{'PASS' if t['count_ratio']['pass'] else 'FAIL'}, {t['count_time']['measured'] * 1e3:.0f} ms "
              f"(< 300 ms) {'PASS' if t['count_time']['pass'] else 'FAIL'}; quotes "
              f"{t['quotes_ratio']['measured']:.2f}x bare (<= 5x) {'PASS' if t['quotes_ratio']['pass'] else 'FAIL'}; "
              f"co-occurrence overlap {t['cooc_overlap']['measured']:.2f} s, turn {t['cooc_turn']['measured']:.2f} s "
              f"(< 2 s) {'PASS' if t['cooc_overlap']['pass'] and t['cooc_turn']['pass'] else 'FAIL'}")
        c = t["info_cpu_time"]
        print(f"    on CPU time (process_time medians): count {c['count_ratio_cpu']:.2f}x, "
              f"{c['count_cpu_s'] * 1e3:.0f} ms; quotes {c['quotes_ratio_cpu']:.2f}x; co-occurrence overlap "
              f"{c['cooc_overlap_cpu_s']:.2f} s, turn {c['cooc_turn_cpu_s']:.2f} s")
    for kind, prof in (r.get("profiles") or {}).items():
        if kind.endswith("_sql"):
            continue
        print(f"\n  cProfile {kind} (warm, {prof['profiled_s'] * 1e3:.0f} ms profiled): top project functions")
        for row in prof["top_project_cumulative"][:8]:
            print(f"    {row['cumtime_s'] * 1e3:8.1f} ms cum {row['tottime_s'] * 1e3:7.1f} ms self "
                  f"{row['ncalls']:>8,}  {row['function']}")
        print("    top own time:")
        for row in prof["top_self"][:5]:
            print(f"    {row['tottime_s'] * 1e3:8.1f} ms self {row['ncalls']:>8,}  {row['function']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--report-repeats", type=int, default=None, help="rounds that include the Word report "
                   "(default: --repeats)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--db", help="a SQLAlchemy URL of an empty database (default: SQLite in a tempdir)")
    p.add_argument("--keep", action="store_true", help="with --db: leave the benchmark's projects in place")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--no-report", action="store_true", help="skip the Word report even when its builder exists")
    p.add_argument("--worker", choices=("warm", "cold"), help=argparse.SUPPRESS)
    p.add_argument("--kind", help=argparse.SUPPRESS)
    p.add_argument("--ids", help=argparse.SUPPRESS)
    p.add_argument("--profile-tag", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.report_repeats is None:
        args.report_repeats = args.repeats
    if args.worker:
        args.db_url = args.db
        (warm_worker if args.worker == "warm" else cold_worker)(args)
        return 0
    result = measure(args)
    print_report(result)
    name = "matrix_bench_postgresql.json" if result["database"] == "postgresql" else "matrix_bench.json"
    print(f"\nwrote {write_json(RESULTS / name, result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
