"""Code x code co-occurrence and the c-coefficient against pairs counted by hand (tests/matrix_fixture.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_fixture import build_study  # noqa: E402

from analysis.cooccurrence import Cooccurrence, CooccurrenceSpec, build_cooccurrence  # noqa: E402
from analysis.matrix_scope import Scope  # noqa: E402
from cases.projects import get_project  # noqa: E402
from store.db import read_session  # noqa: E402
from store.errors import Refused  # noqa: E402


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    return build_study(engine)


def cooc(study, **spec) -> Cooccurrence:  # type: ignore[no-untyped-def]
    with read_session(study.engine) as s:
        return build_cooccurrence(s, get_project(s, study.guid), CooccurrenceSpec(**spec))


def at(co: Cooccurrence, row: str, col: str) -> tuple[int | None, float | None]:
    i = [c.key for c in co.rows].index(row)
    j = [c.key for c in co.columns].index(col)
    return co.n12[i][j], co.c(i, j)


def test_overlapping_segments_within_the_primary_coder(study):
    co = cooc(study, codebook="vc", unit="overlap")
    # Sanne's "leerde daar veel" (human) overlaps "veel over subsidies" (social + tangible) on "veel".
    assert at(co, "vc.potential.human", "vc.potential.social") == (1, 0.5)  # n1 = 2 human segments, n2 = 1
    assert at(co, "vc.potential.social", "vc.potential.human") == (1, 0.5)
    assert at(co, "vc.potential.social", "vc.potential.tangible") == (1, 1.0)  # one segment with both codes
    assert at(co, "vc.potential.human", "vc.immediate") == (0, 0.0)
    assert at(co, "vc.immediate", "vc.immediate") == (None, None)  # the diagonal is not a co-occurrence
    assert "within each coder's own codings" in co.note and "overlapping segments" in co.note


def test_two_codebooks_in_one_segment(study):
    co = cooc(study, codebook="enc", codebook2="vc", unit="overlap")
    assert at(co, "enc.goal", "vc.applied") == (1, 1.0)
    assert co.as_json()["rows"][0] == "enc.goal"


def test_document_and_turn_units(study):
    by_doc = cooc(study, codebook="vc", unit="document")
    assert at(by_doc, "vc.immediate", "vc.potential.human") == (1, 0.5)  # N2 holds both; human is in N1 and N2
    by_turn = cooc(study, codebook="vc", unit="turn")
    assert at(by_turn, "vc.immediate", "vc.potential.human") == (0, 0.0)  # Bert's tip and his human capital differ
    assert at(by_turn, "vc.potential.human", "vc.potential.social") == (1, 0.5)
    by_sentence = cooc(study, codebook="vc", unit="sentence")
    assert at(by_sentence, "vc.potential.human", "vc.potential.social")[0] == 1
    assert at(by_sentence, "vc.potential.human", "vc.applied")[0] == 0  # the pilot is the next sentence


def test_other_coders_count_only_when_pooled(study):
    separate = cooc(study, codebook="vc", unit="overlap", scope=Scope(coders="all"))
    assert at(separate, "vc.potential.human", "vc.potential.social") == (1, round(1 / 3, 3))  # n1 now 3
    pooled = cooc(study, codebook="vc", unit="overlap", scope=Scope(coders="all"), pool_coders=True)
    assert at(pooled, "vc.potential.human", "vc.potential.social") == (2, round(2 / 2, 3))  # Tom's segment too
    assert "pooled across coders" in pooled.note


def test_per_case_and_refusals(study):
    zuid = cooc(study, codebook="vc", unit="document", case="Zuid")
    assert sum(v or 0 for row in zuid.n12 for v in row) == 0
    assert "case Zuid" in zuid.note
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        with pytest.raises(Refused, match="unknown co-occurrence unit 'paragraph'"):
            build_cooccurrence(s, project, CooccurrenceSpec(codebook="vc", unit="paragraph"))
        with pytest.raises(Refused, match="no case 'West'"):
            build_cooccurrence(s, project, CooccurrenceSpec(codebook="vc", case="West"))


def test_frequency_gap_flag() -> None:
    co = Cooccurrence(spec=CooccurrenceSpec(), rows=[], columns=[], n12=[[2, 1]], n_rows=[12],
                      n_columns=[2, 3], note="")
    assert co.frequency_gap(0, 0) is True  # 12 vs 2: more than 5x apart
    assert co.frequency_gap(0, 1) is False  # 12 vs 3


@pytest.mark.parametrize("unit", ["overlap", "turn", "document"])
def test_the_streamed_sweep_equals_every_pair_counted(engine, monkeypatch, unit):  # type: ignore[no-untyped-def]
    """On a synthetic project of several coders (bench/matrix_project.py), fetched a few codings at a time so
    that unit look-ups run between fetches, and the turns of a few texts at a time: the same counts as every pair of segments compared by brute force."""
    from itertools import combinations

    from sqlalchemy import select

    from analysis import cooccurrence
    from bench.matrix_project import build_project
    from store.models import Coding, Document, Segment, Turn

    build_project(engine, {"name": "Cooc Stream", "cases": 4, "documents": 10, "codings": 1200,
                           "codebooks": [("sw", 3, 3)], "framework": False}, seed=3)
    monkeypatch.setattr(cooccurrence, "STREAM_ROWS", 7)
    monkeypatch.setattr(cooccurrence, "UNIT_VERSIONS", 3)  # the turns of three texts read at a time
    with read_session(engine) as s:
        project = get_project(s, "Cooc Stream")
        found = {pooled: build_cooccurrence(s, project, CooccurrenceSpec(
            codebook="sw", unit=unit, scope=Scope(coders="all"), pool_coders=pooled)) for pooled in (False, True)}
        index = {code: j for j, column in enumerate(found[False].columns) for code in column.members}
        segments: dict[int, dict] = {}
        for seg, coder, document, version, start, end, code in s.execute(
                select(Segment.id, Segment.coder_id, Segment.document_id, Segment.text_version_id, Segment.start,
                       Segment.end, Coding.code_id).join(Coding, Coding.segment_id == Segment.id)
                .join(Document, Document.id == Segment.document_id).where(Document.project_id == project.id)):
            if code in index:
                segments.setdefault(seg, {"coder": coder, "document": document, "version": version,
                                          "start": start, "end": end, "codes": set()})["codes"].add(index[code])
        turns = s.execute(select(Turn.id, Turn.text_version_id, Turn.start, Turn.end)).all()
    assert len(segments) > 300 and len({v["coder"] for v in segments.values()}) > 1
    size = len(index)
    for pooled, co in found.items():
        expected = [[0] * size for _ in range(size)]
        if unit == "overlap":
            for a in segments.values():
                for i in a["codes"]:
                    for j in a["codes"]:
                        expected[i][j] += 1
            for a, b in combinations(segments.values(), 2):
                if (a["version"] == b["version"] and (pooled or a["coder"] == b["coder"])
                        and a["start"] < b["end"] and b["start"] < a["end"]):
                    for i in a["codes"]:
                        for j in b["codes"]:
                            expected[i][j] += 1
                            expected[j][i] += 1
        else:
            holding: dict[int, set] = {i: set() for i in range(size)}
            for seg in segments.values():
                group = 0 if pooled else seg["coder"]
                keys = [seg["document"]] if unit == "document" else [
                    t for t, version, start, end in turns
                    if version == seg["version"] and start < seg["end"] and end > seg["start"]]
                for i in seg["codes"]:
                    holding[i] |= {(key, group) for key in keys}
            expected = [[len(holding[i] & holding[j]) for j in range(size)] for i in range(size)]
        for i in range(size):
            expected[i][i] = None
        assert co.n12 == expected, (unit, pooled)
        assert sum(v or 0 for row in co.n12 for v in row) > 0
