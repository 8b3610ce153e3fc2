"""Double coding on the Agreement page: an owner gives documents (or a random sample) to a second coder, blind by
default, sees where each stands, and reveals them; names and titles are shown as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.assignments import assign_documents, list_assignments, reveal_assignment
from store.db import read_session
from store.models import Project
from store.privileges import Permission
from ui.identity import refusal
from ui.state import EMPTY, actor, engine, md_escape, run_write


def assignments_section(project: Project, coders: list[str], documents: dict[str, str]) -> None:
    st.subheader("Double coding")
    with read_session(engine()) as s:
        rows = list_assignments(s, project)
    if rows:
        st.dataframe(pd.DataFrame([{"document": a.document, "second coder": a.coder, "state": a.state,
                                    "assigned by": a.assigned_by} for a in rows]),
                     hide_index=True, width="stretch", placeholder=EMPTY)
    else:
        st.caption("No documents are given to a second coder yet.")
    if refusal(Permission.MANAGE) is not None:
        return  # an owner assigns and reveals
    with st.expander("Give documents to a second coder"), st.form("assign", clear_on_submit=True):
        c1, c2 = st.columns([2, 1])
        coder = c1.selectbox("Second coder", coders, index=None, accept_new_options=True, key="assign_coder",
                             placeholder="a coder's name")
        blind = c2.toggle("Blind", value=True, key="assign_blind",
                          help="While blind, the second coder sees nobody else's codings on it, nor counts "
                               "made from them, until you reveal it.")
        chosen = st.multiselect("Documents", list(documents), format_func=documents.get, key="assign_documents")
        s1, s2 = st.columns(2)
        sample = s1.number_input("…or draw this many at random", 0, 1000, 0, key="assign_sample",
                                 help="From the documents someone else has coded and this coder has not.")
        seed = s2.number_input("Seed of the draw", 0, 2**31 - 1, 1, key="assign_seed")
        if st.form_submit_button("Assign"):
            def assign(session) -> str:  # type: ignore[no-untyped-def]
                if not coder:
                    return "Choose the second coder first."
                titles = assign_documents(session, project, coder, chosen, sample=None if chosen else int(sample),
                                          seed=int(seed), blind=blind, actor=actor(Permission.MANAGE))
                return (f"Gave {len(titles)} document(s) to {coder}" + (" (blind)" if blind else "") + ": "
                        + "; ".join(titles)) if titles else f"Nothing new to give {coder}."

            run_write(assign)
    waiting = [a for a in rows if a.blind and not a.revealed]
    for a in waiting:
        r1, r2, r3 = st.columns([4, 2, 1])
        r1.markdown(md_escape(f"{a.document} · {a.coder} · {a.state}"))
        early = r2.checkbox("end the blind early", key=f"early_{a.guid}", disabled=a.finished)
        if r3.button("Reveal", key=f"reveal_{a.guid}", disabled=not (a.finished or early)):
            run_write(lambda s, a=a: reveal_assignment(s, project, a.document_guid, coder=a.coder, force=early,
                                                       actor=actor(Permission.MANAGE)),
                      f"Revealed '{a.document}' to {a.coder}.")
