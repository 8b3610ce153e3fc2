"""Retrieval of coded segments on SQLite and PostgreSQL: subtrees, every filter, context, speakers, order."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from cases.attributes import set_attribute
from cases.documents import document_text
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, get_document, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.retrieval import attribute_choices, group_by_code, retrieve_options, retrieve_segments
from store.db import read_session, write_session
from store.errors import Refused

# Imported first, but "alpha gesprek" sorts before it: order must come from titles (casefolded), not ids.
ZETA = """I: Hoe begon het netwerk voor u?
R: 😀 Ik leerde daar veel over subsidies. We leerden samen <b>veel</b> en **dat** gaf vertrouwen.
I: Wat doet u er nu mee?
R: We hebben een pilot gestart met de gemeente.
"""

ALPHA = """I: Wat leverde het op?
R: Ik ken nu de juiste mensen bij de provincie.
I: En verder?
R: We hebben het geleerd door te doen.
"""


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def _import(s, project, case, filename, text, person):  # type: ignore[no-untyped-def]
    preview = preview_import(filename, text.encode("utf-8"), language="nl")
    speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent", person=person)}
    return store_import(s, project, preview, cases=[case], speakers=speakers)


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    """Two cases with one interview each, two coders, case/document/person attributes."""
    with write_session(engine) as s:
        from cases.projects import create_project

        project = create_project(s, "Studie")
        adopt_codebook(s, project, "value-creation")
        adopt_codebook(s, project, "network-conditions")
        alfa, beta = create_case(s, project, "Alfa"), create_case(s, project, "beta")
        anna = create_person(s, project, "Anna", pseudonym="R1", case=alfa)
        bert = create_person(s, project, "Bert", pseudonym="R2", case=beta)
        zeta = _import(s, project, alfa, "Zeta gesprek.txt", ZETA, "Anna")
        alpha = _import(s, project, beta, "alpha gesprek.txt", ALPHA, "Bert")
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        tom, _ = get_or_create_coder(s, project, "Tom")
        apply_coding(s, project, zeta, sanne, *span(ZETA, "leerde daar veel over subsidies"), ["vc.potential.human"])
        apply_coding(s, project, zeta, sanne, *span(ZETA, "Hoe begon het netwerk"), ["vc.immediate"])
        apply_coding(s, project, zeta, tom, *span(ZETA, "een pilot gestart met de gemeente"),
                     ["enc.goal", "vc.applied"])
        apply_coding(s, project, alpha, tom, *span(ALPHA, "de juiste mensen bij de provincie"),
                     ["vc.potential.social"])
        apply_coding(s, project, alpha, sanne, *span(ALPHA, "geleerd door te doen"), ["vc.potential"])
        set_attribute(s, project, alfa, "land", "NL", type_="category")
        set_attribute(s, project, beta, "land", "DE", type_="category")
        set_attribute(s, project, zeta, "jaar", 2024, type_="integer")
        set_attribute(s, project, alpha, "jaar", 2025, type_="integer")
        set_attribute(s, project, anna, "sector", "onderwijs", type_="text")
        set_attribute(s, project, bert, "sector", "zorg", type_="text")
        guid = str(project.guid)
    return engine, guid


def retrieve(study, **kwargs):  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        return retrieve_segments(s, get_project(s, guid), **kwargs)


def texts(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.text for r in rows]


def test_subtree_inclusion_and_python_ordering(study):
    rows = retrieve(study, code_keys=["vc.potential"])
    # "alpha gesprek" before "Zeta gesprek" (casefolded titles), then by position.
    assert [(r.document, r.text) for r in rows] == [
        ("alpha gesprek", "de juiste mensen bij de provincie"),
        ("alpha gesprek", "geleerd door te doen"),
        ("Zeta gesprek", "leerde daar veel over subsidies"),
    ]
    assert all(r.matched == ["vc.potential"] for r in rows)
    assert [r.codes for r in rows] == [["vc.potential.social"], ["vc.potential"], ["vc.potential.human"]]
    assert texts(retrieve(study, code_keys=["vc.potential"], include_subtrees=False)) == ["geleerd door te doen"]
    # A folder (non-codable root) retrieves its whole tree.
    assert len(retrieve(study, code_keys=["vc"])) == 5  # every segment carries some vc code


def test_all_codes_of_a_segment_and_which_requested_code_matched(study):
    rows = retrieve(study, code_keys=["enc.goal", "vc.immediate"])
    assert [(r.text, r.codes, r.matched) for r in rows] == [
        ("Hoe begon het netwerk", ["vc.immediate"], ["vc.immediate"]),
        ("een pilot gestart met de gemeente", ["vc.applied", "enc.goal"], ["enc.goal"]),  # codebook order
    ]
    everything = retrieve(study, code_keys=[])
    assert len(everything) == 5


def test_segment_fields_context_turn_and_speaker(study):
    engine, guid = study
    (row,) = retrieve(study, code_keys=["vc.potential.human"])
    with read_session(engine) as s:
        doc = get_document(s, get_project(s, guid), "Zeta gesprek")
        text = document_text(s, doc)
    assert row.document_guid == doc.guid
    assert row.cases == ["Alfa"] and row.case == "Alfa"
    assert row.coder == "Sanne"
    # Offsets are code points: the emoji before the span counts as one.
    assert (row.start, row.end) == span(ZETA, "leerde daar veel over subsidies")
    assert text[row.start:row.end] == row.text == "leerde daar veel over subsidies"
    assert row.context == ("😀 Ik leerde daar veel over subsidies. We leerden samen <b>veel</b> en **dat** "
                           "gaf vertrouwen.")
    assert text[row.context_start:row.context_end] == row.context
    assert row.turn == 1
    assert (row.speaker, row.role, row.pseudonym) == ("R", "respondent", "R1")
    assert row.as_dict()["person"] == "R1"


def test_context_widens_to_a_segment_crossing_turns_and_into_a_label(study):
    engine, guid = study
    with write_session(engine) as s:
        project = get_project(s, guid)
        doc = get_document(s, project, "alpha gesprek")
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, doc, sanne, *span(ALPHA, "bij de provincie.\nI: En verder"), ["enc.culture"])
        apply_coding(s, project, doc, sanne, *span(ALPHA, "R: We hebben"), ["enc.process"])
    crossing, label = retrieve(study, code_keys=["enc.culture", "enc.process"])
    assert crossing.turn == 1 and crossing.role == "respondent"
    assert crossing.context == "Ik ken nu de juiste mensen bij de provincie.\nI: En verder"
    assert label.turn == 3 and label.speaker == "R"
    assert label.context == "R: We hebben het geleerd door te doen."


def test_filters_case_document_coder(study):
    assert texts(retrieve(study, code_keys=["vc"], case="Alfa")) == [
        "Hoe begon het netwerk", "leerde daar veel over subsidies", "een pilot gestart met de gemeente"]
    assert texts(retrieve(study, code_keys=["vc"], document="alpha gesprek")) == [
        "de juiste mensen bij de provincie", "geleerd door te doen"]
    assert texts(retrieve(study, code_keys=["vc"], coder="Tom")) == [
        "de juiste mensen bij de provincie", "een pilot gestart met de gemeente"]
    assert texts(retrieve(study, code_keys=["vc"], case="beta", coder="Sanne")) == ["geleerd door te doen"]


def test_filters_speaker_role_and_person(study):
    assert texts(retrieve(study, code_keys=["vc"], speaker_role="interviewer")) == ["Hoe begon het netwerk"]
    assert len(retrieve(study, code_keys=["vc"], speaker_role="respondent")) == 4
    by_pseudonym = retrieve(study, code_keys=["vc"], person="R2")
    assert texts(by_pseudonym) == ["de juiste mensen bij de provincie", "geleerd door te doen"]
    assert texts(retrieve(study, code_keys=["vc"], person="Anna")) == [
        "leerde daar veel over subsidies", "een pilot gestart met de gemeente"]
    assert retrieve(study, code_keys=["vc"], speaker_role="co-interviewer") == []


def test_filters_on_typed_attributes(study):
    assert texts(retrieve(study, code_keys=["vc.potential"], attribute=("case", "land", "DE"))) == [
        "de juiste mensen bij de provincie", "geleerd door te doen"]
    # A value given as text is read as the attribute's type (here an integer) and compared on its column.
    assert texts(retrieve(study, code_keys=["vc.potential"], attribute=("document", "jaar", "2024"))) == [
        "leerde daar veel over subsidies"]
    assert texts(retrieve(study, code_keys=["vc"], attribute=("person", "sector", "onderwijs"))) == [
        "leerde daar veel over subsidies", "een pilot gestart met de gemeente"]
    assert retrieve(study, code_keys=["vc"], attribute=("case", "land", "BE")) == []
    engine, guid = study
    with read_session(engine) as s:
        choices = attribute_choices(s, get_project(s, guid))
    assert choices == {"case": {"land": ["DE", "NL"]}, "document": {"jaar": [2024, 2025]},
                       "person": {"sector": ["onderwijs", "zorg"]}}


@pytest.mark.parametrize("kwargs, message", [
    ({"code_keys": ["vc.nonsense"]}, "no code 'vc.nonsense'"),
    ({"code_keys": ["vc"], "case": "Gamma"}, "no case 'Gamma'"),
    ({"code_keys": ["vc"], "coder": "Nobody"}, "no coder 'Nobody'"),
    ({"code_keys": ["vc"], "person": "R9"}, "no person 'R9'"),
    ({"code_keys": ["vc"], "speaker_role": "boss"}, "unknown speaker role"),
    ({"code_keys": ["vc"], "attribute": ("case", "size", "3")}, "no case attribute 'size'"),
    ({"code_keys": ["vc"], "attribute": ("document", "jaar", "twintig")}, "not a number"),
])
def test_refusals_say_why(study, kwargs, message):
    with pytest.raises(Refused, match=message):
        retrieve(study, **kwargs)


def test_query_count_does_not_grow_with_rows(study):
    engine, guid = study

    def count_queries(**kwargs) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        statements: list[str] = []

        def listener(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            rows = retrieve(study, **kwargs)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(rows), len([q for q in statements if not q.startswith(("BEGIN", "ROLLBACK"))])

    rows_few, queries_few = count_queries(code_keys=["vc.potential.human"])
    with write_session(engine) as s:
        project = get_project(s, guid)
        doc = get_document(s, project, "alpha gesprek")
        tom, _ = get_or_create_coder(s, project, "Tom")
        for i in range(12):
            apply_coding(s, project, doc, tom, i, i + 3, ["vc.potential.human", "enc.goal"])
    rows_many, queries_many = count_queries(code_keys=["vc.potential.human"])
    assert (rows_few, rows_many) == (1, 13)
    print(f"queries: {queries_few} for 1 row, {queries_many} for 13 rows")
    assert queries_many == queries_few <= 6


def test_group_by_code_keeps_a_code_across_cases_together(study):
    engine, guid = study
    rows = retrieve(study, code_keys=["vc.potential", "enc.goal"])
    groups = group_by_code(rows, ["vc.potential", "enc.goal"])
    assert [code for code, _ in groups] == ["vc.potential", "enc.goal"]
    assert [(r.case, r.text) for r in groups[0][1]] == [
        ("Alfa", "leerde daar veel over subsidies"),
        ("beta", "de juiste mensen bij de provincie"),
        ("beta", "geleerd door te doen"),
    ]
    assert [r.text for r in groups[1][1]] == ["een pilot gestart met de gemeente"]
    with read_session(engine) as s:
        options = retrieve_options(s, get_project(s, guid))
    keys = [c.key for c in options.codes]
    assert keys.index("vc") < keys.index("vc.potential") < keys.index("vc.potential.human") < keys.index("enc.goal")
    assert options.cases == ["Alfa", "beta"]
    assert [t for _, t in options.documents] == ["alpha gesprek", "Zeta gesprek"]
    assert options.coders == ["Sanne", "Tom"]
    assert [p for _, p in options.persons] == ["R1", "R2"]


def test_cli_retrieve(study, capsys):
    import json

    import cli

    engine, guid = study
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["--db", url, "retrieve", "--project", guid, "--code", "vc.potential", "--person", "R1",
                     "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # `turn` is the number people read (the ¶ beside the transcript); the stored ordinal is named so
    assert [(r["text"], r["turn"], r["turn_ordinal"], r["role"], r["person"]) for r in rows] == [
        ("leerde daar veel over subsidies", 2, 1, "respondent", "R1")]
    assert cli.main(["--db", url, "retrieve", "--project", guid, "--attribute", "case:land=DE", "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 3  # header + two segments
    assert cli.main(["--db", url, "retrieve", "--project", guid, "--attribute", "land"]) == 1
    assert "TARGET:NAME=VALUE" in capsys.readouterr().err
