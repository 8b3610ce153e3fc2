"""The matrix benchmark's synthetic projects (bench/matrix_bench.py): 100,000 codings built straight into the db.

The projects' names and shapes (MAIN, SMALL) and ``build_project``, kept apart from the timed kinds
(bench/matrix_kinds.py) and the worker processes that time them.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import date, datetime, timezone
from itertools import accumulate

PROJECT = "Matrix Bench"
PROJECT20 = "Matrix Bench 20"
CODEBOOK = "bench-a"
REPORT_CODEBOOK = "bench-r"
CODERS = ("Anna", "Bram", "Chris", "Dewi")

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
