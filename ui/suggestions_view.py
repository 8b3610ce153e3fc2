"""The Coding page's suggestions: learned from the project's codings (per codebook), or from indicator terms.

Nothing is coded until a person accepts a suggestion; a rejection is stored (not offered again, and a negative
example for the model). The learned model trains in a background thread (`coding.learned_cache`): this panel only
asks for it and shows its progress, so the page never waits for a training.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cases.projects import get_document, get_or_create_coder, list_coders
from codebooks.service import list_project_codebooks
from coding.assignments import blind_scope
from coding.learned import MIN_EXAMPLES, LearnedSuggestion, suggest_learned
from coding.learned_cache import Basis, TrainingState, learned_models, training_basis
from coding.rejections import reject_suggestion
from coding.suggest import Suggestion, accept_suggestions, suggest_codings
from coding.workspace import project_revision
from store.db import read_session
from ui.blind import closed_because
from ui.revision_cache import RevisionCache
from ui.state import engine, md_escape, rerun_fragment, run_write

LEARNED, TERMS = "learned from the codings", "indicator terms"
SURE = 0.5  # learned suggestions from this probability start ticked; the others wait for a person to tick them


def suggestions_panel(o: Any) -> None:
    """`o` is the Coding page's open document (project, guid, me, named)."""
    with st.expander("Suggestions", key="coding_suggestions_open", on_change="rerun") as panel:
        if not panel.open:  # drawn only while open (a rerun opens it)
            return
        with read_session(engine()) as s:
            blind = blind_scope(s, o.project, o.me if o.named else None)
        if blind.active:  # a model learned from the others' codings would show them to a blind coder
            st.caption(md_escape(closed_because(blind, "a model learned from the codings") + " Indicator terms "
                                 "still suggest codes."))
            _term_suggestions(o)
            return
        method = st.radio("Suggest from", (LEARNED, TERMS), horizontal=True, key="suggest_method")
        if method == TERMS:
            _term_suggestions(o)
        else:
            _learned_suggestions(o)


def _my_coder_id(s: Any, o: Any) -> int | None:
    return next((c.id for c in list_coders(s, o.project) if c.name == o.me), None)


def _term_suggestions(o: Any) -> None:
    stored_key = f"suggestions_{o.guid}"
    if st.button("Suggest codes for this document", key="make_suggestions"):
        with read_session(engine()) as s:
            document = get_document(s, o.project, o.guid)
            coder = next((c for c in list_coders(s, o.project) if c.name == o.me), None)
            st.session_state[stored_key] = suggest_codings(s, o.project, document, coder=coder)
    if stored_key not in st.session_state:
        st.caption("Suggestions come from each code's indicator terms, matched on lemmas; you accept or reject "
                   "them one by one or all at once.")
        return
    rows = [(x, f"{x.code} — {x.text[:160]} (term: {x.matched_term})") for x in st.session_state[stored_key]]
    _choose(o, stored_key, rows, "terms")


@RevisionCache(16)
def _basis(project_guid: str, project_id: int, revision: int, codebook: str) -> Basis:
    """The training basis at this revision of the project: three counts, looked up once per change, not per rerun
    (the revision is the latest event id, an index lookup; the counts scan the project's codings and events)."""
    with read_session(engine()) as s:
        return training_basis(s, project_id, codebook)


def _learned_suggestions(o: Any) -> None:
    with read_session(engine()) as s:
        codebooks = [c.key for c in list_project_codebooks(s, o.project)]
        if not codebooks:
            st.caption("The project has no codebook to learn codes of.")
            return
        codebook = st.selectbox("Codebook", codebooks, key="suggest_codebook")
    basis = _basis(str(o.project.guid), o.project.id, project_revision(engine(), o.project.guid)[0], codebook)
    models = learned_models(engine())
    if models.ensure(o.project.guid, codebook, basis).running:
        _training_progress(o.project.guid, codebook)  # redraws itself until the model is ready
    else:
        _model_line(models.status(o.project.guid, codebook))
    stored_key = f"learned_{o.guid}_{codebook}"
    if st.button("Suggest codes for this document", key="make_learned_suggestions"):
        state = models.status(o.project.guid, codebook)
        if state.model is None:
            st.info("The model is still learning from the codings; try again when it is ready.")
        else:
            with read_session(engine()) as s:
                found, notes = suggest_learned(s, o.project, get_document(s, o.project, o.guid), codebook,
                                               coder_id=_my_coder_id(s, o), model=state.model)
            st.session_state[stored_key] = found
            st.session_state[f"{stored_key}_notes"] = notes
    if stored_key not in st.session_state:
        st.caption(f"A model learns each code from the sentences coded with it (the primary coder's, at least "
                   f"{MIN_EXAMPLES} per code) and from suggestions you rejected. Codes with fewer examples are "
                   "suggested by their indicator terms meanwhile, and marked so.")
        return
    notes = st.session_state.get(f"{stored_key}_notes", [])
    if notes:
        with st.popover(f"{len(notes)} code(s) without a model yet"):
            for note in notes:
                st.text(note)
    rows = [(x, _learned_label(x)) for x in st.session_state[stored_key]]
    _choose(o, stored_key, rows, "learned", codebook)


def _learned_label(x: LearnedSuggestion) -> str:
    if x.method == "terms":
        return f"{x.label} · indicator terms (too few examples to learn) — {x.unit.text[:160]}"
    words = f" · words: {', '.join(x.words)}" if x.words else ""
    return f"{x.label} · {x.confidence:.0%}{words} — {x.unit.text[:160]}"


@st.fragment(run_every=1.0)
def _training_progress(project_guid: Any, codebook: str) -> None:
    """Redrawn every second on its own while a training runs (drawn only then): how far it is."""
    state: TrainingState = learned_models(engine()).status(project_guid, codebook)
    if state.running:
        st.progress(state.progress, text=md_escape(f"Learning from the codings: {state.step}"))
    else:  # done: one rerun of the page draws the panel without this timer
        st.rerun()


def _model_line(state: TrainingState) -> None:
    if state.error:
        st.error(md_escape(state.error))
    elif state.model is not None:
        learned = len(state.model.models)
        st.caption(md_escape(f"Model: {learned} of {len(state.model.labels)} codes learned from "
                             f"{state.model.trained_on} sentences"
                             + (f" in {state.seconds:.1f} s" if state.seconds else "")
                             + "; it retrains in the background as codings come."))


def _choose(o: Any, stored_key: str, rows: list[tuple[Any, str]], method: str, codebook: str | None = None) -> None:
    """Tick boxes for the open suggestions, and accept or reject the ticked ones."""
    done: set[str] = st.session_state.setdefault(f"{stored_key}_done", set())
    open_rows = [(x, label) for x, label in rows if _key(x) not in done]
    if not open_rows:
        st.caption("No open suggestions.")
        return
    ticked = [x for x, label in open_rows  # a learned guess is ticked only when the model is fairly sure
              if st.checkbox(md_escape(label), value=_sure(x), key=f"sugg_{stored_key}_{_key(x)}")]
    accept, reject = st.columns(2)
    why = None if o.named else "You cannot code here (see the note at the top of the page)."
    if accept.button(f"Accept {len(ticked)} ticked", key=f"accept_{stored_key}", disabled=not ticked or not o.named,
                     help=why):
        def change(s) -> None:  # type: ignore[no-untyped-def]
            coder, _ = get_or_create_coder(s, o.project, o.me, actor=o.me)
            accept_suggestions(s, o.project, get_document(s, o.project, o.guid), coder,
                               [_as_term_suggestion(x, codebook) for x in ticked], actor=o.me)
        run_write(change, f"Accepted {len(ticked)} suggestion(s) as codings by {o.me}.",
                  then=lambda: done.update(_key(x) for x in ticked), rerun=rerun_fragment)
    if reject.button(f"Reject {len(ticked)} ticked", key=f"reject_{stored_key}", disabled=not ticked or not o.named,
                     help=why):
        def change(s) -> None:  # type: ignore[no-untyped-def]
            coder, _ = get_or_create_coder(s, o.project, o.me, actor=o.me)
            document = get_document(s, o.project, o.guid)
            for x in ticked:
                term = _as_term_suggestion(x, codebook)
                reject_suggestion(s, o.project, document, coder, term.code, term.start, term.end,
                                  method=getattr(x, "method", method), actor=o.me, codebook=term.codebook,
                                  expected=term.text)
        run_write(change, f"Rejected {len(ticked)} suggestion(s); they are not suggested to {o.me} again.",
                  then=lambda: done.update(_key(x) for x in ticked), rerun=rerun_fragment)


def _sure(x: Any) -> bool:
    return not isinstance(x, LearnedSuggestion) or (x.confidence or 0) >= SURE


def _key(x: Any) -> str:
    if isinstance(x, LearnedSuggestion):
        return f"{x.code}@{x.unit.start}-{x.unit.end}"
    return x.key


def _as_term_suggestion(x: Any, codebook: str | None) -> Suggestion:
    """The shape `accept_suggestions` takes; a learned suggestion says why in its matched-term note."""
    if not isinstance(x, LearnedSuggestion):
        return x
    why = "indicator terms" if x.method == "terms" else f"learned {x.confidence:.2f}: {', '.join(x.words)}"
    return Suggestion(code=x.code, codebook=codebook or "", start=x.unit.start, end=x.unit.end, text=x.unit.text,
                      matched_term=why)
