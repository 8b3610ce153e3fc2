"""The store: guids, per-project uniqueness, atomic writes, SQLite pragmas, UTC datetimes, the event log, cascades.

Every test runs on a real SQLite file and a real PostgreSQL database (`db_url`/`engine` fixtures).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from cases.attributes import set_attribute
from cases.importer import preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder, get_project
from codebooks.service import add_code, adopt_codebook, merge_codes, update_code
from coding.codings import apply_coding
from coding.memos import add_memo
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import (
    Base,
    Case,
    Coder,
    Document,
    Event,
    Person,
    Project,
)

MARKER = "Kwartelkoningsnest"

TRANSCRIPT = (
    "Interview over het netwerk\n"
    "\n"
    "I: Goedemiddag, fijn dat u tijd heeft. Wat levert het netwerk u op?\n"
    f"R: Vooral contacten. Het woord {MARKER} gebruiken we intern voor ons pilotproject.\n"
    "I: En wat hebt u daarmee gedaan?\n"
    "R: We hebben de werkwijze in ons eigen bedrijf ingevoerd. Dat was een grote stap.\n"
)


def row_counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def import_doc(session, project, case, filename="interview_1.txt", body=TRANSCRIPT) -> Document:  # type: ignore[no-untyped-def]
    preview = preview_import(filename, body.encode("utf-8"))
    return store_import(session, project, preview, cases=[case], actor="tester")


def populated_project(engine, name: str = "Netwerkstudie") -> dict[str, uuid.UUID]:  # type: ignore[no-untyped-def]
    """A project with a case, person, document, attributes, two codebooks, a coding and a memo."""
    with write_session(engine) as s:
        project = create_project(s, name, actor="tester")
        case = create_case(s, project, "Noord", actor="tester")
        person = create_person(s, project, "Jan de Boer", pseudonym="R1", role="lid", case=case, actor="tester")
        document = import_doc(s, project, case)
        adopt_codebook(s, project, "value-creation", actor="tester")
        adopt_codebook(s, project, "learning-layers", actor="tester")
        coder, _ = get_or_create_coder(s, project, "Sanne")
        segment = apply_coding(s, project, document, coder, 5, 20, ["vc.immediate", "layer.operational"])
        add_memo(s, project, "Let op de rol van de voorzitter.", target=segment, author=coder)
        set_attribute(s, project, case, "members", "1.065", actor="tester")
        set_attribute(s, project, person, "country", "NL", actor="tester")
        set_attribute(s, project, document, "co-interviewer present", "nee", actor="tester")
        return {"project": project.guid, "case": case.guid, "document": document.guid, "person": person.guid}


# --- guids ---------------------------------------------------------------------------------------

def test_guids_are_uuid4_and_unique_across_entities(engine):
    with write_session(engine) as s:
        p1 = create_project(s, "Eerste")
        p2 = create_project(s, "Tweede")
        objs = [p1, p2, create_case(s, p1, "A"), create_case(s, p1, "B"), create_case(s, p2, "A"),
                create_person(s, p1, "Jan"), create_person(s, p2, "Jan"),
                get_or_create_coder(s, p1, "anna")[0], get_or_create_coder(s, p2, "anna")[0]]
        guids = [o.guid for o in objs]
    assert all(isinstance(g, uuid.UUID) and g.version == 4 for g in guids)
    assert len(set(guids)) == len(guids)
    # what comes back from the database is the same UUID, not a string
    with read_session(engine) as s:
        stored = set(s.scalars(select(Case.guid))) | set(s.scalars(select(Project.guid)))
        assert all(isinstance(g, uuid.UUID) for g in stored)
        assert stored == set(guids[:5])
        assert get_project(s, str(p2.guid)).name == "Tweede"


def test_guid_uniqueness_is_enforced_by_the_database(engine, database_refuses):
    with write_session(engine) as s:
        project = create_project(s, "P")
        case = create_case(s, project, "A")
        project_id, guid = project.id, case.guid
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Case(project_id=project_id, name="B", guid=guid))
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


# --- per-project uniqueness ----------------------------------------------------------------------

def test_same_names_allowed_in_two_projects(engine):
    with write_session(engine) as s:
        for name in ("Project Oost", "Project West"):
            project = create_project(s, name)
            case = create_case(s, project, "Grenzeloos")
            create_person(s, project, "Anja Hoekstra", case=case)
            get_or_create_coder(s, project, "Sanne de Wit")
            import_doc(s, project, case, filename="interview_hoekstra.txt")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.name == "Grenzeloos")) == 2
        assert s.scalar(select(func.count()).select_from(Person).where(Person.name == "Anja Hoekstra")) == 2
        assert s.scalar(select(func.count()).select_from(Coder).where(Coder.name == "Sanne de Wit")) == 2
        titles = list(s.scalars(select(Document.title)))
        assert titles == ["interview_hoekstra", "interview_hoekstra"]
        # the two documents are distinct rows in distinct projects
        assert len(set(s.scalars(select(Document.project_id)))) == 2


def test_duplicate_names_in_one_project_refused_with_message(engine):
    with write_session(engine) as s:
        project = create_project(s, "Netwerkstudie")
        case = create_case(s, project, "Grenzeloos")
        create_person(s, project, "Anja Hoekstra", case=case)
    before = row_counts(engine)

    with pytest.raises(Refused, match=r"a project named 'Netwerkstudie' already exists"):
        with write_session(engine) as s:
            create_project(s, "Netwerkstudie")
    with pytest.raises(Refused, match=r"project 'Netwerkstudie' already has a case named 'Grenzeloos'"):
        with write_session(engine) as s:
            create_case(s, get_project(s, "Netwerkstudie"), "Grenzeloos")
    # whitespace is normalised before the check: "  Grenzeloos " is the same name
    with pytest.raises(Refused, match=r"already has a case named 'Grenzeloos'"):
        with write_session(engine) as s:
            create_case(s, get_project(s, "Netwerkstudie"), "  Grenzeloos ")
    with pytest.raises(Refused, match=r"project 'Netwerkstudie' already has a person named 'Anja Hoekstra'"):
        with write_session(engine) as s:
            create_person(s, get_project(s, "Netwerkstudie"), "Anja  Hoekstra")
    assert row_counts(engine) == before


def test_coder_names_unique_per_project(engine, database_refuses):
    with write_session(engine) as s:
        project = create_project(s, "P")
        first, created1 = get_or_create_coder(s, project, "Sanne")
        again, created2 = get_or_create_coder(s, project, " Sanne ")
        assert (created1, created2) == (True, False)
        assert again.id == first.id
        project_id = project.id
    # the database itself refuses a second coder with the same name in the project
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Coder(project_id=project_id, name="Sanne"))
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Coder)) == 1


def test_database_enforces_per_project_uniqueness_of_cases_and_titles(engine, database_refuses):
    with write_session(engine) as s:
        project = create_project(s, "P")
        case = create_case(s, project, "A")
        import_doc(s, project, case, filename="een.txt")
        project_id = project.id
    before = row_counts(engine)
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Case(project_id=project_id, name="A"))
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Person(project_id=project_id, name="X"))
            s.add(Person(project_id=project_id, name="X"))
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Document(project_id=project_id, title="een", source_filename="twee.txt", source_format="txt",
                           sha256="0" * 64, file_size=1, original_bytes=b"x"))
    assert row_counts(engine) == before


# --- atomic writes -------------------------------------------------------------------------------

def test_failing_write_session_leaves_every_table_as_it_was(engine):
    populated_project(engine)
    before = row_counts(engine)
    assert before["coding"] == 2 and before["event"] > 0

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom):
        with write_session(engine) as s:
            project = get_project(s, "Netwerkstudie")
            case = create_case(s, project, "Zuid")
            person = create_person(s, project, "Piet", case=case)
            set_attribute(s, project, person, "age", "42")
            document = import_doc(s, project, case, filename="interview_2.txt",
                                  body=TRANSCRIPT.replace("Goedemiddag", "Goedemorgen"))
            adopt_codebook(s, project, "4i")
            coder, _ = get_or_create_coder(s, project, "Nieuwe codeur")
            apply_coding(s, project, document, coder, 0, 10, ["ol4i.integrating"])
            add_code(s, project, "value-creation", "vc.extra", "Extra")
            s.flush()
            # the writes above really happened inside the transaction
            assert s.scalar(select(func.count()).select_from(Case)) == 2
            raise Boom("mid-way")
    assert row_counts(engine) == before


def test_refusal_mid_way_rolls_back_earlier_writes(engine):
    populated_project(engine)
    before = row_counts(engine)
    with pytest.raises(Refused, match="already has a case named 'Noord'"):
        with write_session(engine) as s:
            project = get_project(s, "Netwerkstudie")
            create_case(s, project, "Oost")
            create_person(s, project, "Klaas")
            create_case(s, project, "Noord")
    assert row_counts(engine) == before
    with read_session(engine) as s:
        assert s.scalar(select(Case.id).where(Case.name == "Oost")) is None


def test_database_error_mid_way_rolls_back_earlier_writes(engine, database_refuses):
    populated_project(engine)
    before = row_counts(engine)
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            project = get_project(s, "Netwerkstudie")
            create_case(s, project, "Oost")
            s.add(Case(project_id=project.id, name="Noord"))  # bypasses the API check
            s.flush()
    assert row_counts(engine) == before


# --- SQLite connection settings -----------------------------------------------------------------

def test_sqlite_pragmas_on_every_connection(sqlite_url):
    engine = get_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    # a write session's connection has them too
    with write_session(engine) as s:
        assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert s.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    # and a freshly opened raw connection after the pool was emptied
    engine.dispose()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(engine, database_refuses):
    with database_refuses(IntegrityError):
        with write_session(engine) as s:
            s.add(Case(project_id=987654, name="Wees"))
    assert row_counts(engine)["case"] == 0


def test_in_memory_sqlite_refused():
    with pytest.raises(ValueError, match="in-memory SQLite is not supported"):
        get_engine("sqlite://")


# --- datetimes -----------------------------------------------------------------------------------

def test_aware_datetimes_come_back_as_utc(engine):
    cest = timezone(timedelta(hours=2))
    moment = datetime(2025, 3, 12, 14, 30, 5, tzinfo=cest)
    with write_session(engine) as s:
        s.add(Project(name="Tijd", created_at=moment))
        create_project(s, "Nu")
    with read_session(engine) as s:
        stored = s.scalar(select(Project.created_at).where(Project.name == "Tijd"))
        now_stored = s.scalar(select(Project.created_at).where(Project.name == "Nu"))
        event_at = s.scalar(select(Event.at).limit(1))
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == moment
    assert (stored.hour, stored.minute, stored.second) == (12, 30, 5)
    for value in (now_stored, event_at):
        assert value.utcoffset() == timedelta(0)
        assert abs(datetime.now(timezone.utc) - value) < timedelta(minutes=5)


def test_naive_datetime_refused_and_nothing_written(engine):
    with pytest.raises(StatementError, match="naive datetime refused"):
        with write_session(engine) as s:
            create_project(s, "Eerst")
            s.add(Project(name="Naief", created_at=datetime(2025, 3, 12, 14, 30)))
            s.flush()
    assert row_counts(engine)["project"] == 0
    assert row_counts(engine)["event"] == 0


# --- event log -----------------------------------------------------------------------------------

def _events(engine) -> list[Event]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


def test_one_event_per_change_with_actor_action_and_guid(engine):
    with write_session(engine) as s:
        project = create_project(s, "Log", actor="maria")
    events = _events(engine)
    assert [(e.actor, e.action, e.entity, e.entity_guid, e.project_guid) for e in events] == [
        ("maria", "create", "project", project.guid, project.guid)]
    assert events[0].after == {"name": "Log"}

    steps = []
    with write_session(engine) as s:
        project = get_project(s, "Log")
        case = create_case(s, project, "Noord", actor="maria")
        steps.append(("maria", "create", "case", case.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        person = create_person(s, project, "Jan", actor="piet")
        steps.append(("piet", "create", "person", person.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        coder, _ = get_or_create_coder(s, project, "Sanne")
        steps.append(("Sanne", "create", "coder", coder.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        document = import_doc(s, project, s.get(Case, case.id))
        steps.append(("tester", "import", "document", document.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        book = adopt_codebook(s, project, "value-creation", actor="maria")
        steps.append(("maria", "adopt", "codebook", book.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        code = update_code(s, project, "value-creation", "vc.immediate", label_nl="Directe waarde", actor="maria")
        steps.append(("maria", "update", "code", code.guid))
    with write_session(engine) as s:
        project = get_project(s, "Log")
        coder, _ = get_or_create_coder(s, project, "Sanne")
        segment = apply_coding(s, project, s.get(Document, document.id), coder, 0, 9, ["vc.immediate"])
        steps.append(("Sanne", "create", "segment", segment.guid))

    events = _events(engine)[1:]
    assert [(e.actor, e.action, e.entity, e.entity_guid) for e in events] == steps
    assert all(e.project_guid == project.guid for e in events)
    rename = next(e for e in events if e.action == "update")
    assert rename.before["label_nl"] == "Onmiddellijke waarde"
    assert rename.after["label_nl"] == "Directe waarde"


def test_attribute_change_logs_before_and_after(engine):
    with write_session(engine) as s:
        project = create_project(s, "P")
        case = create_case(s, project, "Noord")
        set_attribute(s, project, case, "members", "97", actor="a")
    n = len(_events(engine))
    with write_session(engine) as s:
        project = get_project(s, "P")
        row = set_attribute(s, project, s.get(Case, case.id), "members", "1.065", actor="b")
    events = _events(engine)
    assert len(events) == n + 1
    last = events[-1]
    assert (last.actor, last.action, last.entity, last.entity_guid) == ("b", "set", "attribute_value", row.guid)
    assert last.before == {"value": 97}
    assert last.after["value"] == 1065 and last.after["target_guid"] == str(case.guid)


def test_failed_change_logs_no_event(engine):
    with write_session(engine) as s:
        create_project(s, "P")
    with pytest.raises(Refused):
        with write_session(engine) as s:
            project = get_project(s, "P")
            create_case(s, project, "A")
            create_case(s, project, "A")
    assert [e.entity for e in _events(engine)] == ["project"]


def test_event_log_never_contains_transcript_text(engine):
    populated_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Netwerkstudie")
        document = s.scalar(select(Document).where(Document.project_id == project.id))
        text_ = document_text_of(s, document)
        start = text_.index(MARKER)
        coder, _ = get_or_create_coder(s, project, "Sanne")
        segment = apply_coding(s, project, document, coder, start - 10, start + len(MARKER) + 5,
                               ["vc.potential.human"])
        add_memo(s, project, "Interessant fragment over de pilot.", target=segment, author=coder)
        merge_codes(s, project, "value-creation", "vc.potential.human", "vc.potential.social")
        set_attribute(s, project, document, "pages", "3")
    with read_session(engine) as s:
        assert MARKER in document_text_of(s, s.scalar(select(Document)))
        rows = s.execute(select(Event.actor, Event.action, Event.entity, Event.before, Event.after)).all()
        raw = s.execute(text("SELECT * FROM event")).all()
    assert len(rows) >= 15
    dumped = json.dumps([list(r) for r in rows], default=str, ensure_ascii=False).casefold()
    assert MARKER.casefold() not in dumped
    assert MARKER.casefold() not in repr(raw).casefold()
    # the import event describes the document by guid, title and numbers only
    imports = [r for r in rows if r.action == "import"]
    assert len(imports) == 1 and imports[0].after["length"] == len(text_)


def document_text_of(session, document) -> str:  # type: ignore[no-untyped-def]
    from cases.documents import document_text

    return document_text(session, document)


# --- cascades ------------------------------------------------------------------------------------

def test_deleting_a_project_cascades_to_everything_it_owns(engine):
    populated_project(engine, "Weg")
    populated_project(engine, "Blijft")
    with_both = row_counts(engine)
    with write_session(engine) as s:
        populated_guid = get_project(s, "Blijft").guid
    # remove the second project to learn what one project's rows are
    with write_session(engine) as s:
        s.execute(delete(Project).where(Project.name == "Weg"))
    after = row_counts(engine)
    for table, n in with_both.items():
        if table == "event":
            continue  # the log is append-only and keeps the history
        assert after[table] * 2 == n, f"{table}: {n} rows with two projects, {after[table]} after deleting one"
    with read_session(engine) as s:
        assert [p.guid for p in s.scalars(select(Project))] == [populated_guid]


def test_deleting_a_project_with_an_adopted_codebook(engine):
    with write_session(engine) as s:
        project = create_project(s, "Alleen codeboek")
        adopt_codebook(s, project, "value-creation")
    with write_session(engine) as s:
        s.delete(get_project(s, "Alleen codeboek"))
    counts = row_counts(engine)
    assert (counts["project"], counts["codebook"], counts["code"]) == (0, 0, 0)


def test_deleting_a_project_with_documents_and_cases(engine):
    with write_session(engine) as s:
        project = create_project(s, "Docs")
        case = create_case(s, project, "Noord")
        import_doc(s, project, case)
        set_attribute(s, project, case, "members", "12")
    assert row_counts(engine)["turn"] > 0
    with write_session(engine) as s:
        s.delete(get_project(s, "Docs"))
    counts = row_counts(engine)
    counts.pop("event")
    assert set(counts.values()) == {0}, counts


def test_sqlite_write_sessions_take_the_write_lock_when_they_begin(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """BEGIN IMMEDIATE: a second writer is refused at once, before the first has written anything."""
    import sqlite3

    from sqlalchemy import text as sql

    from store.db import get_engine, read_session, write_session

    engine = get_engine(sqlite_url)
    path = sqlite_url.split("///", 1)[1]
    with write_session(engine) as s:
        s.execute(sql("SELECT 1"))  # nothing written yet, but the transaction has begun
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.execute("BEGIN")  # readers are not blocked (WAL)
            assert other.execute("SELECT count(*) FROM project").fetchone() == (0,)
            other.execute("ROLLBACK")
        finally:
            other.close()
    with read_session(engine) as s:
        s.execute(sql("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # a read session does not hold the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_bulk_guids_are_unique_time_ordered_version_7_uuids() -> None:
    import time
    import uuid

    from store.bulk import new_guids

    before = time.time_ns() // 1_000_000
    guids = new_guids(5000)
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(hex=g) for g in guids]
    assert len(set(guids)) == 5000
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert guids == sorted(guids)  # one batch is in index order
    assert all(before <= int(g[:12], 16) <= after for g in guids)  # the first 48 bits are the time in ms
    assert new_guids(0) == []


def test_turn_and_sentence_guids_read_back_as_uuids(engine) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy import select

    from cases.importer import preview_import, store_import
    from cases.projects import create_project
    from store.db import read_session, write_session
    from store.models import Sentence, Turn

    with write_session(engine) as s:
        project = create_project(s, "Guids")
        store_import(s, project, preview_import("g.txt", "I: Vraag een?\nR: Antwoord een. En twee.\n".encode()),
                     cases=[])
    with read_session(engine) as s:
        turn_guids = s.scalars(select(Turn.guid)).all()
        sentence_guids = s.scalars(select(Sentence.guid)).all()
    assert len(turn_guids) == 2 and len(sentence_guids) == 3
    assert all(isinstance(g, uuid.UUID) and g.version == 7 for g in turn_guids + sentence_guids)
    assert len(set(turn_guids + sentence_guids)) == 5


def test_collector_pauses_overlapping_in_threads_end_with_it_running() -> None:
    """Two sessions' pauses overlap (the switch is the process's): the collector stays off until the last one ends,
    then runs again; an error inside a pause ends it too; a collector that was off stays off."""
    import gc
    import threading

    from store.bulk import collector_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def first() -> None:
        with collector_paused():
            inside.set()
            release.wait()

    worker = threading.Thread(target=first)
    worker.start()
    assert inside.wait(60)
    assert not gc.isenabled()
    with collector_paused():  # begins while the first runs, ends after it
        release.set()
        worker.join(60)
        assert not worker.is_alive() and not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()

    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
