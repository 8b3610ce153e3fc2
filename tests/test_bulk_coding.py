"""Coding many selections of a document in one go (coding.bulk_coding) refuses and writes exactly what coding them
one by one with apply_coding does, and its events tell the truth (the log replays to the same tables)."""

from __future__ import annotations

from sqlalchemy import select

from cases.importer import preview_import, store_import
from cases.projects import create_project, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.bulk_coding import Selected, code_selections
from coding.codings import apply_coding
from exports.qdpx_import import import_qdpx
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Coding, Document, Event, Segment
from store.replay import log_disagreements
from tests.refi_fixtures import every_element_project, vendor_project

TEXT = "I: Hoe begon het?\nR: Met een fieldlab over energie.\nR: Daarna kwamen de contacten vanzelf.\n"


def _study(session):  # type: ignore[no-untyped-def]
    project = create_project(session, "Bulk")
    adopt_codebook(session, project, "value-creation")
    document = store_import(session, project, preview_import("i.txt", TEXT.encode()), cases=[])
    anna, _ = get_or_create_coder(session, project, "Anna")
    bram, _ = get_or_create_coder(session, project, "Bram")
    return project, document, anna, bram


def _batch(anna, bram) -> list[Selected]:  # type: ignore[no-untyped-def]
    return [
        Selected(anna, 21, 49, ["vc.immediate"]),                      # fine
        Selected(anna, 21, 49, ["vc.immediate"]),                      # the same again: already coded
        Selected(bram, 21, 49, ["vc.immediate", "vc.potential"]),      # another coder: fine
        Selected(anna, 60, 500, ["vc.immediate"]),                     # outside the text
        Selected(anna, 0, 5, ["vc.nonsense"]),                         # no such code
        Selected(anna, 0, 5, ["value-creation/vc.immediate"]),         # a codebook-qualified reference
        Selected(anna, 3, 3, ["vc.immediate"]),                        # empty span
    ]


def test_a_batch_refuses_and_writes_what_one_by_one_would(engine) -> None:
    with write_session(engine) as s:
        project, document, anna, bram = _study(s)
        expected = []
        for item in _batch(anna, bram):  # one by one, in a savepoint each, to read the refusal and roll it back
            nested = s.begin_nested()
            try:
                segment = apply_coding(s, project, document, item.coder, item.start, item.end, item.code_refs)
                expected.append(("coded", sorted(s.scalars(select(Coding.code_id).where(
                    Coding.segment_id == segment.id)))))
            except Refused as exc:
                expected.append(("refused", str(exc)))
            nested.rollback()
            s.expire_all()  # a rolled-back segment's id comes round again
        outcome = code_selections(s, project, document, _batch(anna, bram), actor="Anna")
    got = []
    with read_session(engine) as s:
        for result in outcome:
            if isinstance(result, str):
                got.append(("refused", result))
            else:
                got.append(("coded", sorted(s.scalars(select(Coding.code_id).where(Coding.segment_id == result)))))
    assert [g[0] for g in got] == ["coded", "refused", "coded", "refused", "refused", "coded", "refused"]
    # one by one in rolled-back savepoints the repeated span could not see the first; everything else is the same
    assert expected[:1] + expected[2:] == got[:1] + got[2:]
    assert got[1][1].startswith("Anna already coded 21–49 of 'i' with vc.immediate")
    with read_session(engine) as s:
        project = get_project(s, "Bulk")
        events = s.scalars(select(Event).where(Event.entity == "segment", Event.project_guid == project.guid)).all()
        assert len(events) == 3 and {e.after["coder"] for e in events} == {"Anna", "Bram"}
        assert {p: v for p, v in log_disagreements(s, project).items() if v} == {}


def test_an_imported_project_replays_from_its_log(engine) -> None:
    for name, data in (("vendor.qdpx", vendor_project()), ("every.qdpx", every_element_project())):
        with write_session(engine) as s:
            project, _ = import_qdpx(s, name, data, new_name=name)
        with read_session(engine) as s:
            project = get_project(s, str(project.guid))
            assert {p: v for p, v in log_disagreements(s, project).items() if v} == {}, name
            assert s.scalars(select(Segment).join(Document).where(Document.project_id == project.id)).first()
