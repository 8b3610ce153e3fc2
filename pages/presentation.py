"""Presentation mode for focus groups: the value-cycle matrix case by case, then all cases side by side; or the
value-creation stories one by one (ui.story_walk).

A focus-group session is chosen (or created) first. While presenting, the page list and sidebar are hidden
(`present=1` in the URL, read by app.py), type is large, and the only controls are the display switches,
the feedback drawer and "Exit presentation". Quotes are anonymised unless the facilitator shows names.
Transcript text is untrusted: it is shown through md_escape, never as HTML (the one <style> block is constant).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cases.projects import list_cases
from codebooks.service import list_project_codebooks
from focusgroups.feedback import (
    STANCE_LABELS,
    STANCES_BY_PURPOSE,
    feedback_undoable,
    promote_to_code,
    record_feedback,
)
from focusgroups.presentation import (
    MODE_LABELS,
    MODES,
    attendee_roles,
    cell_quotes,
    feedback_on,
    walk_codes,
    walk_summary,
)
from focusgroups.sessions import create_session, get_session, list_sessions, parse_attendees, rename_session
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from store.privileges import Permission
from ui.analysis_cache import load_presentation
from ui.blind import close_if_blind
from ui.corrections import delete_section, rename_form
from ui.identity import show_names_choice
from ui.state import EMPTY, actor, engine, md_escape, project_or_stop, run_write, show_flash
from ui.undo_offers import undo_redo_line

PRESENT = "present"  # query parameter read by app.py to hide the navigation
SESSION_PARAM = "fg"
SHOW_PARAMS = {"codebook": "book", "depth": "depth", "language": "lang", "cases": "cases",
               "own": "own"}  # what is presented, kept in the URL (cases by guid, comma-separated)
NO_ROLE = ""
CODE_ONLY = ""  # the drawer's "case" choice for a remark on the code itself

LARGE_TYPE = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.2rem 2rem 3rem 2rem !important; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] label { font-size: 1.35rem !important; line-height: 1.45 !important; }
[data-testid="stMainBlockContainer"] button p { font-size: 1.2rem !important; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] p { font-size: 1.05rem !important; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.6rem !important; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.1rem !important; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.7rem !important; }
[data-testid="stMainBlockContainer"] [data-baseweb="select"] div,
[data-testid="stMainBlockContainer"] textarea { font-size: 1.2rem !important; }
</style>"""

with read_session(engine()) as s:
    project = project_or_stop(s)
    close_if_blind(s, project, "the presentation")
    sessions = {str(fg.guid): (fg.name, fg.held_on, fg.purpose) for fg in list_sessions(s, project)}
    codebooks = {b.key: (b.prefix or b.key, b.name_en or b.name_nl or b.key)
                 for b in list_project_codebooks(s, project)}
    case_names = {str(c.guid): c.name for c in list_cases(s, project)}  # guid -> name, in the project's order
    revision = latest_event_id(s, project.guid)

presenting = st.query_params.get(PRESENT) == "1" and st.query_params.get(SESSION_PARAM) in sessions
if st.query_params.get(PRESENT) == "1" and not presenting:
    # A link to a session that is gone (or none): back to choosing one, with the page list shown again.
    st.query_params.pop(PRESENT, None)
    st.rerun()


def session_label(guid: str) -> str:
    name, held_on, purpose = sessions[guid]
    return f"{name} · {held_on.isoformat()} · {'codebook walk' if purpose == 'codebook' else 'matrix validation'}"


def start(guid: str) -> None:
    """Button callback: keeps the setup choices in plain keys (widget state ends when the setup is not drawn)."""
    st.query_params[PRESENT] = "1"
    st.query_params[SESSION_PARAM] = guid
    chosen = st.session_state.get("pres_cases_pick") or list(case_names)
    shown = {"codebook": st.session_state.get("pres_codebook_pick", "vc"),
             "depth": int(st.session_state.get("pres_depth_pick", 1)),
             "language": st.session_state.get("pres_language_pick", "en"),
             "cases": ",".join(chosen), "own": st.session_state.get("pres_own_pick") or ""}
    st.session_state["pres_show"] = shown
    for name, param in SHOW_PARAMS.items():  # a reload or a shared link presents the same matrix
        st.query_params[param] = str(shown[name])
    for key in ("pres_step", "pres_walk_step"):
        st.session_state[key] = 0
    st.session_state["pres_cell"] = None


def shown_setting(name: str):  # noqa: ANN201
    """What the facilitator chose to show (codebook, depth, language): this session's choice, else the URL's
    (after a reload), else the value-cycle default; a URL value that makes no sense falls back to the default."""
    default = {"codebook": "vc", "depth": 1, "language": "en", "cases": ",".join(case_names), "own": ""}[name]
    if "pres_show" in st.session_state:
        return st.session_state["pres_show"].get(name, default)
    raw = st.query_params.get(SHOW_PARAMS[name])
    if name == "cases" and raw is not None and all(g in case_names for g in raw.split(",") if g):
        return raw
    if name == "own" and raw in case_names:
        return raw
    if name == "codebook" and (raw in codebooks or raw in {prefix for prefix, _ in codebooks.values()}):
        return raw
    if name == "depth" and raw is not None and raw.isdigit() and 1 <= int(raw) <= 6:
        return int(raw)
    if name == "language" and raw in ("en", "nl", "de"):
        return raw
    return default


def shown_cases() -> tuple[tuple[str, ...], str | None]:
    """The names of the cases the room sees (none chosen: every case), and the one network a session is for."""
    return (tuple(case_names[g] for g in shown_setting("cases").split(",") if g in case_names),
            case_names.get(shown_setting("own")))


def exit_presentation() -> None:
    for param in (PRESENT, *SHOW_PARAMS.values()):
        st.query_params.pop(param, None)


# --- choosing or creating a session ----------------------------------------------------------------

def setup() -> None:
    st.title("Presentation")
    show_flash()
    st.caption("For focus groups: choose a session, then present the value-cycle matrix case by case and "
               "side by side, and record what participants say.")
    if "pres_pending_session" in st.session_state:
        st.session_state["pres_session_pick"] = st.session_state.pop("pres_pending_session")
    elif "pres_session_pick" not in st.session_state and st.query_params.get(SESSION_PARAM) in sessions:
        st.session_state["pres_session_pick"] = st.query_params[SESSION_PARAM]  # the one just presented
    if sessions:
        guid = st.selectbox("Focus-group session", list(sessions), format_func=session_label,
                            key="pres_session_pick")
    else:
        guid = None
        st.info("No focus-group session yet: create one below.")
    st.subheader("Show")
    c1, c2, c3 = st.columns(3)
    books = list(codebooks)
    default_book = next((k for k, (prefix, _) in codebooks.items() if prefix == "vc"), books[0] if books else None)
    shown = st.session_state.get("pres_show", {})
    if "pres_codebook_pick" not in st.session_state:
        st.session_state["pres_codebook_pick"] = shown.get("codebook", default_book)
    if "pres_depth_pick" not in st.session_state:
        st.session_state["pres_depth_pick"] = shown.get("depth", 1)
    if "pres_language_pick" not in st.session_state:
        st.session_state["pres_language_pick"] = shown.get("language", "en")
    c1.selectbox("Codebook", books, key="pres_codebook_pick", format_func=lambda k: f"{codebooks[k][1]} ({k})")
    c2.number_input("Depth (1 = top codes)", min_value=1, max_value=6, step=1, key="pres_depth_pick")
    c3.selectbox("Code labels in", ["en", "nl", "de"], key="pres_language_pick",
                 format_func={"en": "English", "nl": "Nederlands", "de": "Deutsch"}.get)
    k1, k2 = st.columns(2)
    if "pres_cases_pick" not in st.session_state:
        st.session_state["pres_cases_pick"] = [g for g in shown.get("cases", ",".join(case_names)).split(",")
                                               if g in case_names]
    k1.multiselect("Cases shown", list(case_names), key="pres_cases_pick", format_func=case_names.get,
                   help="Leave out test cases or networks not in the room; none chosen shows every case.")
    k2.selectbox("Session for one network", ["", *case_names], key="pres_own_pick",
                 format_func=lambda g: case_names[g] if g else "— all networks by name —",
                 help="The other cases appear as Case A, B, … with anonymised quotes, as in that network's report.")
    st.button("Start presentation", type="primary", disabled=guid is None or not books, on_click=start,
              args=(guid,), key="pres_start")

    if guid is not None:
        with st.expander("Rename this session"):
            rename_form(f"session_{guid}", "the session", sessions[guid][0],
                        lambda s, new, shown: rename_session(s, project, get_session(s, project, guid), new,
                                                           actor=actor(Permission.PRESENT), shown=shown))
        with st.expander("Delete this session"):
            delete_section(f"session_{guid}", project, "session", guid, sessions[guid][0])

    with st.expander("New focus-group session", expanded=not sessions):
        with st.form("pres_new_session", clear_on_submit=True):
            name = st.text_input("Session name", placeholder="Focus group 2 — validating the matrix",
                                 key="pres_new_name")
            f1, f2 = st.columns(2)
            held_on = f1.date_input("Date", value=date.today(), key="pres_new_date")
            purpose = f2.radio("Purpose", ["validation", "codebook"], horizontal=True, key="pres_new_purpose",
                               format_func={"validation": "validate the matrix",
                                            "codebook": "walk the codebook (session 1)"}.get)
            attendees = st.text_input("Attendees by role", placeholder="6 network representative, 4 researcher",
                                      key="pres_new_attendees")
            notes = st.text_area("Notes", key="pres_new_notes", height=80)
            if st.form_submit_button("Create session"):
                created: dict[str, str] = {}

                def create(s) -> str:  # type: ignore[no-untyped-def]
                    fg = create_session(s, project, name, held_on, purpose=purpose,
                                        attendees=parse_attendees(attendees), notes=notes, actor=actor(Permission.PRESENT))
                    created["guid"] = str(fg.guid)
                    return f"Focus-group session '{fg.name}' created."

                run_write(create, then=lambda: st.session_state.update(pres_pending_session=created["guid"]))


# --- presenting ------------------------------------------------------------------------------------

def header(fg_name: str, held_on: date, attendees: dict[str, int]) -> None:
    st.html(LARGE_TYPE)
    left, right = st.columns([5, 1], vertical_alignment="center")
    people = ", ".join(f"{n} {role}" for role, n in attendees.items())
    left.caption(md_escape(f"{fg_name} · {held_on.isoformat()}" + (f" · {people}" if people else "")))
    right.button("Exit presentation", on_click=exit_presentation, key="pres_exit", width="stretch")


def choose_cell(case: str, code: str) -> None:
    st.session_state["pres_cell"] = (case, code)
    st.session_state["fb_case"] = case
    st.session_state["fb_code"] = code


def step_to(step: int) -> None:
    st.session_state["pres_step"] = step
    st.session_state["pres_cell"] = None


def present_matrix(fg) -> None:  # type: ignore[no-untyped-def]
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="center")
    mode = c1.radio("Cells show", MODES, horizontal=True, key="pres_mode", format_func=MODE_LABELS.get)
    show_counts = c2.toggle("Show counts", value=False, key="pres_counts")
    show_names = show_names_choice(c3, "pres_names")
    chosen, own = shown_cases()
    try:
        view = load_presentation(str(project.guid), revision, shown_setting("codebook"),
                                 int(shown_setting("depth")), mode, show_counts, shown_setting("language"),
                                 chosen or None, own)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        return
    steps = len(view.cases)
    step = min(int(st.session_state.get("pres_step", 0)), steps)
    n1, n2, n3, n4 = st.columns([1, 3, 1, 2], vertical_alignment="center")
    n1.button("◀ Previous", disabled=step == 0, on_click=step_to, args=(step - 1,), key="pres_prev",
              width="stretch")
    where = "All cases side by side" if step == steps else f"Case {step + 1} of {steps}"
    n2.markdown(f"**{where}**")
    n3.button("Next ▶", disabled=step >= steps, on_click=step_to, args=(step + 1,), key="pres_next",
              width="stretch")
    n4.button("All cases side by side", disabled=step == steps, on_click=step_to, args=(steps,),
              key="pres_all", width="stretch")

    selected = st.session_state.get("pres_cell")
    if step < steps:
        one_case(view, step, selected, show_names=show_names)
    else:
        side_by_side(view, selected)
        if selected:
            quotes_panel(view, *selected, show_names=show_names)
    feedback_drawer(fg, view, selected)


def one_case(view, i: int, selected, *, show_names: bool) -> None:  # type: ignore[no-untyped-def]
    case = view.cases[i]
    st.header(md_escape(case.label))
    groups = [(band.label, band.columns) for band in view.bands] if view.ladder else \
        [(None, list(range(len(view.columns))))]
    for label, columns in groups:
        if label:
            st.subheader(md_escape(label.capitalize()))
        for j in columns:
            cell = case.cells[j]
            with st.container(border=True):
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(f"**{md_escape(cell.code_label)}**")
                left.markdown(md_escape(cell.text))
                if view.show_counts:
                    left.caption(md_escape(cell.counts))
                chosen = selected == (case.name, cell.code)
                right.button("Quotes", key=f"pres_card_{i}_{j}", on_click=choose_cell, args=(case.name, cell.code),
                             width="stretch", type="primary" if chosen else "secondary")
                if chosen:
                    quotes_panel(view, case.name, cell.code, show_names=show_names)


def side_by_side(view, selected) -> None:  # type: ignore[no-untyped-def]
    st.header("All cases side by side")
    widths = [2] + [3] * len(view.columns)
    if view.ladder:
        band_cols = st.columns([2] + [3 * len(b.columns) for b in view.bands])
        for col, band in zip(band_cols[1:], view.bands):
            col.markdown(f"**{md_escape(band.label.capitalize())}**")
    head = st.columns(widths)
    for col, column in zip(head[1:], view.columns):
        col.markdown(f"**{md_escape(column.label)}**")
    for i, case in enumerate(view.cases):
        line = st.columns(widths, vertical_alignment="center")
        line[0].markdown(f"**{md_escape(case.label)}**")
        for j, cell in enumerate(case.cells):
            chosen = selected == (case.name, cell.code)
            line[j + 1].button(md_escape(cell.short), key=f"pres_cell_{i}_{j}", on_click=choose_cell,
                               args=(case.name, cell.code), width="stretch", wrap=True,
                               type="primary" if chosen else "secondary")
            if view.show_counts:
                line[j + 1].caption(md_escape(cell.counts_short))


def quotes_panel(view, case: str, code: str, *, show_names: bool) -> None:  # type: ignore[no-untyped-def]
    label = next((c.label for c in view.columns if c.key == code), code)
    shown_as = next((c.label for c in view.cases if c.name == case), case)
    st.subheader(md_escape(f"Quotes · {shown_as} × {label}"))
    try:
        with read_session(engine()) as s:
            quotes = cell_quotes(s, project, view, case, code, show_names=show_names)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        return
    if not quotes:
        st.caption("No coded segments in this cell.")
    for quote in quotes:
        with st.container(border=True):
            st.markdown(md_escape(quote.text))
            who = quote.speaker + (f" · {quote.where}" if quote.where else "") + (" · pinned" if quote.pinned else "")
            st.caption(md_escape(who))


def feedback_drawer(fg, view, selected) -> None:  # type: ignore[no-untyped-def]
    roles = [NO_ROLE, *attendee_roles(fg)]
    cases = [CODE_ONLY, *[c.name for c in view.cases]]
    codes = {c.key: c.label for c in view.columns}
    with st.expander("Feedback drawer", expanded=bool(selected)):
        show_flash()  # where the facilitator is looking, not at the top of a long page
        d1, d2 = st.columns(2)
        if st.session_state.get("fb_code") not in codes:
            st.session_state["fb_code"] = next(iter(codes))
        shown_as = {c.name: c.label for c in view.cases}
        case = d1.selectbox("About case", cases, key="fb_case",
                            format_func=lambda c: shown_as.get(c, c) or "— the code itself, all cases —")
        code = d2.selectbox("About code", list(codes), key="fb_code", format_func=lambda k: codes[k])
        with st.form("fb_form", clear_on_submit=True):
            f1, f2 = st.columns(2)
            stance = f1.radio("Stance", STANCES_BY_PURPOSE["validation"], horizontal=True, key="fb_stance",
                              format_func=STANCE_LABELS.get)
            role = f2.selectbox("Participant role", roles, key="fb_role", format_func=lambda r: r or "unspecified")
            note = st.text_area("What was said", key="fb_note", height=90)
            if st.form_submit_button("Record feedback", type="primary"):
                where = f"{shown_as[case]} × {codes[code]}" if case else codes[code]
                run_write(lambda s: record_feedback(s, project, get_session(s, project, str(fg.guid)),
                                                    stance=stance, code=code, case=case or None,
                                                    participant_role=role, note=note, actor=actor(Permission.PRESENT)),
                          f"Feedback recorded on {where}.")
        # in a session for one network, the other networks' names stay hidden here too
        undo_redo_line("fb_", project, lambda s: feedback_undoable(s, get_session(s, project, str(fg.guid))),
                       "in this session", shown=view.hide_cases)
        with read_session(engine()) as s:
            records = feedback_on(s, project, get_session(s, project, str(fg.guid)), code=code, case=case or None)
        st.markdown(f"**Recorded in this session on {md_escape(shown_as[case] + ' × ' if case else '')}"
                    f"{md_escape(codes[code])}: {len(records)}**")
        for record in records:
            line = f"{STANCE_LABELS[record.stance]} · {record.participant_role or 'unspecified'}"
            if record.note:
                line += f" · {record.note}"
            if record.promoted_to:
                line += f" → code {record.promoted_to}"
            st.caption(md_escape(view.hide_cases(line)))
        promotable = [r for r in records if not case and r.note and not r.promoted_to]
        if promotable:
            promote_form(promotable)


def promote_form(records) -> None:  # type: ignore[no-untyped-def]
    by_guid = {r.guid: r for r in records}
    with st.form("fb_promote"):
        st.markdown("**Promote a remark to a new code**")
        guid = st.selectbox("Remark", list(by_guid), key="fb_promote_pick",
                            format_func=lambda g: f"{by_guid[g].stance}: {by_guid[g].note[:80]}")
        p1, p2 = st.columns(2)
        key = p1.text_input("New code key", placeholder="vc.trust", key="fb_promote_key")
        label = p2.text_input("Label", placeholder="Trust", key="fb_promote_label")
        if st.form_submit_button("Promote to code"):
            run_write(lambda s: "New code " + promote_to_code(s, project, guid, codebook=shown_setting("codebook"),
                                                              key=key.strip(), label=label, actor=actor(Permission.BUILD)).key
                      + " created from the remark.")


# --- session 1: the codebook walk -----------------------------------------------------------------

def walk_to(step: int) -> None:
    st.session_state["pres_walk_step"] = step


def present_walk(fg) -> None:  # type: ignore[no-untyped-def]
    book = shown_setting("codebook")
    try:
        with read_session(engine()) as s:
            codes = walk_codes(s, project, book)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        return
    if not codes:
        st.info("This codebook has no codes to walk.")
        return
    step = min(int(st.session_state.get("pres_walk_step", 0)), len(codes) - 1)
    code = codes[step]
    n1, n2, n3 = st.columns([1, 4, 1], vertical_alignment="center")
    n1.button("◀ Previous", disabled=step == 0, on_click=walk_to, args=(step - 1,), key="walk_prev", width="stretch")
    n2.markdown(f"**Code {code.order} of {len(codes)}**")
    n3.button("Next ▶", disabled=step >= len(codes) - 1, on_click=walk_to, args=(step + 1,), key="walk_next",
              width="stretch")
    with st.container(border=True):
        label = getattr(code, f"label_{shown_setting('language')}", "")
        st.header(md_escape(label or code.label_en or code.label_nl or code.key))
        labels = [f"NL: {code.label_nl}" if code.label_nl else "", f"EN: {code.label_en}" if code.label_en else "",
                  f"DE: {code.label_de}" if code.label_de else ""]
        st.markdown(md_escape(" · ".join(x for x in labels if x)))
        if code.definition:
            st.markdown(md_escape(code.definition))
        facts = [f"order {code.order}", code.key]
        if code.rank is not None:
            facts.append(f"rank {code.rank:g}")
        if code.horizon:
            facts.append(f"horizon: {code.horizon}")
        if code.depth:
            facts.append("sub-code")
        st.caption(md_escape(" · ".join(facts)))
    roles = [NO_ROLE, *attendee_roles(fg)]
    with st.expander("Feedback drawer", expanded=True):
        show_flash()
        with st.form("walk_form", clear_on_submit=True):
            w1, w2, w3 = st.columns(3)
            stance = w1.radio("Participants", STANCES_BY_PURPOSE["codebook"], horizontal=True, key="walk_stance",
                              format_func=STANCE_LABELS.get)
            about = w2.radio("About", ["code", "codebook"], horizontal=True, key="walk_about",
                             format_func={"code": "this code", "codebook": "the codebook as a whole"}.get)
            role = w3.selectbox("Participant role", roles, key="walk_role", format_func=lambda r: r or "unspecified")
            note = st.text_area("What was said (needed for 'missing')", key="walk_note", height=80)
            if st.form_submit_button("Record", type="primary"):
                run_write(lambda s: record_feedback(s, project, get_session(s, project, str(fg.guid)),
                                                    stance=stance, code=code.key if about == "code" else None,
                                                    participant_role=role, note=note, actor=actor(Permission.PRESENT)),
                          f"Recorded: {STANCE_LABELS[stance]} ({code.key if about == 'code' else 'codebook'}).")
        undo_redo_line("walk_", project, lambda s: feedback_undoable(s, get_session(s, project, str(fg.guid))),
                       "in this session")
    with st.expander("Walk summary", expanded=step == len(codes) - 1):
        with read_session(engine()) as s:
            lines = walk_summary(s, project, get_session(s, project, str(fg.guid)), book)
        st.dataframe(pd.DataFrame([{"code": line.code or "—", "label": line.label, "recognised": line.recognised,
                                    "not recognised": line.not_recognised, "missing": "; ".join(line.missing)}
                                   for line in lines]), hide_index=True, width="stretch", key="walk_summary", placeholder=EMPTY)


if not presenting:
    setup()
else:
    with read_session(engine()) as s:
        fg = get_session(s, project, st.query_params[SESSION_PARAM])
        s.expunge(fg)
    header(fg.name, fg.held_on, dict(fg.attendees or {}))
    if fg.purpose == "codebook":
        book = codebooks.get(shown_setting("codebook"))
        st.title(md_escape(f"Codebook walk · {book[1] if book else shown_setting('codebook')}"))
        present_walk(fg)
    elif st.radio("Present", ["matrix", "stories"], horizontal=True, key="pres_what",
                  format_func={"matrix": "the value-cycle matrix", "stories": "value-creation stories"}.get) == "stories":
        from ui.story_walk import present_stories

        chosen, own = shown_cases()
        present_stories(fg, project, revision, cases=list(chosen) or None, own=own,
                        language=shown_setting("language"))
    else:
        present_matrix(fg)
