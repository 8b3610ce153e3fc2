"""Concurrent writes from several processes on one database (issue 12): what two people do at the same moment
leaves one row and no error, on SQLite and on PostgreSQL.

Each worker is its own process with its own engine, as two app instances or two CLI calls are; a barrier
before every round lines them up so that their transactions overlap.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import types

from sqlalchemy import func, select

from cases.documents import list_documents
from cases.importer import preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import Case, Coder, Coding, Event, Segment

WORKERS = 4
ROUNDS = 12
TEXT = "\n".join(f"R: Zin nummer {i} over het netwerk en de gemeente." for i in range(ROUNDS)) + "\n"


def span_of_round(round_: int) -> tuple[int, int]:
    start = TEXT.index(f"Zin nummer {round_} ")
    return start, start + 14


def make_study(url: str, *, coded: int = 0) -> None:
    """Project "Samen" with the value-creation codebook, one document, coder Sanne and her first `coded`
    rounds' spans coded vc.applied."""
    from coding.codings import apply_coding

    with write_session(get_engine(url)) as session:
        project = create_project(session, "Samen")
        adopt_codebook(session, project, "value-creation")
        document = store_import(session, project, preview_import("samen.txt", TEXT.encode()),
                                cases=[create_case(session, project, "Oost")])
        sanne, _ = get_or_create_coder(session, project, "Sanne")
        for round_ in range(coded):
            apply_coding(session, project, document, sanne, *span_of_round(round_), ["vc.applied"])


def outcome(call, ok: str = "stored") -> str:  # type: ignore[no-untyped-def]
    """Run `call()`; `ok`, or what a person would be told."""
    try:
        call()
        return ok
    except Refused as exc:
        return f"refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - the test reports every error a person would see
        return f"error {type(exc).__name__}: {exc}"


def attempt(engine, write, ok: str = "stored") -> str:  # type: ignore[no-untyped-def]
    """`outcome` of `write(session, project)` in its own write transaction."""
    def call() -> None:
        with write_session(engine) as session:
            write(session, get_project(session, "Samen"))
    return outcome(call, ok)


def _take_new_names(url: str, barrier, results, worker: int) -> None:  # type: ignore[no-untyped-def]
    """Every round, all workers ask for the same new coder name at once; report what each got or the error."""
    engine = get_engine(url)
    got = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)
        try:
            with write_session(engine) as session:
                coder, created = get_or_create_coder(session, get_project(session, "Samen"), f"Nieuw {round_}")
                got.append((round_, str(coder.guid), created))
        except Exception as exc:  # noqa: BLE001 - the test reports every error a person would see
            got.append((round_, f"{type(exc).__name__}: {exc}", None))
    engine.dispose()
    results.put((worker, got))


def run_workers(target, url: str) -> list[tuple[int, list]]:  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=target, args=(url, barrier, results, k)) for k in range(WORKERS)]
    # A spawned process first runs the parent's __main__ again; after an AppTest in this process that is the
    # app's own script (Streamlit sets it), so the workers start from a blank main module instead.
    main, sys.modules["__main__"] = sys.modules["__main__"], types.ModuleType("__main__")
    try:
        for w in workers:
            w.start()
    finally:
        sys.modules["__main__"] = main
    out: list[tuple[int, list]] = []
    while len(out) < len(workers):  # each worker's report, or the test fails as soon as one died without it
        try:
            out.append(results.get(timeout=1))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            assert not dead, f"a worker died (exit codes {dead}); its error is in the captured stderr"
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    return out


def test_people_taking_the_same_new_coder_name_at_once_get_one_coder(db_url):
    engine = get_engine(db_url)
    with write_session(engine) as session:
        create_project(session, "Samen")
    outcomes = run_workers(_take_new_names, db_url)
    errors = [got for _, rounds in outcomes for got in rounds if got[2] is None]
    assert errors == []
    for round_ in range(ROUNDS):
        answers = [got for _, rounds in outcomes for got in rounds if got[0] == round_]
        assert len({guid for _, guid, _ in answers}) == 1, answers  # everybody got the same coder
        assert sum(created for _, _, created in answers) == 1, answers  # and exactly one of them made it
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Coder)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(Event)
                              .where(Event.entity == "coder", Event.action == "create")) == ROUNDS


def _code_the_same_span(url: str, barrier, results, worker: int) -> None:  # type: ignore[no-untyped-def]
    """Every round, all workers Apply the same code to the same span as the same coder (two browser tabs, a
    double click), through the Coding page's own write; report each outcome."""
    from coding.codings import code_span

    engine = get_engine(url)
    with read_session(engine) as session:
        project = get_project(session, "Samen")
        project_guid, document_guid = project.guid, list_documents(session, project)[0].guid
    got = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)
        got.append((round_, outcome(lambda r=round_: code_span(  # the Apply button's own transaction
            engine, project_guid, document_guid, "Sanne", *span_of_round(r), ["vc.applied"]))))
    engine.dispose()
    results.put((worker, got))


def test_the_same_coder_applying_the_same_code_to_the_same_span_at_once_stores_one_coding(db_url):
    engine = get_engine(db_url)
    make_study(db_url)
    outcomes = run_workers(_code_the_same_span, db_url)
    for round_ in range(ROUNDS):
        answers = sorted(got for _, rounds in outcomes for got in rounds if got[0] == round_)
        assert [a for _, a in answers].count("stored") == 1, answers
        assert all(a == "stored" or "already coded" in a for _, a in answers), answers
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(Segment)) == ROUNDS


def _add_the_same_things(url: str, barrier, results, worker: int) -> None:  # type: ignore[no-untyped-def]
    """Every round, all workers make the same new case and add the same code to the same segment at once."""
    from coding.workspace import add_code_to_segment

    engine = get_engine(url)
    got = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)
        got.append((round_, "case", attempt(engine, lambda s, p, r=round_: create_case(s, p, f"Netwerk {r}"))))
        got.append((round_, "code", attempt(engine, lambda s, p, r=round_: add_code_to_segment(
            s, p, _segment_of_round(s, r), "vc.potential", actor="Sanne"))))
    engine.dispose()
    results.put((worker, got))


def _segment_of_round(session, round_: int) -> str:  # type: ignore[no-untyped-def]
    return str(session.scalars(select(Segment.guid).order_by(Segment.start)).all()[round_])


def test_making_the_same_case_or_adding_the_same_code_at_once_gives_one_row_and_a_plain_answer(db_url):
    engine = get_engine(db_url)
    make_study(db_url, coded=ROUNDS)
    outcomes = run_workers(_add_the_same_things, db_url)
    expected = {"case": "already has a case named", "code": "already has code 'vc.potential'"}
    for round_ in range(ROUNDS):
        for what, refusal in expected.items():
            answers = [a for _, rounds in outcomes for r, w, a in rounds if (r, w) == (round_, what)]
            assert answers.count("stored") == 1, answers
            assert all(a == "stored" or refusal in a for a in answers), answers
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == ROUNDS + 1
        assert session.scalar(select(func.count()).select_from(Coding)) == 2 * ROUNDS
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.entity.in_(("case", "coding")), Event.action == "create")) == 2 * ROUNDS + 1


def _resize_the_same_segment(url: str, barrier, results, worker: int) -> None:  # type: ignore[no-untyped-def]
    """Every round, all workers resize the same segment (Sanne's, in two tabs) to a span of their own at once."""
    from coding.workspace import resize_segment

    engine = get_engine(url)
    got = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)
        got.append((round_, attempt(engine, lambda s, p, r=round_: resize_segment(
            s, p, _segment_of_round(s, 0), 3 + worker, 20 + r + worker, actor="Sanne"))))
    engine.dispose()
    results.put((worker, got))


def test_resizes_at_the_same_moment_each_record_what_they_replaced(db_url):
    engine = get_engine(db_url)
    make_study(db_url, coded=1)
    outcomes = run_workers(_resize_the_same_segment, db_url)
    assert {a for _, rounds in outcomes for _, a in rounds} == {"stored"}
    with read_session(engine) as session:
        resizes = session.scalars(select(Event).where(Event.entity == "segment", Event.action == "update")
                                  .order_by(Event.id)).all()
        final = session.execute(select(Segment.start, Segment.end)).one()
    assert len(resizes) == WORKERS * ROUNDS
    # The log is a chain: each resize's "before" is the span the one logged before it left.
    span = {"start": 3, "end": 17}
    for event in resizes:
        assert event.before == span, (event.id, event.before, span)
        span = {"start": event.after["start"], "end": event.after["end"]}
    assert (final.start, final.end) == (span["start"], span["end"])


def _undo_in_every_tab(url: str, barrier, results, worker: int) -> None:  # type: ignore[no-untyped-def]
    """Every round, all workers (Sanne's tabs) are offered her latest change, then all click Undo at once."""
    from coding.undo import undo, undo_offer

    engine = get_engine(url)
    got = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)  # the previous round's undo is committed
        with read_session(engine) as session:
            offered = undo_offer(session, get_project(session, "Samen"), "Sanne").change_id
        barrier.wait(timeout=120)
        got.append((round_, attempt(engine, lambda s, p, shown=offered: undo(s, p, actor="Sanne", shown=shown),
                                    ok="undone")))
    engine.dispose()
    results.put((worker, got))


def test_undo_clicked_in_several_tabs_at_once_takes_back_the_shown_change_once(db_url):
    from store.history import GONE

    engine = get_engine(db_url)
    make_study(db_url, coded=ROUNDS)
    outcomes = run_workers(_undo_in_every_tab, db_url)
    for round_ in range(ROUNDS):
        answers = [a for _, rounds in outcomes for r, a in rounds if r == round_]
        assert answers.count("undone") == 1, answers
        assert all(a == "undone" or a.endswith(GONE) for a in answers), answers
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == 0
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "undo")) == ROUNDS


def test_no_change_gives_a_coder_two_codings_of_one_code_on_one_span(db_url):
    """What Apply refuses ("already coded") cannot come about through a recode, a resize or an added code (the
    soak benchmark found two such duplicates on SQLite, made by recodes)."""
    from coding.workspace import add_code_to_segment, recode, resize_segment

    engine = get_engine(db_url)
    make_study(db_url, coded=2)  # vc.applied on the spans of rounds 0 and 1
    with write_session(engine) as session:
        project = get_project(session, "Samen")
        document = list_documents(session, project)[0]
        sanne = get_or_create_coder(session, project, "Sanne")[0]
        from coding.codings import apply_coding
        other = apply_coding(session, project, document, sanne, *span_of_round(0), ["vc.potential"]).guid
        coding = session.scalar(select(Coding.guid).join(Segment).where(Segment.guid == other))
        second = session.scalar(select(Segment.guid).where(Segment.start == span_of_round(1)[0]))
    attempts = {
        "recode": lambda s, p: recode(s, p, coding, "vc.applied", actor="Sanne"),
        "resize": lambda s, p: resize_segment(s, p, second, *span_of_round(0), actor="Sanne"),
        "add": lambda s, p: add_code_to_segment(s, p, other, "vc.applied", actor="Sanne"),
    }
    for what, write in attempts.items():
        assert attempt(engine, write) == (f"refused: Sanne already coded {span_of_round(0)[0]}–{span_of_round(0)[1]} "
                                          "with vc.applied (in another segment)"), what
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == 3


def test_a_recode_of_a_coding_changed_in_another_tab_is_refused_with_what_it_is_now(db_url):
    from coding.workspace import recode

    engine = get_engine(db_url)
    make_study(db_url, coded=1)
    with read_session(engine) as session:
        coding = session.scalar(select(Coding.guid))
    assert attempt(engine, lambda s, p: recode(s, p, coding, "vc.realised", actor="Sanne", shown="vc.applied")) \
        == "stored"  # the first tab
    assert attempt(engine, lambda s, p: recode(s, p, coding, "vc.potential", actor="Sanne", shown="vc.applied")) \
        == ("refused: this coding was changed in another tab of yours a moment ago: it is vc.realised now, not "
            "vc.applied; look again")


def test_a_resize_of_a_segment_changed_in_another_tab_is_refused_with_what_it_is_now(db_url):
    from coding.workspace import resize_segment

    engine = get_engine(db_url)
    make_study(db_url, coded=1)
    with read_session(engine) as session:
        guid, start, end = session.execute(select(Segment.guid, Segment.start, Segment.end)).one()
    assert attempt(engine, lambda s, p: resize_segment(s, p, guid, start, end + 2, actor="Sanne",
                                                       shown=(start, end))) == "stored"  # the first tab
    assert attempt(engine, lambda s, p: resize_segment(s, p, guid, start + 1, end, actor="Sanne",
                                                       shown=(start, end))) == (
        f"refused: this segment was changed in another tab of yours a moment ago: it is {start}–{end + 2} now, not "
        f"{start}–{end}; look again")
    with read_session(engine) as session:
        assert session.execute(select(Segment.start, Segment.end)).one() == (start, end + 2)


def test_a_cell_or_memo_saved_from_a_stale_view_is_refused_with_who_changed_it(db_url):
    """Two analysts open the same framework cell (or memo); the second save would overwrite the first's unseen."""
    from analysis.framework_matrix import save_cell
    from coding.memos import add_memo, get_memo, update_memo

    engine = get_engine(db_url)
    make_study(db_url, coded=1)
    with read_session(engine) as session:
        case = session.scalar(select(Case.name))
    seen = {"state": None, "rating": None, "summary": "", "validation": None}  # both opened the empty cell
    assert attempt(engine, lambda s, p: save_cell(s, p, case, "vc.applied", summary="Eerste lezing.", actor="Sanne",
                                                  shown=seen)) == "stored"
    assert attempt(engine, lambda s, p: save_cell(s, p, case, "vc.applied", summary="Tweede lezing.", actor="Tom",
                                                  shown=seen)) == (
        "refused: this cell was changed by Sanne a moment ago; look at it again (nothing was saved)")
    memo = {}
    assert attempt(engine, lambda s, p: memo.update(id=add_memo(s, p, "Begin", actor="Sanne").id)) == "stored"
    assert attempt(engine, lambda s, p: update_memo(s, p, get_memo(s, p, memo["id"]), "Sanne's versie",
                                                    actor="Sanne", shown="Begin")) == "stored"
    assert attempt(engine, lambda s, p: update_memo(s, p, get_memo(s, p, memo["id"]), "Tom's versie", actor="Tom",
                                                    shown="Begin")) == (
        "refused: this memo was changed by Sanne a moment ago; look at it again (nothing was saved)")
