"""Inter-coder agreement (issue 13) on real projects: documents imported and coded through the product's own
functions, on both databases. The published values of DOMAIN §4.3 are reproduced to three decimals, each unit
is checked on a small hand-counted example, and degenerate inputs are "undefined" with a reason."""

from __future__ import annotations

import pytest

from analysis.agreement import compute_agreement, parse_unit
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder, get_project
from codebooks.service import adopt_codebook, import_codebook_csv
from coding.codings import apply_coding
from store.db import read_session, write_session
from store.errors import Refused

KRIPPENDORFF_B = ("a a b b d c c c e d d a".split(), "b a b b b c c c e d d d".split())


def codebook_csv(key: str, codes: list[str], *, ordered: bool = False) -> str:
    rows = ["codebook,codebook_ordered,key,label_en,rank"]
    rows += [f"{key},{'yes' if ordered else 'no'},{code},{code.upper()},{rank}" for rank, code in enumerate(codes, 1)]
    return "\n".join(rows) + "\n"


def study(engine, sentences: list[str], *, codes: list[str], ordered: bool = False,
          title: str = "gesprek"):  # type: ignore[no-untyped-def]
    """A project with one interview of one turn per sentence, and a codebook 'k' of the given codes; returns each
    turn's (start, end) of its sentence."""
    text = "".join(f"R: {s}\n" for s in sentences)
    with write_session(engine) as s:
        project = create_project(s, "Overeenstemming")
        import_codebook_csv(s, codebook_csv("k", codes, ordered=ordered), filename="k.csv", project=project)
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Alfa")
        store_import(s, project, preview_import(f"{title}.txt", text.encode()), cases=[case],
                     speakers={"R": SpeakerDecision("respondent")})
    spans, at = [], 0
    for sentence in sentences:
        start = at + len("R: ")
        spans.append((start, start + len(sentence)))
        at = start + len(sentence) + 1
    return spans


def code(engine, coder: str, start: int, end: int, keys: list[str], title: str = "gesprek") -> None:  # type: ignore[no-untyped-def]
    from cases.projects import get_document

    with write_session(engine) as s:
        project = get_project(s, "Overeenstemming")
        who, _ = get_or_create_coder(s, project, coder)
        apply_coding(s, project, get_document(s, project, title), who, start, end, keys, actor=coder)


def agreement(engine, coders=("Anna", "Bram"), **options):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return compute_agreement(s, get_project(s, "Overeenstemming"), list(coders), **options)


def test_krippendorff_example_b_as_a_coded_project(engine):
    """Krippendorff (2011) example B: 12 units, nominal: α = 0.692, p_o = 0.75, Cohen's κ = 0.684."""
    spans = study(engine, [f"Uitspraak nummer {k}." for k in range(12)], codes=list("abcde"))
    for coder, values in zip(("Anna", "Bram"), KRIPPENDORFF_B):
        for (start, end), value in zip(spans, values):
            code(engine, coder, start, end, [value])
    report = agreement(engine, codebook="k", unit="sentence", categorical=True)
    figures = report.categorical
    assert round(figures.alpha_nominal.value, 3) == 0.692
    assert round(figures.percent.value, 3) == 0.75
    assert round(figures.cohen_kappa.value, 3) == 0.684
    assert figures.fleiss_kappa is None  # Fleiss' κ is for three or more coders
    assert figures.alpha_ordinal is None  # the codebook is not ordered
    assert figures.n == 12
    assert (report.n_units, report.uncoded_units) == (12, 0)


def test_an_ordered_codebook_adds_ordinal_alpha(engine):
    import krippendorff

    spans = study(engine, [f"Uitspraak nummer {k}." for k in range(12)], codes=list("abcde"), ordered=True)
    for coder, values in zip(("Anna", "Bram"), KRIPPENDORFF_B):
        for (start, end), value in zip(spans, values):
            code(engine, coder, start, end, [value])
    figures = agreement(engine, codebook="k", unit="sentence", categorical=True).categorical
    rank = {v: i for i, v in enumerate("abcde", 1)}
    expected = krippendorff.alpha(reliability_data=[[rank[v] for v in values] for values in KRIPPENDORFF_B],
                                  level_of_measurement="ordinal")
    assert figures.alpha_ordinal.value == pytest.approx(expected, abs=1e-9)
    assert round(figures.alpha_nominal.value, 3) == 0.692


def test_wikipedias_cohen_example_as_a_coded_project(engine):
    """50 sentences: both coded 20, only A 5, only B 10, neither 15: p_o = 0.70, p_e = 0.50, κ = 0.40."""
    spans = study(engine, [f"Zin {k} over de samenwerking." for k in range(50)], codes=["ja"])
    for k, (start, end) in enumerate(spans):
        if k < 25:
            code(engine, "Anna", start, end, ["ja"])
        if k < 20 or 25 <= k < 35:
            code(engine, "Bram", start, end, ["ja"])
    report = agreement(engine, code_keys=["ja"], unit="sentence")
    row = report.per_code["ja"]
    assert round(row.cohen_kappa.value, 3) == 0.40
    assert round(row.percent.value, 3) == 0.70
    assert row.n == 50
    assert report.uncoded_units == 15
    assert len(report.disagreements) == 15  # 5 + 10 sentences coded by one of them only
    first = report.disagreements[0]
    assert (first.coded_by, first.not_coded_by, first.turn, first.code) == (["Anna"], ["Bram"], 21, "ja")
    assert first.text == "Zin 20 over de samenwerking."
    assert [(s.coder, s.text) for s in first.spans] == [("Anna", "Zin 20 over de samenwerking.")]


def test_each_unit_on_a_hand_counted_example(engine):
    """Two turns; Anna codes 'x' on characters 3–13 of turn 1, Bram on 8–13 and on all of turn 2."""
    spans = study(engine, ["Eerste zin hier.", "Tweede zin daar."], codes=["x", "y"])
    (s1, e1), (s2, e2) = spans
    code(engine, "Anna", s1, s1 + 10, ["x"])
    code(engine, "Bram", s1 + 5, s1 + 10, ["x"])
    code(engine, "Bram", s2, e2, ["x"])
    chars = agreement(engine, code_keys=["x"], unit="characters")
    length = len("R: Eerste zin hier.\nR: Tweede zin daar.\n")
    assert chars.n_units == length
    x = chars.per_code["x"]
    disagree = 5 + (e2 - s2)  # Anna alone on 5 characters, Bram alone on turn 2
    assert x.percent.value == pytest.approx((length - disagree) / length)
    assert [(d.start, d.end, d.coded_by) for d in chars.disagreements] == [(s1, s1 + 5, ["Anna"]), (s2, e2, ["Bram"])]
    assert [(s.coder, s.start, s.end) for s in chars.disagreements[0].spans] == [
        ("Anna", s1, s1 + 10), ("Bram", s1 + 5, s1 + 10)]  # both coders' spans in the turn, side by side
    turns = agreement(engine, code_keys=["x"], unit="turn")
    assert (turns.n_units, turns.per_code["x"].percent.value) == (2, 0.5)
    documents = agreement(engine, code_keys=["x", "y"], unit="document")
    assert documents.per_code["x"].percent.value == 1.0  # both used x somewhere
    assert documents.per_code["x"].cohen_kappa.reason.startswith("both coders put every unit in one")
    overlap = agreement(engine, code_keys=["x"], unit="overlap:50")
    assert overlap.threshold == 0.5
    assert overlap.per_code["x"].percent.value == pytest.approx(2 / 3)  # Anna's ↔ Bram's first match at 50%
    assert overlap.per_code["x"].cohen_kappa.value is None
    assert "no true negatives" in overlap.per_code["x"].cohen_kappa.reason
    strict = agreement(engine, code_keys=["x"], unit="overlap:90")
    assert strict.per_code["x"].percent.value == 0.0


def test_degenerate_inputs_are_undefined_with_a_reason(engine):
    spans = study(engine, ["Een.", "Twee.", "Drie."], codes=["x", "y"])
    for coder in ("Anna", "Bram"):
        code(engine, coder, *spans[0], ["x"])
    report = agreement(engine, code_keys=["y"], unit="sentence")  # nobody used y: all agree on "not coded"
    row = report.per_code["y"]
    assert row.percent.value == 1.0
    assert row.cohen_kappa.value is None and "p_e = 1" in row.cohen_kappa.reason
    assert row.alpha_nominal.value is None and "only one value" in row.alpha_nominal.reason
    assert row.undefined_reason()


def test_three_coders_give_fleiss_and_not_cohen(engine):
    spans = study(engine, [f"Zin {k}." for k in range(6)], codes=["x"])
    for k, (start, end) in enumerate(spans):
        for coder, codes_it in (("Anna", k < 3), ("Bram", k < 4), ("Carla", k < 2 or k == 5)):
            if codes_it:
                code(engine, coder, start, end, ["x"])
    row = agreement(engine, coders=("Anna", "Bram", "Carla"), code_keys=["x"], unit="sentence").per_code["x"]
    assert row.cohen_kappa is None
    # by hand: units yes-yes-yes ×2, yes-yes-no, no-yes-no, no-no-no, no-no-yes; P̄ = (1+1+1/3+1/3+1+1/3)/6 = 2/3,
    # p_yes = 10/18, P̄e = (10/18)² + (8/18)² = 164/324
    assert row.fleiss_kappa.value == pytest.approx((2 / 3 - 164 / 324) / (1 - 164 / 324))


def test_wrong_requests_are_refused_in_one_line(engine):
    study(engine, ["Een."], codes=["x"])
    with pytest.raises(Refused, match="at least two coders"):
        agreement(engine, coders=("Anna",), code_keys=["x"])
    with pytest.raises(Refused, match="has no coder 'Anna', 'Nina'"):
        agreement(engine, coders=("Anna", "Nina"), code_keys=["x"])
    with pytest.raises(Refused, match="unknown unit 'woorden'"):
        parse_unit("woorden")
    with pytest.raises(Refused, match="at most 100"):
        parse_unit("overlap:150")
    assert parse_unit("overlap") == ("overlap", 0.9)


def test_the_command_line_reports_every_format(engine, db_url, capsys, tmp_path):
    import json

    from docx import Document as read_docx
    from openpyxl import load_workbook

    import cli

    spans = study(engine, [f"Uitspraak nummer {k}." for k in range(12)], codes=list("abcde"))
    for coder, values in zip(("Anna", "Bram"), KRIPPENDORFF_B):
        for (start, end), value in zip(spans, values):
            code(engine, coder, start, end, [value])
    base = ["--db", db_url, "agreement", "--project", "Overeenstemming", "--coders", "Anna,Bram", "--codebook", "k",
            "--unit", "sentence", "--categorical"]
    capsys.readouterr()
    assert cli.main([*base, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["unit"], record["threshold"], record["coders"], record["n_units"]) == (
        "sentence", None, ["Anna", "Bram"], 12)
    assert record["categorical"]["alpha_nominal"] == 0.6920  # 0.6919643 to four decimals
    assert (record["categorical"]["cohen_kappa"], record["categorical"]["percent"]) == (0.6842, 0.75)
    assert record["categorical"]["fleiss_kappa"] is None and record["categorical"]["alpha_ordinal"] is None
    assert [c["code"] for c in record["per_code"]] == list("abcde")
    # 3 sentences differ (a/b, b/d ×2 …): each shows both coders' spans, one line per coder
    assert {(d["coder"], d["text"]) for d in record["disagreements"] if d["number"] == 1} == {
        ("Anna", "Uitspraak nummer 0.")}
    assert cli.main([*base, "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "Unit: sentences" in table and "(codes as categories)" in table and "0.692" in table
    assert cli.main([*base, "--format", "xlsx", "--out", str(tmp_path / "a.xlsx")]) == 0
    sheet = load_workbook(tmp_path / "a.xlsx")["agreement"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["(codes as categories)", 12, 0.75, 0.6842, None, 0.692] == rows[-1][:6]
    assert cli.main([*base, "--format", "docx", "--out", str(tmp_path / "a.docx")]) == 0
    doc = read_docx(tmp_path / "a.docx")
    assert any("Unit: sentences" == p.text for p in doc.paragraphs)
    assert doc.tables[0].rows[-1].cells[0].text == "(codes as categories)"
    assert cli.main([*base, "--format", "docx"]) == 1
    assert "--format docx needs --out" in capsys.readouterr().err


def test_categorical_mode_names_units_given_several_codes(engine):
    spans = study(engine, ["Een.", "Twee.", "Drie.", "Vier."], codes=list("abc"), ordered=True)
    code(engine, "Anna", *spans[0], ["a", "b"])  # two codes of one codebook on one unit
    code(engine, "Bram", *spans[0], ["a"])
    for k, value in ((1, "b"), (2, "c"), (3, "c")):
        code(engine, "Anna", *spans[k], [value])
        code(engine, "Bram", *spans[k], [value if k != 3 else "b"])
    report = agreement(engine, codebook="k", unit="sentence", categorical=True)
    assert report.several_codes_units == 1
    assert any("several codes" in w for w in report.warnings)
    figures = report.categorical
    assert figures.percent.value == pytest.approx(2 / 4)  # '(several codes)'/a and c/b disagree
    # ordinal: the unit with several codes is a missing value for Anna, so 3 units pair: b/b, c/c, c/b
    from analysis.agreement_math import krippendorff_alpha

    assert figures.alpha_ordinal.value == pytest.approx(krippendorff_alpha(
        {("b", "b"): 1, ("c", "c"): 1, ("c", "b"): 1, (None, "a"): 1}, order=list("abc")).value)
