"""Suggestions learned from a project's own codings (coding.learned) and their held-out evaluation beside the two
baselines (analysis.suggestion_eval), on a small study whose codes are used consistently across four cases."""

from __future__ import annotations

import json
import random

import cli
from analysis.suggestion_eval import evaluate
from cases.documents import link_document_to_case
from cases.importer import preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder, get_project
from codebooks.service import restore_codebook
from codebooks.templates import CodebookTemplate, CodeTemplate
from coding.codings import apply_coding
from coding.learned import examples, sentences, train
from store.db import read_session, write_session

TRUST = ["We vertrouwen elkaar sinds de eerste ontmoeting.", "Het vertrouwen tussen de partners groeide langzaam.",
         "Zonder vertrouwen deel je geen plannen.", "Ik vertrouw de andere ondernemers nu echt.",
         "Het onderlinge vertrouwen is onze basis."]
LAB = ["In het fieldlab probeerden we een nieuwe dienst uit.", "Het fieldlab gaf ruimte om te experimenteren.",
       "We testten het prototype samen in een fieldlab.", "Dat experiment in het fieldlab mislukte eerst.",
       "Het fieldlab bracht studenten en bedrijven samen."]
OTHER = ["Het weer was slecht die dag.", "De vergadering begon om negen uur.", "Daarna gingen we lunchen.",
         "Het gebouw ligt aan het water.", "Mijn collega had vakantie."]


def _study(engine) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    with write_session(engine) as s:
        project = create_project(s, "Leren")
        template = CodebookTemplate(key="eigen", prefix="eigen", version="1", ordered=False, name_en="Eigen", codes=[
            CodeTemplate(key="eigen.trust", parent=None, label_en="Trust"),
            CodeTemplate(key="eigen.lab", parent=None, label_en="Fieldlab"),
            CodeTemplate(key="eigen.rare", parent=None, label_en="Rare")])
        restore_codebook(s, template, project, guid=None)
        anna, _ = get_or_create_coder(s, project, "Anna")
        for c in range(4):
            case = create_case(s, project, f"Netwerk {c + 1}")
            for d in range(2):
                picked = rng.sample(TRUST, 2) + rng.sample(LAB, 2) + rng.sample(OTHER, 3)
                rng.shuffle(picked)
                text = "".join(f"I: Vertel eens.\nR: {sentence}\n" for sentence in picked)
                document = store_import(s, project, preview_import(f"n{c}d{d}.txt", text.encode()), cases=[case])
                link_document_to_case(s, project, document, case)
                for unit in sentences(s, document):
                    key = "eigen.trust" if unit.text in TRUST else "eigen.lab" if unit.text in LAB else None
                    if key:
                        apply_coding(s, project, document, anna, unit.start, unit.end, [key])
                if c == 0 and d == 0:
                    unit = sentences(s, document)[0]
                    apply_coding(s, project, document, anna, unit.start, unit.end, ["eigen.rare"])


def test_the_model_learns_the_projects_codes_and_says_what_it_cannot(engine) -> None:
    _study(engine)
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        data = examples(s, project, "eigen")
        assert len(data.units) == 56 and sum(1 for labels in data.labels if labels) == 33
        model = train(data, "eigen")
        assert set(model.models) == {"eigen.trust", "eigen.lab"} and model.too_few == {"eigen.rare": 1}
        from coding.learned import Unit

        new = [Unit(0, 0, 40, "Ons vertrouwen in de partners is groot.", "nl", 1),
               Unit(0, 41, 80, "Volgende week opent een nieuw fieldlab.", "nl", 2),
               Unit(0, 81, 110, "Het regende de hele middag.", "nl", 3)]
        found = {(x.unit.start, x.code): x for x in model.predict(new, threshold=0.5)}
        assert set(found) == {(0, "eigen.trust"), (41, "eigen.lab")}
        assert "vertrouwen" in found[(0, "eigen.trust")].words and found[(0, "eigen.trust")].confidence > 0.5


def test_held_out_cases_the_model_beats_both_baselines(engine) -> None:
    _study(engine)
    with read_session(engine) as s:
        result = evaluate(s, get_project(s, "Leren"), "eigen", held_out="case")
    learned, frequent, terms = (result.pooled[m] for m in ("learned", "most frequent", "terms"))
    assert result.folds == 4 and result.sentences == 56
    assert terms.tp == 0 and terms.fp == 0  # the codebook has no indicator terms
    assert learned.f1 > 0.9 > frequent.f1 and learned.f1 > (terms.f1 or 0)
    assert frequent.tp + frequent.fn == learned.tp + learned.fn == 33  # the same gold codes for every method


def test_the_cli_suggests_with_confidence_and_words_and_evaluates(engine, db_url, capsys) -> None:
    _study(engine)
    capsys.readouterr()
    assert cli.main(["--db", db_url, "suggest", "--project", "Leren", "--document", "n0d0", "--method", "learned",
                     "--codebook", "eigen", "--include-coded", "--format", "json"]) == 0
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert records and {r["code"] for r in records} <= {"eigen.trust", "eigen.lab"}
    assert all(0.3 <= r["confidence"] <= 1 and r["words"] and r["method"] == "learned" for r in records)
    assert "code 'eigen.rare' has 1 coded sentence(s), too few to learn from" in captured.err
    assert cli.main(["--db", db_url, "suggest-eval", "--project", "Leren", "--codebook", "eigen",
                     "--format", "json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["pooled"]["learned"]["f1"] > scores["pooled"]["most frequent"]["f1"]
    assert cli.main(["--db", db_url, "suggest", "--project", "Leren", "--document", "n0d0", "--method",
                     "learned"]) == 1
    assert "give --codebook KEY" in capsys.readouterr().err
