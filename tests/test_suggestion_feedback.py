"""Rejected suggestions (stored, logged, not offered again, negative examples), the background training of learned
models, the cold-start fallback to indicator terms, and the Coding page's learned suggestions."""

from __future__ import annotations

import json
import uuid

import pytest
from apptest_support import make_app
from sqlalchemy import select
from test_learned_suggestions import _study

import cli
from cases.documents import document_text
from cases.importer import preview_import, store_import
from cases.projects import create_case, get_document, get_or_create_coder, get_project
from codebooks.service import restore_codebook
from codebooks.templates import CodebookTemplate, CodeTemplate
from coding.codings import apply_coding
from coding.learned import REJECTED_WEIGHT, examples, sentences, suggest_learned, train
from coding.learned_cache import RETRAIN_AFTER, Basis, LearnedModels, training_basis
from coding.rejections import reject_suggestion, rejections, sentence_hash
from coding.suggest import suggest_codings
from coding.workspace import remove_coding
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Coding, Document, Event, SuggestionRejection
from ui.state import md_escape

NEW = "Het vertrouwen tussen ons groeide snel."


def _with_uncoded_trust_sentence(engine) -> None:  # type: ignore[no-untyped-def]
    """The study, plus a document whose one sentence talks of trust and is not coded yet."""
    _study(engine)
    with write_session(engine) as s:
        project = get_project(s, "Leren")
        case = create_case(s, project, "Netwerk 5")
        store_import(s, project, preview_import("nieuw.txt", f"I: Vertel eens.\nR: {NEW}\n".encode()), cases=[case])


def _new_sentence(s, project):  # type: ignore[no-untyped-def]
    document = get_document(s, project, "nieuw")
    (unit,) = [u for u in sentences(s, document) if u.text == NEW]
    return document, unit


def test_a_rejection_is_kept_once_logged_and_not_offered_again(engine) -> None:
    _with_uncoded_trust_sentence(engine)
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        document, unit = _new_sentence(s, project)
        found, _ = suggest_learned(s, project, document, "eigen")
        assert [(x.code, x.unit.text, x.method) for x in found] == [("eigen.trust", NEW, "learned")]
        before = found[0].confidence
    with write_session(engine) as s:
        project = get_project(s, "Leren")
        anna, _ = get_or_create_coder(s, project, "Anna")
        assert reject_suggestion(s, project, document, anna, "eigen.trust", unit.start, unit.end,
                                 method="learned", actor="Anna")
    with write_session(engine) as s:  # a rerun rejects nothing twice
        project = get_project(s, "Leren")
        anna, _ = get_or_create_coder(s, project, "Anna")
        assert not reject_suggestion(s, project, get_document(s, project, "nieuw"), anna, "eigen.trust",
                                     unit.start, unit.end, method="learned", actor="Anna")
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        document = get_document(s, project, "nieuw")
        anna_id = get_or_create_coder(s, project, "Anna")[0].id
        (row,) = s.scalars(select(SuggestionRejection)).all()
        assert row.sentence_hash == sentence_hash(NEW) and row.method == "learned" and row.rejected_by == "Anna"
        (event,) = s.scalars(select(Event).where(Event.action == "reject")).all()
        assert event.entity == "suggestion" and event.after["code"] == "eigen.trust" and NEW not in json.dumps(
            event.after)  # the log holds no transcript text
        assert suggest_learned(s, project, document, "eigen", coder_id=anna_id)[0] == []  # not offered to Anna
        data = examples(s, project, "eigen")
        (after,) = [x for x in train(data, "eigen").predict([unit], threshold=0.0) if x.code == "eigen.trust"]
        assert after.confidence < before - 0.1  # the model took Anna's "no" as a negative example
        marked = [(u.text, no) for u, no in zip(data.units, data.rejected) if no]
        assert marked == [(NEW, frozenset({"eigen.trust"}))]
        assert [r.code_key for r in rejections(s, project, coder_id=anna_id)] == ["eigen.trust"]
        assert REJECTED_WEIGHT > 1


def test_a_rejection_names_what_was_wrong(engine) -> None:
    _with_uncoded_trust_sentence(engine)
    with write_session(engine) as s:
        project = get_project(s, "Leren")
        anna, _ = get_or_create_coder(s, project, "Anna")
        document = get_document(s, project, "nieuw")
        with pytest.raises(Refused, match="is not a stretch of text in 'nieuw'"):
            reject_suggestion(s, project, document, anna, "eigen.trust", 5, 10_000, method="learned", actor="Anna")
        with pytest.raises(Refused, match="has no code 'eigen.nope'"):
            reject_suggestion(s, project, document, anna, "eigen.nope", 0, 5, method="learned", actor="Anna")
        with pytest.raises(Refused, match="suggestion method 'guess'"):
            reject_suggestion(s, project, document, anna, "eigen.trust", 0, 5, method="guess", actor="Anna")
        _, unit = _new_sentence(s, project)
        with pytest.raises(Refused, match="made on text version 2 of 'nieuw', which is now at version 1"):
            reject_suggestion(s, project, document, anna, "eigen.trust", unit.start, unit.end, method="learned",
                              actor="Anna", version=2)
        with pytest.raises(Refused, match=r"no longer at \d+–\d+ of 'nieuw' \(its text changed\)"):
            reject_suggestion(s, project, document, anna, "eigen.trust", unit.start, unit.end, method="learned",
                              actor="Anna", expected="Een andere zin die hier eerst stond.")
        assert s.scalars(select(SuggestionRejection)).all() == []  # nothing written


def test_codes_with_too_few_examples_fall_back_to_their_terms_marked_so(engine) -> None:
    _study(engine)
    with write_session(engine) as s:
        project = get_project(s, "Leren")
        template = CodebookTemplate(key="kort", prefix="kort", version="1", ordered=False, name_en="Kort", codes=[
            CodeTemplate(key="kort.weer", parent=None, label_en="Weather", indicators={"nl": ["weer", "regen"]})])
        restore_codebook(s, template, project, guid=None)
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        document = next(d for d in (get_document(s, project, f"n{c}d{d}") for c in range(4) for d in range(2))
                        if "Het weer was slecht die dag." in document_text(s, d))
        found, notes = suggest_learned(s, project, document, "kort")
        assert [(x.code, x.unit.text, x.method, x.confidence) for x in found] == [
            ("kort.weer", "Het weer was slecht die dag.", "terms", None)]
        assert notes == ["code 'kort.weer' has 0 coded sentence(s), too few to learn from (it needs 3); "
                         "its indicator terms suggest it meanwhile"]
        anna_id = get_or_create_coder(s, project, "Anna")[0].id
        unit = found[0].unit
    with write_session(engine) as s:  # a rejected term suggestion is not offered again either
        project = get_project(s, "Leren")
        anna, _ = get_or_create_coder(s, project, "Anna")
        reject_suggestion(s, project, get_document(s, project, document.guid.hex), anna, "kort.weer", unit.start,
                          unit.end, method="terms", actor="Anna")
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        document = get_document(s, project, document.guid.hex)
        assert suggest_learned(s, project, document, "kort", coder_id=anna_id)[0] == []
        anna = get_or_create_coder(s, project, "Anna")[0]
        assert [x.code for x in suggest_codings(s, project, document, coder=anna) if x.codebook == "kort"] == []
        assert [x.code for x in suggest_codings(s, project, document) if x.codebook == "kort"] == ["kort.weer"]


def _basis(engine):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, "Leren")
        return project.guid, training_basis(s, project.id, "eigen")


def _code_other_sentences(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    """Anna codes `n` more uncoded sentences "eigen.rare", one transaction each."""
    for _ in range(n):
        with write_session(engine) as s:
            project = get_project(s, "Leren")
            anna, _ = get_or_create_coder(s, project, "Anna")
            data = examples(s, project, "eigen")
            unit = next(u for u, labels in zip(data.units, data.labels) if not labels and u.text != NEW)
            apply_coding(s, project, s.get(Document, unit.document_id), anna, unit.start, unit.end, ["eigen.rare"])


def test_models_train_in_the_background_and_again_after_new_codings(engine) -> None:
    _with_uncoded_trust_sentence(engine)
    models = LearnedModels(engine)
    guid, basis = _basis(engine)
    assert basis.codings == 33 and basis.rejections == 0
    started = models.ensure(guid, "eigen", basis)
    assert started.running and started.model is None
    done = models.wait(guid, "eigen", timeout=300)
    assert not done.running and done.error is None and done.progress == 1.0
    assert set(done.model.models) == {"eigen.trust", "eigen.lab"} and done.model.too_few == {"eigen.rare": 1}
    first = done.model
    _code_other_sentences(engine, RETRAIN_AFTER - 1)
    guid, basis = _basis(engine)
    assert models.ensure(guid, "eigen", basis).model is first  # four new codings: not worth retraining yet
    assert not models.status(guid, "eigen").running
    _code_other_sentences(engine, 1)
    guid, basis = _basis(engine)
    assert basis.codings == 33 + RETRAIN_AFTER and models.ensure(guid, "eigen", basis).running
    again = models.wait(guid, "eigen", timeout=300)
    assert again.model is not first and again.trained_on == basis
    assert set(again.model.models) == {"eigen.trust", "eigen.lab", "eigen.rare"}  # it learned the new codings
    with write_session(engine) as s:  # a removal and a new coding leave the count as it was, and are two changes
        project = get_project(s, "Leren")
        newest = s.scalars(select(Coding).order_by(Coding.id.desc())).first()
        remove_coding(s, project, newest.guid, actor="Anna")
    _code_other_sentences(engine, 1)
    _, later = _basis(engine)
    assert later.codings == basis.codings and later.changes_since(basis) >= 2
    with read_session(engine) as s:  # the cached model suggests for a document as it is now
        project = get_project(s, "Leren")
        found, notes = suggest_learned(s, project, get_document(s, project, "nieuw"), "eigen", model=again.model)
        assert "eigen.trust" in [x.code for x in found] and notes == []
    missing = uuid.uuid4()
    models.ensure(missing, "eigen", Basis())
    failed = models.wait(missing, "eigen", timeout=300)
    assert failed.model is None and failed.error == f"training failed: Refused: no project '{missing}'"
    assert models.ensure(missing, "eigen", Basis()).error == failed.error  # not tried again until something changes


def test_the_cli_rejects_a_suggestion(engine, db_url, capsys) -> None:
    _with_uncoded_trust_sentence(engine)
    with read_session(engine) as s:
        _, unit = _new_sentence(s, get_project(s, "Leren"))
    args = ["--db", db_url, "suggest-reject", "--project", "Leren", "--document", "nieuw", "--code", "eigen.trust",
            "--start", str(unit.start), "--end", str(unit.end), "--coder", "Anna"]
    capsys.readouterr()
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("rejected: eigen.trust for")
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("already rejected: eigen.trust")
    assert cli.main(["--db", db_url, "suggest", "--project", "Leren", "--document", "nieuw", "--method", "learned",
                     "--codebook", "eigen", "--coder", "Anna", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli.main(args[:-6] + ["--start", "0", "--end", "99999", "--coder", "Anna"]) == 1
    assert "is not a stretch of text in 'nieuw'" in capsys.readouterr().err


def _suggestions_open(monkeypatch, url: str, coder: str):  # type: ignore[no-untyped-def]
    """The Coding page on document "nieuw" as `coder`, its Suggestions panel open; and the (project, document)
    guids."""
    from store.db import get_engine

    with read_session(get_engine(url)) as s:
        project = get_project(s, "Leren")
        ids = str(project.guid), str(get_document(s, project, "nieuw").guid)
    at = make_app(monkeypatch, url, project_guid=ids[0], coder=coder)
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    at.session_state["coding_suggestions_open"] = True
    at.run()
    return at, ids


def test_the_coding_page_suggests_learned_codes_with_confidence_and_words(monkeypatch, sqlite_url) -> None:
    from store.db import get_engine

    engine = get_engine(sqlite_url)
    _with_uncoded_trust_sentence(engine)
    at, ids = _suggestions_open(monkeypatch, sqlite_url, "Anna")
    assert not at.exception and at.radio(key="suggest_method").value == "learned from the codings"
    at.selectbox(key="suggest_codebook").set_value("eigen").run()
    from coding.learned_cache import learned_models

    learned_models(engine).wait(uuid.UUID(ids[0]), "eigen", timeout=300)  # one registry entry per database URL
    at.button(key="make_learned_suggestions").click().run()
    assert not at.exception
    prefix = f"sugg_learned_{ids[1]}_eigen_"
    (box,) = [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]
    assert box.label.startswith("Trust · ") and md_escape("% · words: vertrouwen") in box.label  # shown as text
    assert box.value is (float(box.label.split(" · ")[1].rstrip("%")) >= 50)  # only a fairly sure guess starts ticked
    box.check().run()
    at.button(key=f"reject_learned_{ids[1]}_eigen").click().run()
    assert not at.exception and not [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]
    with read_session(engine) as s:
        (row,) = s.scalars(select(SuggestionRejection)).all()
        assert row.rejected_by == "Anna" and row.method == "learned"


def test_a_blind_coder_gets_no_model_learned_from_the_others(monkeypatch, sqlite_url) -> None:
    from coding.assignments import assign_documents
    from store.db import get_engine

    engine = get_engine(sqlite_url)
    _with_uncoded_trust_sentence(engine)
    with write_session(engine) as s:
        project = get_project(s, "Leren")
        get_or_create_coder(s, project, "Bram")
        assign_documents(s, project, "Bram", ["nieuw"], actor="Anna")
    at, _ = _suggestions_open(monkeypatch, sqlite_url, "Bram")
    assert not at.exception
    assert not [r for r in at.radio if r.key == "suggest_method"]  # only indicator terms
    assert any("blind" in c.value and "a model learned from the codings" in c.value for c in at.caption)
    assert [b for b in at.button if b.key == "make_suggestions"]
