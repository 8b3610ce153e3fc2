"""Editing and pseudonymising after coding (issue 14), against re-importing the same text, in the same run.

    .venv/bin/python bench/text_edit_bench.py [--db sqlite|postgresql] [--repeats 3]

E  edit one turn in the middle of a 10,000-word transcript (the demo's interviews repeated, 200 turns) that
   carries 300 codings, with `coding.text_edits.edit_turn` (commits; undone, untimed, before the next round);
   floor R: importing the edited text as a new document with `cases.importer.store_import` (rolled back).
P  pseudonymise the whole demo project (a fresh copy each round, untimed) with its registered persons and the
   demo's mask list plus every person's surname (`coding.pseudonymise.pseudonymise_document` per document,
   each its own transaction); floor R: importing all the pseudonymised texts again (rolled back).

Correctness, independent of the diff: after E, every segment outside the edited turn must sit exactly where
offset arithmetic puts it (before: unchanged; after: shifted by the turn's growth) with the same text; after P,
a segment without a listed name keeps its text, and one holding names is compared with its old text where each
name is replaced by plain `str.replace`.
Median of --repeats after a warm-up. Results go to stdout and bench/results/text_edit_bench_<db>.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, describe_machine, load, machine, scratch_database, versions, write_json  # noqa: E402

INTERVIEW = ROOT / "demo" / "data" / "grenzeloos" / "a1_interview_hoekstra.txt"


def long_transcript(words: int = 10_000) -> str:
    lines = [line for line in INTERVIEW.read_text(encoding="utf-8").splitlines() if ": " in line]
    out, count, k = [], 0, 0
    while count < words:
        line = lines[k % len(lines)]
        out.append(line)
        count += len(line.split())
        k += 1
    return "\n".join(out) + "\n"


def build_edit_study(engine) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from cases.importer import preview_import, store_import
    from cases.projects import create_case, create_project, get_or_create_coder
    from codebooks.service import adopt_codebook
    from coding.codings import apply_coding
    from store.db import write_session

    text = long_transcript()
    rng = random.Random(7)
    with write_session(engine) as s:
        project = create_project(s, "Bewerken")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("lang.txt", text.encode()),
                                cases=[create_case(s, project, "Alfa")])
        coders = [get_or_create_coder(s, project, n)[0] for n in ("Anna", "Bram", "Chris")]
        made = 0
        while made < 300:
            start = rng.randrange(0, len(text) - 200)
            try:
                apply_coding(s, project, document, coders[made % 3], start, start + rng.randrange(20, 180),
                             ["vc.immediate"], actor="bench")
                made += 1
            except Exception:  # noqa: BLE001  (the same span twice: draw again)
                continue
        return str(project.guid), str(document.guid)


def segments(engine, project_guid: str) -> dict[str, tuple[int, int, int, str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from cases.projects import get_project
    from store.db import read_session
    from store.models import Document, Segment, TextVersion

    with read_session(engine) as s:
        project = get_project(s, project_guid)
        rows = s.execute(select(Segment.guid, TextVersion.version, Segment.start, Segment.end, TextVersion.text)
                         .join(TextVersion, TextVersion.id == Segment.text_version_id)
                         .join(Document, Document.id == Segment.document_id)
                         .where(Document.project_id == project.id)).all()
    return {str(g): (v, a, b, t[a:b]) for g, v, a, b, t in rows}


def measure_edit(engine, repeats: int) -> dict:  # type: ignore[no-untyped-def]
    from cases.importer import preview_import, store_import
    from cases.projects import get_document, get_project
    from coding.text_edits import edit_turn, undo_edit
    from store.db import read_session, write_session
    from store.models import Turn, TextVersion

    project_guid, document_guid = build_edit_study(engine)
    with read_session(engine) as s:
        document = get_document(s, get_project(s, project_guid), document_guid)
        version = s.query(TextVersion).filter_by(document_id=document.id, version=document.current_version).one()
        turns = s.query(Turn).filter_by(text_version_id=version.id).order_by(Turn.ordinal).all()
        middle = turns[len(turns) // 2]
        old_text, turn_number = version.text, middle.ordinal + 1
        old_content = old_text[middle.content_start:middle.end]
        new_content = old_content.replace(" de ", " de nieuwe ", 1) + " Dat is gecorrigeerd."
        bounds = (middle.content_start, middle.end)
    before = segments(engine, project_guid)
    edits, floors = [], []
    for round_ in range(repeats + 1):
        began = time.perf_counter()
        with write_session(engine) as s:
            edit_turn(s, get_project(s, project_guid), document_guid, turn_number, new_content, actor="bench",
                      confirm_others=True)
        edit_s = time.perf_counter() - began
        after = segments(engine, project_guid)
        with write_session(engine) as s:
            undo_edit(s, get_project(s, project_guid), document_guid, actor="bench")
        new_text = old_text[:bounds[0]] + new_content + old_text[bounds[1]:]
        began = time.perf_counter()
        with write_session(engine) as s:
            store_import(s, get_project(s, project_guid), preview_import("floor.txt", new_text.encode()), cases=[])
            s.rollback()
        floor_s = time.perf_counter() - began
        if round_:
            edits.append(edit_s)
            floors.append(floor_s)
    growth = len(new_content) - len(old_content)
    wrong = 0
    outside = 0
    for guid, (_, start, end, text) in before.items():
        if end <= bounds[0] or start >= bounds[1]:
            outside += 1
            shift = 0 if end <= bounds[0] else growth
            version, s2, e2, t2 = after[guid]
            wrong += (s2, e2, t2, version) != (start + shift, end + shift, text, 2)
    return {"words": len(old_text.split()), "turns": len(turns), "segments": len(before), "edit_s":
            statistics.median(edits), "reimport_s": statistics.median(floors), "checked": outside, "wrong": wrong}


def demo_with_list(engine, name: str) -> str:  # type: ignore[no-untyped-def]
    """A fresh copy of the demo study with every registered person's surname on the list too."""
    from cases.projects import get_project, list_persons
    from demo.load import load_demo
    from focusgroups.anonymise import add_mask_term, list_mask_terms
    from store.db import write_session

    load_demo(engine, project_name=name)
    with write_session(engine) as s:
        project = get_project(s, name)
        listed = {m.term.casefold() for m in list_mask_terms(s, project)}
        surnames = sorted({p.name.split()[-1] for p in list_persons(s, project)} - listed, key=str.casefold)
        for k, surname in enumerate(surnames):
            if surname.casefold() not in listed:
                add_mask_term(s, project, surname, "person", f"R{k + 1}", actor="bench")
                listed.add(surname.casefold())
        return str(project.guid)


def measure_pseudonymise(engine, repeats: int) -> dict:  # type: ignore[no-untyped-def]
    from cases.documents import document_text, list_documents
    from cases.importer import preview_import, store_import
    from cases.projects import create_project, get_project
    from cases.pseudonyms import Matcher, replacement_list
    from coding.pseudonymise import pseudonymise_document
    from store.db import read_session, write_session

    runs, floors, result = [], [], {}
    for round_ in range(repeats + 1):
        guid = demo_with_list(engine, f"Demo {round_}")  # untimed: each round pseudonymises a fresh copy
        with read_session(engine) as s:
            project = get_project(s, guid)
            documents = list_documents(s, project)
            titles = [str(d.guid) for d in documents]
            matcher = Matcher(replacement_list(s, project))
            found = sum(len(matcher.find(document_text(s, d))) for d in documents)
        before = segments(engine, guid)
        began = time.perf_counter()
        for title in titles:
            with write_session(engine) as s:
                pseudonymise_document(s, get_project(s, guid), title, actor="bench")
        run_s = time.perf_counter() - began
        after = segments(engine, guid)
        with read_session(engine) as s:
            texts = [document_text(s, d) for d in list_documents(s, get_project(s, guid))]
        began = time.perf_counter()
        with write_session(engine) as s:
            project = create_project(s, f"Floor {round_}")  # a project of its own: the texts are new to it
            for k, text in enumerate(texts):
                store_import(s, project, preview_import(f"floor{k}.txt", text.encode()), cases=[])
            s.rollback()
        floor_s = time.perf_counter() - began
        # independent check: a segment without a listed name keeps its text; one holding whole names reads as
        # its old text with str.replace of each name (longest first), as a person would do it by hand
        untouched = [g for g, (_, _, _, t) in before.items() if not matcher.find(t)]
        named = [g for g, (_, _, _, t) in before.items() if matcher.find(t)]
        wrong = sum(after[g][3] != before[g][3] for g in untouched)
        by_hand = sum(after[g][3] != _by_hand(before[g][3], matcher) for g in named)
        if round_:
            runs.append(run_s)
            floors.append(floor_s)
        result = {"documents": len(titles), "replacements": found, "segments": len(before),
                  "untouched": len(untouched), "untouched_wrong": wrong, "named": len(named),
                  "named_differing_from_by_hand": by_hand}
    return {**result, "pseudonymise_s": statistics.median(runs), "reimport_s": statistics.median(floors)}


def _by_hand(text: str, matcher) -> str:  # type: ignore[no-untyped-def]
    for entry in matcher.replacements:  # longest first
        text = text.replace(entry.real, entry.pseudonym)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from store.migrate import upgrade

    result = {"machine": machine(), "versions": versions("sqlalchemy", "diff-match-patch"), "load_before": load(),
              "db": args.db, "repeats": args.repeats}
    with scratch_database(args.db, "edit") as url:
        engine = upgrade(url)
        result["edit"] = measure_edit(engine, args.repeats)
        e = result["edit"]
        print(f"{args.db}: edit one turn of {e['words']:,} words, {e['turns']} turns, {e['segments']} segments: "
              f"{e['edit_s'] * 1000:.0f} ms; re-import {e['reimport_s'] * 1000:.0f} ms; "
              f"ratio {e['edit_s'] / e['reimport_s']:.2f}; {e['checked']} segments outside checked, "
              f"{e['wrong']} wrong", flush=True)
        result["pseudonymise"] = measure_pseudonymise(engine, args.repeats)
        p = result["pseudonymise"]
        print(f"{args.db}: pseudonymise {p['documents']} documents, {p['replacements']} replacements, "
              f"{p['segments']} segments: {p['pseudonymise_s'] * 1000:.0f} ms; re-import {p['reimport_s'] * 1000:.0f}"
              f" ms; ratio {p['pseudonymise_s'] / p['reimport_s']:.2f}; {p['untouched']} segments without a name, "
              f"{p['untouched_wrong']} changed; {p['named']} with names, {p['named_differing_from_by_hand']} "
              "differing from str.replace by hand", flush=True)
        engine.dispose()
    result["load_after"] = load()
    print(describe_machine(result))
    print(f"written to {write_json(RESULTS / f'text_edit_bench_{args.db}.json', result).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
