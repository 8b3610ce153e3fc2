"""Pseudonymising on the Documents page: the replacement list (with suggestions to accept), a preview of every
replacement in one document, and applying the list to a document, its case or the whole project (an owner's
change: a new text version per document, every segment carried). Names and text are shown as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cases.pseudonyms import replacement_list, suggest_candidates
from coding.pseudonymise import documents_in, preview_document, pseudonymise_each
from focusgroups.anonymise import add_mask_term
from store.db import read_session
from store.errors import Refused
from store.models import MASK_KINDS, Project
from store.privileges import Permission
from ui.identity import refusal
from ui.state import EMPTY, actor, engine, flash, md_escape, run_write, write_retrying


def pseudonymise_tab(project: Project, documents: dict[str, str], case_of: dict[str, str | None]) -> None:
    st.caption("Replace real names, organisations and places by pseudonyms in the transcripts themselves. Each "
               "document gets a new text version; every coding follows its text (\"Jan de Vries zegt\" becomes "
               "\"R3 zegt\"), and undo of the document's last edit brings the names back until the originals are "
               "purged.")
    with read_session(engine()) as s:
        listed = replacement_list(s, project)
    st.dataframe(pd.DataFrame([{"real": r.real, "pseudonym": r.pseudonym, "kind": r.kind, "from": r.source}
                               for r in listed]), hide_index=True, width="stretch", placeholder=EMPTY)
    owner = refusal(Permission.MANAGE) is None
    if owner:
        _add_form(project)
        _suggestions(project)
    if not documents:
        return
    st.subheader("Preview")
    guid = st.selectbox("Document", list(documents), format_func=documents.get, key="pseudo_document")
    with read_session(engine()) as s:
        preview = preview_document(s, project, guid)
    st.caption(f"{len(preview.found)} replacement(s) in '{md_escape(preview.document)}'.")
    for context in preview.contexts[:200]:
        st.text(context)
    if not owner:
        return
    scopes = {"document": "this document", "case": f"its case ({case_of.get(guid) or 'none'})", "project":
              "every document of the project"}
    scope = st.radio("Pseudonymise", list(scopes), format_func=scopes.get, horizontal=True, key="pseudo_scope")
    sure = st.checkbox("I have read the preview; the codings on these names will hold the pseudonyms",
                       key="pseudo_sure")
    if st.button("Pseudonymise", type="primary", disabled=not sure, key="pseudo_apply"):
        _apply(project, guid, scope, case_of.get(guid))
    _purge(project)


def _purge(project: Project) -> None:
    """The owner's last step: the originals, earlier texts and every listed name removed for good."""
    from cases.purge import clear_free_pages, purge_originals

    if refusal(Permission.DELETE) is not None:
        return
    with st.expander("Purge the originals for good"):
        st.caption("Removes every document's original file and earlier text versions, replaces the listed names "
                   "wherever else they stand (titles, labels, memos, summaries, notes, codes, the event log), "
                   "leaves registered persons only their pseudonym and removes the replacement list. Edits can no "
                   "longer be undone. This cannot be taken back.")
        typed = st.text_input(md_escape(f"Type the project's name ({project.name}) to purge"), key="purge_confirm")
        if st.button("Purge originals and names", type="primary", key="purge_go"):
            try:
                purged = write_retrying(lambda s: purge_originals(s, project, confirm=typed,
                                                                  actor=actor(Permission.DELETE)))
            except Refused as exc:
                st.error(md_escape(str(exc)))
                return
            clear_free_pages(engine())
            flash(f"Purged {purged.documents} document(s): {purged.versions} earlier text version(s) and "
                  f"{purged.bytes_dropped:,} bytes of original files removed, {purged.rewritten} row(s) rewritten, "
                  f"{purged.list_entries} list entries removed.")
            st.rerun()


def _add_form(project: Project) -> None:
    with st.form("pseudo_add", clear_on_submit=True):
        c1, c2, c3 = st.columns([3, 2, 1])
        real = c1.text_input("Real name", placeholder="Jan de Vries", key="pseudo_real")
        pseudonym = c2.text_input("Pseudonym", placeholder="R3", key="pseudo_pseudonym")
        kind = c3.selectbox("Kind", MASK_KINDS, key="pseudo_kind")
        if st.form_submit_button("Add to the list"):
            def add(session) -> str:  # type: ignore[no-untyped-def]
                add_mask_term(session, project, real, kind, pseudonym, actor=actor(Permission.MANAGE))
                return f"Added '{' '.join(real.split())}' to the list."

            run_write(add)


def _suggestions(project: Project) -> None:
    with st.expander("Suggestions from the texts"):
        if st.button("Find candidates", key="pseudo_find"):
            with read_session(engine()) as s:
                st.session_state["pseudo_candidates"] = [
                    {"add": False, "text": c.text, "pseudonym": "", "kind": c.kind, "count": c.count,
                     "example": c.example} for c in suggest_candidates(s, project)]
        candidates = st.session_state.get("pseudo_candidates")
        if not candidates:
            return
        edited = st.data_editor(pd.DataFrame(candidates), hide_index=True, key="pseudo_editor",
                                disabled=["text", "count", "example"],
                                column_config={"kind": st.column_config.SelectboxColumn(options=list(MASK_KINDS))})
        ticked = edited[edited["add"]]
        if st.button(f"Add {len(ticked)} ticked", disabled=ticked.empty, key="pseudo_add_ticked"):
            def add(session) -> str:  # type: ignore[no-untyped-def]
                for row in ticked.itertuples():
                    add_mask_term(session, project, row.text, row.kind, row.pseudonym, actor=actor(Permission.MANAGE))
                return f"Added {len(ticked)} name(s) to the list."

            st.session_state.pop("pseudo_candidates", None)
            run_write(add)


def _apply(project: Project, guid: str, scope: str, case: str | None) -> None:
    with read_session(engine()) as s:
        documents = [(str(d.guid), d.title) for d in documents_in(
            s, project, document=guid if scope == "document" else None, case=case if scope == "case" else None)]
    outcomes = pseudonymise_each(write_retrying, str(project.guid), documents, actor=actor(Permission.MANAGE))
    said = [f"{o.document}: refused: {o.refused}" if o.refused else
            f"{o.document}: {o.result.replacements} replacement(s), {len(o.result.touched)} segment(s) changed"
            for o in outcomes if o.refused or o.result is not None]
    done = sum(1 for o in outcomes if o.result is not None)
    flash(f"Pseudonymised {done} of {len(documents)} document(s).\n\n" + "\n\n".join(said),
          "error" if any(o.refused for o in outcomes) else "success")
    st.rerun()
