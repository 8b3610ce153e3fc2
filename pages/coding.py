"""Coding: read a transcript, select a span, apply codes; edit, delete and undo; memos beside the text."""

import streamlit as st

from cases.documents import document_case_names, document_text, document_turns, list_documents
from cases.projects import get_document, get_or_create_coder, list_coders
from coding.codings import code_span
from coding.memos import add_memo
from coding.offsets import snap_to_words
from coding.picker import code_choices, pick_order
from coding.suggest import accept_suggestions, suggest_codings
from coding.workspace import (
    describe,
    document_segments,
    last_undoable,
    recent_code_keys,
    recode,
    remove_coding,
    resize_segment,
    segment_by_guid,
    sentence_span,
    turn_span,
    undo_last,
)
from store.db import read_session, write_session
from store.events import latest_event_id
from store.errors import Refused
from ui.coding_view import clear_selection, pending_selection, take_new_selection, transcript_payload
from ui.state import actor, engine, flash, md_escape, project_or_stop, rerun_fragment, show_flash
from ui.transcript_component import highlights_for_turns, transcript_view

with read_session(engine()) as s:
    project = project_or_stop(s)
    documents = list_documents(s, project)
    case_names = document_case_names(s, project)
    coders = [c.name for c in list_coders(s, project)]

st.title("Coding")
if not documents:
    st.info("No documents yet: import transcripts on the Documents page.")
    st.stop()

me = actor()
if me == "app":
    st.warning("Type your name under **You are** in the sidebar: every segment records its coder.")

guids = [str(d.guid) for d in documents]
titles = {str(d.guid): f"{d.title} ({', '.join(case_names.get(d.id, [])) or 'no case'})" for d in documents}
wanted = st.query_params.get("document")
c1, c2, c3, c4 = st.columns([4, 1.3, 1.3, 1])
guid = c1.selectbox("Document", guids, index=guids.index(wanted) if wanted in guids else 0,
                    format_func=titles.get, key="coding_document")
if guid != wanted:
    st.query_params["document"] = guid
    if wanted is not None:  # another document was chosen: the old position means nothing there
        st.query_params.pop("turn", None)
only_mine = c2.toggle("Only my codings", key="only_mine", help="For blind double coding.")
snap = c3.toggle("Snap to words", value=True, key="snap_words")
language = c4.selectbox("Labels", ["en", "nl", "de"], key="coding_labels")


@st.cache_data(max_entries=16, show_spinner=False)
def load_document(document_guid: str, version: int):  # type: ignore[no-untyped-def]
    """Text and turns of one text version (immutable, so the cache key makes it correct)."""
    with read_session(engine()) as session:
        document = get_document(session, project, document_guid)
        return document_text(session, document), document_turns(session, document)


@st.cache_resource(max_entries=32, show_spinner=False)
def load_codings(document_guid: str, version: int, revision: int, coder_name: str, only_mine: bool,
                 language: str):  # type: ignore[no-untyped-def]
    """Segments, picker choices and the component's payload; keyed on the project's latest event, so never stale.

    A resource cache (no copy per rerun: a long transcript's payload is half a megabyte); callers only read it.
    """
    text, turns = load_document(document_guid, version)
    with read_session(engine()) as session:
        document = get_document(session, project, document_guid)
        coder = next((c for c in list_coders(session, project) if c.name == coder_name), None)
        if only_mine and coder is None:
            segments = []  # this coder has coded nothing yet
        else:
            segments = document_segments(session, document, coder=coder if only_mine else None, language=language)
        choices = code_choices(session, project, language=language)
    turn_rows, highlights = transcript_payload(text, turns, segments)
    return segments, choices, turn_rows, highlights_for_turns(highlights, turn_rows)


@st.fragment
def workspace() -> None:
    show_flash()
    with read_session(engine()) as s:
        document = get_document(s, project, guid)
        revision = latest_event_id(s, project.guid)
        coder = next((c for c in list_coders(s, project) if c.name == me), None)
        recent = recent_code_keys(s, project, coder)
        undoable = last_undoable(s, project, me)
    text, turns = load_document(guid, document.current_version)
    segments, choices, turn_rows, per_turn = load_codings(guid, document.current_version, revision, me,
                                                            only_mine, language)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        focus = st.query_params.get("turn")
        result = transcript_view(turn_rows, [], per_turn=per_turn, key=f"transcript_{guid}",
                                 focus_turn=int(focus) if focus and focus.isdigit() else None)
    new = take_new_selection(result)
    if new is not None:
        st.query_params["turn"] = str(new["turn"])
        try:
            with read_session(engine()) as s:
                document = get_document(s, project, guid)
                if new["action"] == "turn":
                    new["start"], new["end"] = turn_span(s, document, new["turn"])
                elif new["action"] == "sentence":
                    new["start"], new["end"] = sentence_span(s, document, new["start"])
                elif snap:
                    new["start"], new["end"] = snap_to_words(text, new["start"], new["end"])
            new["text"] = text[new["start"]:new["end"]]
        except Refused as exc:
            st.error(str(exc))
            clear_selection()
    with right:
        _coding_panel(text, choices, recent)
        _segments_panel(segments, choices, turns)
        st.divider()
        if undoable is not None and st.button(f"↶ Undo {describe(undoable)}", key="undo"):
            try:
                with write_session(engine()) as s:
                    flash(f"Undone: {undo_last(s, project, actor=me)}.")
            except Refused as exc:
                flash(str(exc), "error")
            rerun_fragment()
        _suggestions_panel()
        _memo_panel()


def _coding_panel(text: str, choices, recent) -> None:  # type: ignore[no-untyped-def]
    selection = pending_selection()
    if not selection or selection.get("document") not in (None, guid):
        st.caption("Select text in the transcript to code it; **code turn** codes a whole turn; "
                   "Alt+click codes a sentence.")
        return
    selection["document"] = guid
    st.markdown(f"**Selected** ({selection['start']}–{selection['end']}):  \n> {md_escape(selection['text'])}")
    query = st.text_input("Find a code", key="code_filter", placeholder="key, label (en/nl/de) or definition")
    ordered = pick_order(choices, query=query, recent=recent)
    by_key = {c.key: c for c in ordered}
    picked = st.multiselect("Codes", list(by_key), key="codes_to_apply", select_all=False,
                            format_func=lambda k: f"{by_key[k].label} · {k}" if k in by_key else k)
    for key in picked:
        choice = by_key.get(key)
        if choice:
            with st.expander(f"{choice.label} · {key}", expanded=len(picked) == 1):
                st.markdown(md_escape(choice.definition or "(no definition)"))
                if choice.include:
                    st.caption(f"Use when: {choice.include}")
                if choice.exclude:
                    st.caption(f"Not when: {choice.exclude}")
    b1, b2 = st.columns(2)
    if b1.button("Apply", type="primary", disabled=not picked, key="apply_codes"):
        try:
            code_span(engine(), project.guid, guid, me, selection["start"], selection["end"], picked, actor=me)
        except Refused as exc:
            st.error(str(exc))
        else:
            clear_selection()
            st.session_state.pop("codes_to_apply", None)
            flash(f"Coded with {', '.join(picked)}.")
            rerun_fragment()
    if b2.button("Cancel", key="cancel_selection"):
        clear_selection()
        rerun_fragment()


def _segments_panel(segments, choices, turns) -> None:  # type: ignore[no-untyped-def]
    """Edit the codings of the turn in focus (the last one clicked or coded; the `turn` in the URL)."""
    focus = st.query_params.get("turn")
    turn = next((t for t in turns if focus and str(t.ordinal) == focus), None)
    with st.expander(f"Codings in this document ({sum(len(s.codings) for s in segments)})"):
        if turn is None:
            st.caption("Select text or click a turn to edit the codings there.")
            return
        here = [s for s in segments if s.start < turn.end and s.end > turn.start]
        st.caption(f"In turn {turn.ordinal}: {len(here)} segment(s).")
        if not here:
            return
        labels = {f"{s.start}–{s.end} · {', '.join(c.key for c in s.codings)} · {s.coder}": s for s in here}
        chosen = st.selectbox("Segment", list(labels), key="edit_segment")
        segment = labels[chosen]
        st.markdown(f"> {md_escape(segment.text)}")
        with st.form("edit_segment_form"):
            coding_key = st.selectbox("Code", [c.key for c in segment.codings], key="edit_coding")
            new_code = st.selectbox("Change to", ["(keep)", *[c.key for c in choices]], key="edit_new_code")
            start = st.number_input("Start", 0, value=segment.start, key="edit_start")
            end = st.number_input("End", 1, value=segment.end, key="edit_end")
            save, remove = st.columns(2)
            do_save = save.form_submit_button("Save")
            do_remove = remove.form_submit_button("Remove this code")
        with st.form("segment_memo", clear_on_submit=True):
            memo_text = st.text_area("Memo on this segment", key="segment_memo_text", height=80)
            if st.form_submit_button("Save segment memo"):
                try:
                    with write_session(engine()) as s:
                        author, _ = get_or_create_coder(s, project, me, actor=me)
                        add_memo(s, project, memo_text, target=segment_by_guid(s, project, segment.guid),
                                 author=author, actor=me)
                except Refused as exc:
                    st.error(str(exc))
                else:
                    st.success("Memo saved beside the segment (see the Memos page).")
        if do_save or do_remove:
            coding = next(c for c in segment.codings if c.key == coding_key)
            try:
                with write_session(engine()) as s:
                    if do_remove:
                        remove_coding(s, project, coding.guid, actor=me)
                    else:
                        if (start, end) != (segment.start, segment.end):
                            resize_segment(s, project, segment.guid, int(start), int(end), actor=me)
                        if new_code != "(keep)":
                            recode(s, project, coding.guid, new_code, actor=me)
            except Refused as exc:
                flash(str(exc), "error")
            else:
                flash("Removed." if do_remove else "Saved.")
            rerun_fragment()


def _suggestions_panel() -> None:
    """Auto-code suggestions: nothing is coded until a person accepts it."""
    stored_key, rejected_key = f"suggestions_{guid}", f"rejected_{guid}"
    with st.expander("Suggestions from indicator terms"):
        if st.button("Suggest codes for this document", key="make_suggestions"):
            with read_session(engine()) as s:
                document = get_document(s, project, guid)
                coder = next((c for c in list_coders(s, project) if c.name == me), None)
                st.session_state[stored_key] = suggest_codings(s, project, document, coder=coder)
        rejected: set[str] = st.session_state.setdefault(rejected_key, set())
        open_ones = [x for x in st.session_state.get(stored_key, []) if x.key not in rejected]
        if stored_key not in st.session_state:
            st.caption("Suggestions come from each code's indicator terms, matched on lemmas; you accept or reject "
                       "them one by one or all at once.")
            return
        if not open_ones:
            st.caption("No open suggestions.")
            return
        ticked = [x for x in open_ones
                  if st.checkbox(f"**{x.code}** — {md_escape(x.text[:160])} (term: {md_escape(x.matched_term)})",
                                 value=True, key=f"sugg_{guid}_{x.key}")]
        accept, reject = st.columns(2)
        if accept.button(f"Accept {len(ticked)} ticked", key="accept_suggestions", disabled=not ticked):
            try:
                with write_session(engine()) as s:
                    document = get_document(s, project, guid)
                    coder, _ = get_or_create_coder(s, project, me, actor=me)
                    accept_suggestions(s, project, document, coder, ticked, actor=me)
            except Refused as exc:
                flash(str(exc), "error")
            else:
                rejected.update(x.key for x in ticked)  # accepted ones leave the list too
                flash(f"Accepted {len(ticked)} suggestion(s) as codings by {me}.")
            rerun_fragment()
        if reject.button(f"Reject {len(ticked)} ticked", key="reject_suggestions", disabled=not ticked):
            rejected.update(x.key for x in ticked)
            rerun_fragment()


def _memo_panel() -> None:
    with st.expander("Memo on this document"):
        with st.form("document_memo", clear_on_submit=True):
            text = st.text_area("Memo", key="document_memo_text", height=100)
            if st.form_submit_button("Save memo"):
                try:
                    with write_session(engine()) as s:
                        document = get_document(s, project, guid)
                        author, _ = get_or_create_coder(s, project, me, actor=me)
                        add_memo(s, project, text, target=document, author=author, actor=me)
                except Refused as exc:
                    st.error(str(exc))
                else:
                    st.success("Memo saved.")


workspace()
st.caption(f"Coders in this project: {', '.join(coders) or 'none yet'}")
