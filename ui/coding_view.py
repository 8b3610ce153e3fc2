"""The Coding page: shapes the open document for the transcript component, keeps the selection state, draws the page.

A selection arrives once from the browser with a client-side id (the component
returns each id once); it becomes the pending selection until codes are applied
to it or it is cancelled.

The page itself (`coding_page`, called by pages/coding.py) lives in this module: an imported module is compiled
once per process, whereas a page file is read, rewritten for Streamlit's "magic" and compiled again on every
AppTest run (22 ms for this page). Any transcript is one continuous scroll in the browser, which holds a window of
its turns at a time (`ui.transcript_window`: the window follows the scroll, "Go to ¶" and "Find in this document"
above the transcript (`ui.document_find`) jump it, and the turn at the top of the view is `at` in the URL).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cases.documents import (
    TurnView, document_case_names, document_text, document_turns, list_documents, turn_label,
)
from cases.projects import get_document, get_or_create_coder, get_project, list_coders
from coding.assignments import blind_scope
from coding.memos import MemoView, add_memo, memo_views
from coding.offsets import snap_to_words
from coding.picker import code_choices, pick_order
from coding.undo import Offer, redo, redo_offer, undo, undo_offer
from coding.workspace import (
    SegmentView,
    document_segments,
    project_revision,
    recent_code_keys,
    recode,
    remove_coding,
    resize_segment,
    segment_by_guid,
    sentence_span,
    turn_span,
)
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.blind import blind_here
from ui.code_margin import SEGMENT_CHOICE, SEGMENTS_OPEN, margin_highlights, open_segment, segment_choice_label
from ui.document_find import Found, hits_for_turns, navigation_bar, navigation_state
from ui.identity import refusal
from ui.keyboard_coding import (
    NOT_NAMED, SHORTCUTS, apply_code, new_code_book, picker_codes, take_refusal, write_coding,
)
from ui.segment_story import value_creation_panel
from ui.state import (
    ANONYMOUS, current_project_guid, engine, flash, md_escape, my_name, project_or_stop, rerun_fragment,
    show_flash, write_retrying,
)
from ui.revision_cache import RevisionCache
from ui.transcript_component import highlights_for_turns, transcript_view
from ui.transcript_window import char_starts, choose_window, outline, transcript_key
from ui.coding_memos import memo_panel
from ui.new_code import new_code_form
from ui.undo_offers import offer_line
from ui.suggestions_view import suggestions_panel

PENDING_KEY = "coding_pending_selection"


def who(turn: TurnView) -> str:
    name = turn.pseudonym or turn.person
    label = turn.label or "—"
    return f"{label} · {turn.role}" + (f" ({name})" if name else "")


def transcript_payload(text: str, turns: list[TurnView], segments: list[SegmentView],
                       with_memo: frozenset[uuid.UUID] = frozenset()) -> tuple[list[dict], list[dict]]:
    """(turns, highlights) in the component's shapes: code points, one highlight per coding for the stripes and the
    code margin (`ui.code_margin.margin_highlights`); a segment whose id is in `with_memo` is marked in the text."""
    turn_rows = [
        {"ordinal": t.ordinal, "label": t.label, "role": t.role, "who": who(t),
         "content": text[t.content_start:t.end], "start": t.content_start}
        for t in turns
    ]
    return turn_rows, margin_highlights(segments, with_memo)


def take_new_selection(result: dict | None) -> dict | None:
    """Make a selection the browser just reported the pending one."""
    if result:
        st.session_state[PENDING_KEY] = result
    return result


def pending_selection() -> dict | None:
    return st.session_state.get(PENDING_KEY)


def clear_selection() -> None:
    st.session_state.pop(PENDING_KEY, None)


# --- the page ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Open:
    """What the fragment works on; fixed for one full run of the page."""

    project: Any  # store.models.Project, detached
    guid: str  # the open document
    me: str
    only_mine: bool
    snap: bool
    language: str

    @property
    def named(self) -> bool:
        """Nobody codes as the anonymous shared name: writes wait for a name and a role that may code."""
        return self.me != ANONYMOUS


@dataclass
class _Codings:
    """Everything the transcript panel shows for one revision of the project (read-only once cached)."""

    text: str
    turns: list[TurnView]
    segments: list[SegmentView]
    codings: int  # how many codings the segments carry
    choices: list
    recent: list[str]
    undo: Offer | None  # this person's last change in this document, or why it cannot be taken back
    redo: Offer | None
    turn_rows: list[dict]
    starts: list[int]  # characters of content before each turn row (`ui.transcript_window.char_starts`)
    outline: dict  # the whole document's shape for the browser's scroll (`ui.transcript_window.outline`)
    per_turn: dict[int, list[dict]]
    memos: list[MemoView]  # on the document and on its segments (document memos first, then in text order)
    picker: tuple[dict, ...]  # the keyboard picker's codes (`ui.keyboard_coding.picker_codes`), made once


@RevisionCache(8)
def _project_lists(project_guid: str, revision: int):  # type: ignore[no-untyped-def]
    """The project, its documents (guids, titles with their cases) and coder names; keyed on the latest event.

    Imports, case links, new coders and project changes all log an event, so the key changes with them. Shared, never
    copied; callers only read.
    """
    with read_session(engine()) as session:
        project = get_project(session, project_guid)
        documents = list_documents(session, project)
        case_names = document_case_names(session, project)
        coders = [c.name for c in list_coders(session, project)]
    titles = {str(d.guid): f"{d.title} ({', '.join(case_names.get(d.id, [])) or 'no case'})" for d in documents}
    return project, [str(d.guid) for d in documents], titles, coders


@st.cache_resource(max_entries=16, show_spinner=False)
def _load_document(project_guid: str, document_guid: str, version: int):  # type: ignore[no-untyped-def]
    """Text and turns of one text version (immutable, so the cache key makes it correct; read-only for callers)."""
    with read_session(engine()) as session:
        document = get_document(session, get_project(session, project_guid), document_guid)
        return document_text(session, document), document_turns(session, document)


@RevisionCache(32)
def _load_codings(project_guid: str, document_guid: str, version: int, revision: int, me: str, only_mine: bool,
                  language: str) -> _Codings:
    """Segments, picker choices, recent codes, the undoable change and the component's payload.

    Keyed on the project's latest event id (every change logs one), so never stale. Shared, never copied (a long
    transcript's payload is half a megabyte); callers only read it.
    """
    text, turns = _load_document(project_guid, document_guid, version)
    with read_session(engine()) as session:
        project = get_project(session, project_guid)
        document = get_document(session, project, document_guid)
        coder = next((c for c in list_coders(session, project) if c.name == me), None)
        blind = blind_scope(session, project, me)  # on a document coded blind, only one's own codings and memos
        if only_mine and coder is None:
            segments = []  # this coder has coded nothing yet
        else:
            segments = document_segments(session, document, coder=coder if only_mine else None, language=language,
                                         blind=blind)
        choices = code_choices(session, project, language=language)
        recent = recent_code_keys(session, project, coder)
        named = me != ANONYMOUS
        undoable = undo_offer(session, project, me, document=document, language=language) if named else None
        redoable = redo_offer(session, project, me, document=document, language=language) if named else None
        memos = sorted(memo_views(session, project, document=document, language=language, blind=blind),
                       key=lambda m: (m.segment_start is not None, m.segment_start or 0, m.created_at))
    with_memo = frozenset(m.segment_guid for m in memos if m.segment_guid is not None)
    turn_rows, highlights = transcript_payload(text, turns, segments, with_memo)
    starts = char_starts(turn_rows)
    return _Codings(text, turns, segments, sum(len(s.codings) for s in segments), choices, recent, undoable, redoable,
                    turn_rows, starts, outline(starts), highlights_for_turns(highlights, turn_rows), memos,
                    picker_codes(choices, recent))


def coding_page() -> None:
    """Read a transcript, select a span, apply codes; edit, delete and undo; memos beside the text."""
    project_guid = current_project_guid()
    if not project_guid:
        with read_session(engine()) as s:
            project_or_stop(s)  # says what to do, and stops
    project_guid = uuid.UUID(project_guid)
    revision, _ = project_revision(engine(), project_guid)
    project, guids, titles, _coders = _project_lists(str(project_guid), revision)

    st.title("Coding")
    if not guids:
        st.info("No documents yet: import transcripts on the Documents page.")
        st.stop()

    why_not = refusal(Permission.CODE)
    me = my_name() if why_not is None else ANONYMOUS
    if why_not is not None:
        st.warning(md_escape(why_not) + "  \nEvery segment records its coder, and undo only ever offers your own "
                   "changes.")

    # The transcript is drawn before the widgets above it (their places are kept by containers): Streamlit's page
    # renders a widget only once its scripts are loaded and draws nothing after it meanwhile, so a page load shows
    # the transcript sooner this way (bench/README.md, coding in the browser). The widgets' values are read first.
    header = st.container()
    wanted = st.query_params.get("document")
    chosen = st.session_state.get("coding_document")
    guid = chosen if chosen in guids else wanted if wanted in guids else guids[0]
    if guid != wanted:
        st.query_params["document"] = guid
        if wanted is not None:  # another document was chosen: the old position means nothing there
            st.query_params.pop("turn", None)
            st.query_params.pop("at", None)
    _workspace(_Open(project, guid, me, bool(st.session_state.get("only_mine", False)),
                     bool(st.session_state.get("snap_words", True)), str(st.session_state.get("coding_labels", "en"))))
    with header:
        c1, c2, c3, c4 = st.columns([4, 1.3, 1.3, 1])
        c1.selectbox("Document", guids, index=guids.index(guid), format_func=titles.get, key="coding_document")
        c2.toggle("Only my codings", key="only_mine", help="Hide the other coders' codings.")
        c3.toggle("Snap to words", value=True, key="snap_words")
        c4.selectbox("Labels", ["en", "nl", "de"], key="coding_labels")
        blind_here(project, guid, me)


def _focus_turn() -> int | None:
    focus = st.query_params.get("turn")
    return int(focus) if focus and focus.isdigit() else None


@st.fragment
def _workspace(o: _Open) -> None:
    with st.empty():  # one slot, message or not: the transcript below keeps its place (else it mounts anew)
        show_flash()
    project = o.project
    revision, version = project_revision(engine(), project.guid, _as_uuid(o.guid))
    if version is None:
        st.error("This document is no longer in the project.")
        return
    cached = _load_codings(str(project.guid), o.guid, version, revision, o.me, o.only_mine, o.language)
    text, turns = cached.text, cached.turns
    left, right = st.columns([3, 2], gap="medium")
    with left:
        bar = st.container()  # "Go to ¶" and find, drawn after the transcript (see coding_page)
        found = navigation_state(project, o.guid, revision)
        focus = _focus_turn()
        key = transcript_key(o.guid)
        first, end, anchor = choose_window(key, cached.turn_rows, cached.starts)
        shown = cached.turn_rows[first:end]
        result = transcript_view(shown, [], per_turn=cached.per_turn, key=key, focus_turn=focus,
                                 window={**cached.outline, "first": first}, anchor=anchor,
                                 hits=hits_for_turns(found if isinstance(found, Found) else None, shown),
                                 codes=cached.picker, refused=take_refusal(o.guid),
                                 new_code=new_code_book(cached.choices, cached.recent) if o.named else None)
        st.caption(SHORTCUTS)
        with bar:
            navigation_bar(o.guid, cached.turn_rows, found)
    if result is not None and result["action"] == "window":  # the scroll: taken by choose_window before mounting
        result = None
    if result is not None and result["action"] == "code":  # the picker in the transcript: one write, then say so
        st.query_params["turn"] = str(result["turn"])
        if apply_code(o, result, text):
            _selection_coded()
        rerun_fragment()
    if result is not None and result["action"] == "segment":  # a chip in the code margin: open that segment
        open_segment(result, cached.segments)
        result = None
    new = take_new_selection(result)
    if new is not None:
        st.query_params["turn"] = str(new["turn"])
        try:
            if new["action"] == "turn":
                with read_session(engine()) as s:
                    new["start"], new["end"] = turn_span(s, get_document(s, project, o.guid), new["turn"])
            elif new["action"] == "sentence":
                with read_session(engine()) as s:
                    new["start"], new["end"] = sentence_span(s, get_document(s, project, o.guid), new["start"])
            elif o.snap:
                new["start"], new["end"] = snap_to_words(text, new["start"], new["end"])
            new["text"] = text[new["start"]:new["end"]]
        except Refused as exc:
            st.error(md_escape(str(exc)))
            clear_selection()
    with right:
        _coding_panel(o, cached.choices, cached.recent)
        _segments_panel(o, cached, turns)
        st.divider()
        _undo_redo(o, cached)
        suggestions_panel(o)
        memo_panel(o.project, o.guid, o.me if o.named else None, cached.memos, turns)
    # inside the fragment, from this run's revision: the first coding of a new coder shows here at once
    coders = _project_lists(str(project.guid), revision)[3]
    st.caption(md_escape(f"Coders in this project: {', '.join(coders) or 'none yet'}"))


def _as_uuid(guid: str) -> uuid.UUID:
    return uuid.UUID(guid)


def _coding_panel(o: _Open, choices, recent) -> None:  # type: ignore[no-untyped-def]
    selection = pending_selection()
    if not selection or selection.get("document") not in (None, o.guid):
        st.caption("Select text in the transcript to code it; **code turn** codes a whole turn; "
                   "Alt+click codes a sentence.")
        return
    selection["document"] = o.guid
    st.markdown(f"**Selected** ({selection['start']}–{selection['end']}):  \n> {md_escape(selection['text'])}")
    query = st.text_input("Find a code", key="code_filter", placeholder="key, label (en/nl/de) or definition")
    ordered = pick_order(choices, query=query, recent=recent)
    by_key = {c.key: c for c in ordered}
    picked = st.multiselect("Codes", list(by_key), key="codes_to_apply", select_all=False,
                            format_func=lambda k: f"{by_key[k].label} · {k}" if k in by_key else k)
    for key in picked:
        choice = by_key.get(key)
        if choice:
            with st.expander(md_escape(f"{choice.label} · {key}"), expanded=len(picked) == 1):
                st.markdown(md_escape(choice.definition or "(no definition)"))
                if choice.include:
                    st.caption(md_escape(f"Use when: {choice.include}"))
                if choice.exclude:
                    st.caption(md_escape(f"Not when: {choice.exclude}"))
    b1, b2 = st.columns(2)
    if not o.named:
        st.caption(NOT_NAMED)
    if b1.button("Apply", type="primary", disabled=not picked or not o.named, key="apply_codes"):
        reason = write_coding(o, selection["start"], selection["end"], picked)
        if reason is not None:
            st.error(md_escape(reason))
        else:
            clear_selection()
            st.session_state.pop("codes_to_apply", None)
            flash(f"Coded with {', '.join(picked)}.")
            rerun_fragment()
    if b2.button("Cancel", key="cancel_selection"):
        clear_selection()
        rerun_fragment()
    if o.named:
        new_code_form(o.project, o.guid, o.me, selection, choices, o.language, on_done=_selection_coded)


def _selection_coded() -> None:
    clear_selection()
    st.session_state.pop("codes_to_apply", None)


def _segments_panel(o: _Open, cached: _Codings, turns) -> None:  # type: ignore[no-untyped-def]
    """Edit the codings of the turn in focus (the last one clicked or coded; the `turn` in the URL)."""
    segments, choices = cached.segments, cached.choices
    project, me = o.project, o.me
    focus = st.query_params.get("turn")
    turn = next((t for t in turns if focus and str(t.ordinal) == focus), None)
    with st.expander(f"Codings in this document ({cached.codings})", key=SEGMENTS_OPEN, on_change="rerun"):
        if turn is None:
            st.caption("Select text or click a turn to edit the codings there.")
            return
        here = [s for s in segments if s.start < turn.end and s.end > turn.start]
        st.caption(f"In {turn_label(turn.ordinal)}: {len(here)} segment(s).")
        if not here:
            return
        labels = {segment_choice_label(s): s for s in here}
        chosen = st.selectbox("Segment", list(labels), key=SEGMENT_CHOICE)
        segment = labels[chosen]
        st.markdown(f"> {md_escape(segment.text)}")
        if not o.named:
            st.caption("You cannot edit codings or write memos here (see the note at the top of the page).")
            return
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
                    def save_memo(s) -> None:  # type: ignore[no-untyped-def]
                        author, _ = get_or_create_coder(s, project, me, actor=me)
                        add_memo(s, project, memo_text, target=segment_by_guid(s, project, segment.guid),
                                 author=author, actor=me)
                    write_retrying(save_memo)
                except Refused as exc:
                    st.error(md_escape(str(exc)))
                else:
                    flash("Memo saved: it is listed under Memos beside the text, and the segment ends in ✎.")
                    rerun_fragment()
        value_creation_panel(project, me, segment, rerun_fragment)
        if do_save or do_remove:
            coding = next(c for c in segment.codings if c.key == coding_key)
            try:
                def edit(s) -> None:  # type: ignore[no-untyped-def]
                    if do_remove:
                        remove_coding(s, project, coding.guid, actor=me)
                        return
                    if (start, end) != (segment.start, segment.end):
                        resize_segment(s, project, segment.guid, int(start), int(end), actor=me,
                                       shown=(segment.start, segment.end))
                    if new_code != "(keep)":
                        recode(s, project, coding.guid, new_code, actor=me, shown=coding.key)
                write_retrying(edit)
            except Refused as exc:
                flash(str(exc), "error")
            else:
                flash("Removed." if do_remove else "Saved.")
            rerun_fragment()


def _undo_redo(o: _Open, cached: _Codings) -> None:
    """Undo and redo of this person's own changes in this document, in words; a change that would touch someone
    else's work is not offered, and the reason says why."""
    for offer in (cached.undo, cached.redo):
        if offer is not None and offer_line(offer, "", "in this document"):
            run = undo if offer.action == "undo" else redo
            try:
                what = write_retrying(lambda s, run=run, offer=offer: run(
                    s, o.project, actor=o.me, document=get_document(s, o.project, o.guid), shown=offer.change_id))
            except Refused as exc:
                flash(str(exc), "error")
            else:
                flash(f"{'Undone' if offer.action == 'undo' else 'Redone'}: {what}.")
            rerun_fragment()
