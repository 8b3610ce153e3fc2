"""The damage review on the Documents page: each warning of PDF-extraction damage with its context before and after
the proposed repair; the researcher accepts repairs (chosen ones, or all of a kind at once) or rejects warnings, and
takes rejections back. Accepted repairs make a new text version through coding.damage_repair (segments follow; other
coders' segments change only once looked at and confirmed). Transcript text is shown with st.text, never as Markdown.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from cases.damage import DamageWarning
from cases.projects import get_project
from coding.damage_repair import DamageReview, apply_repairs, reconsider_warnings, reject_warnings, review_damage
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from store.models import Project
from store.privileges import Permission
from ui.identity import refusal
from ui.state import EMPTY, actor, engine, md_escape, my_name, run_write
from ui.text_edit_view import show_touched

PER_PAGE = 20
ALL_KINDS = "every kind"
WIDTHS = [0.4, 5, 5]  # the tick, the text now, the text after the repair


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_review(project_guid: str, document_guid: str, revision: int) -> DamageReview:
    """Keyed on the project's revision: a repair, a rejection or any other change logs an event."""
    with read_session(engine()) as s:
        return review_damage(s, get_project(s, project_guid), document_guid)


def damage_section(project: Project, document_guid: str) -> None:
    """The review of one document's damage warnings (nothing when it has none, open or rejected)."""
    with read_session(engine()) as s:
        revision = latest_event_id(s, project.guid)
    review = _cached_review(str(project.guid), document_guid, revision)
    if not review.open and not review.rejected:
        return
    label = (f"{len(review.open)} possible extraction damage place(s) to review" if review.open
             else f"Extraction damage: {len(review.rejected)} place(s) kept as they are")
    with st.expander(label, expanded=bool(review.repairable)):
        st.caption("Text read from a PDF can carry line-end hyphens, running headers and page numbers, ligatures "
                   "and glued footnote numbers. Accept a repair to make it part of the text (a new text version; "
                   "segments follow the text, and 'Undo my last edit' takes it back), or reject the warning to keep "
                   "the place as it is. Best done before coding.")
        if _pending(project, document_guid, review):
            return
        if review.open:
            counts = Counter(w.kind for w in review.open)
            st.caption(", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
                       + f" · {len(review.repairable)} with a proposed repair")
        if refusal(Permission.BUILD) is not None:
            _table(review.open)
        elif review.open:
            _decide(project, document_guid, review)
        if review.rejected:
            _rejected(project, document_guid, review)


def _table(warnings: list[DamageWarning]) -> None:
    st.dataframe(pd.DataFrame([{"kind": w.kind, "before": w.excerpt, "after": w.preview, "note": w.message}
                               for w in warnings]), hide_index=True, width="stretch", placeholder=EMPTY)


def _decide(project: Project, guid: str, review: DamageReview) -> None:
    kinds = sorted({w.kind for w in review.open})
    kind = st.selectbox("Show", [ALL_KINDS, *kinds], key=f"damage_kind_{guid}",
                        format_func=lambda k: k.replace("_", " "))
    shown = [w for w in review.open if kind in (ALL_KINDS, w.kind)]
    with_repair = [w for w in shown if w.repair is not None]
    if with_repair and st.button(f"Accept all {len(with_repair)} repair(s) shown", key=f"damage_all_{guid}",
                                 help="Every warning listed here that has a proposed repair, on every page."):
        _apply(project, guid, review, [w.id for w in with_repair])
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = st.number_input("Page", 1, pages, 1, key=f"damage_page_{guid}") if pages > 1 else 1
    with st.form(f"damage_form_{guid}_{review.version}"):
        _, before, after = st.columns(WIDTHS)
        before.caption("**Now** (⏎ is a line break)")
        after.caption("**After the repair**")
        chosen = []
        for w in shown[(page - 1) * PER_PAGE:page * PER_PAGE]:
            tick, before, after = st.columns(WIDTHS)
            if tick.checkbox("choose", key=f"damage_pick_{guid}_{review.version}_{w.id}",
                             label_visibility="collapsed"):
                chosen.append(w)
            before.text(w.excerpt)
            after.text(w.preview if w.preview is not None else "(no repair proposed: correct it by hand)")
            before.caption(md_escape(f"{w.kind.replace('_', ' ')}: {w.message}"))
        apply, reject = st.columns(2)
        applied = apply.form_submit_button("Apply the chosen repairs", type="primary", key=f"damage_apply_{guid}")
        rejected = reject.form_submit_button("Reject the chosen warnings", key=f"damage_reject_{guid}")
    seen = st.session_state.get(f"damage_seen_{guid}", review.version)  # the version the ticks were made on
    st.session_state[f"damage_seen_{guid}"] = review.version
    if (applied or rejected) and seen != review.version:  # the ticks went with the text they were made on
        st.error(f"The text changed since you chose (text version {seen}, now {review.version}): look at the "
                 "warnings again.")
    elif applied:
        if not chosen or any(w.repair is None for w in chosen):
            st.error("Choose warnings that have a proposed repair (the others can be rejected or corrected by "
                     "hand)." if chosen else "Choose the warnings whose repairs to apply first.")
        else:
            _apply(project, guid, review, [w.id for w in chosen])
    elif rejected:
        if not chosen:
            st.error("Choose the warnings to reject first.")
        else:
            def reject_them(s) -> str:  # type: ignore[no-untyped-def]
                reject_warnings(s, project, guid, [w.id for w in chosen], actor=actor(Permission.BUILD),
                                version=review.version)
                return f"Kept {len(chosen)} place(s) as they are; they are no longer listed."

            run_write(reject_them)


def _apply(project: Project, guid: str, review: DamageReview, ids: list[str]) -> None:
    """Apply now, or first show the other coders' segments the repairs change and ask to confirm."""
    try:
        with read_session(engine()) as s:  # a preview writes nothing
            preview = apply_repairs(s, project, guid, ids, actor=my_name() or "", version=review.version,
                                    dry_run=True)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        return
    if preview.edit.others(my_name() or ""):
        st.session_state[f"damage_pending_{guid}"] = {"ids": ids, "version": review.version}
        st.rerun()
    _write(project, guid, ids, review.version, confirm=False)


def _write(project: Project, guid: str, ids: list[str], version: int, *, confirm: bool) -> None:
    def change(s) -> str:  # type: ignore[no-untyped-def]
        done = apply_repairs(s, project, guid, ids, actor=actor(Permission.BUILD), version=version,
                             confirm_others=confirm)
        edit = done.edit
        return (f"Repaired {len(done.applied) + len(done.taken_in)} place(s): text version {edit.version}, "
                f"{edit.carried} segment(s) carried, {len(edit.touched)} changed"
                + (f", {sum(t.needs_review for t in edit.touched)} kept for review (their text was deleted)."
                   if any(t.needs_review for t in edit.touched) else "."))

    run_write(change, then=lambda: st.session_state.pop(f"damage_pending_{guid}", None))


def _pending(project: Project, guid: str, review: DamageReview) -> bool:
    """Repairs that change other coders' segments, waiting for a confirmation (True: shown instead of the list)."""
    pending = st.session_state.get(f"damage_pending_{guid}")
    if not pending:
        return False
    if pending["version"] != review.version:  # the text changed meanwhile: choose again
        st.session_state.pop(f"damage_pending_{guid}")
        return False
    try:
        with read_session(engine()) as s:
            preview = apply_repairs(s, project, guid, pending["ids"], actor=my_name() or "",
                                    version=pending["version"], dry_run=True)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        st.session_state.pop(f"damage_pending_{guid}")
        return False
    others = preview.edit.others(my_name() or "")
    st.warning(md_escape(f"These {len(pending['ids'])} repair(s) change {len(others)} segment(s) of "
                         f"{', '.join(sorted({t.coder for t in others}))}: look at them before applying."))
    show_touched(preview.edit)
    sure = st.checkbox(md_escape(f"I have looked at the {len(others)} segment(s) of others these repairs change"),
                       key=f"damage_sure_{guid}")
    go, back = st.columns(2)
    if go.button("Apply the repairs", type="primary", disabled=not sure, key=f"damage_confirm_{guid}"):
        _write(project, guid, pending["ids"], pending["version"], confirm=True)
    if back.button("Cancel", key=f"damage_cancel_{guid}"):
        st.session_state.pop(f"damage_pending_{guid}")
        st.rerun()
    return True


def _rejected(project: Project, guid: str, review: DamageReview) -> None:
    if not st.toggle(f"Show the {len(review.rejected)} rejected warning(s)", key=f"damage_show_rejected_{guid}"):
        return
    with st.form(f"damage_rejected_form_{guid}_{review.version}"):
        chosen = []
        for w in review.rejected:
            tick, before = st.columns([WIDTHS[0], sum(WIDTHS[1:])])
            if tick.checkbox("choose", key=f"damage_again_{guid}_{review.version}_{w.id}",
                             label_visibility="collapsed"):
                chosen.append(w.id)
            before.text(w.excerpt)
            before.caption(md_escape(f"{w.kind.replace('_', ' ')}: {w.message}"))
        again = st.form_submit_button("List the chosen warnings again", key=f"damage_reconsider_{guid}")
    if again and chosen:
        def reconsider(s) -> str:  # type: ignore[no-untyped-def]
            reconsider_warnings(s, project, guid, chosen, actor=actor(Permission.BUILD), version=review.version)
            return f"{len(chosen)} warning(s) are listed again."

        run_write(reconsider)
    elif again:
        st.error("Choose the warnings to list again first.")
