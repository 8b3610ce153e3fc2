"""Memos beside the transcript on the Coding page: those on the document and on its segments, and a new one.

A coded segment with a memo ends in ✎ in the text (the transcript component marks it); the list here says where
each memo is (the segment's first words and its turn). Memo text is untrusted: shown escaped, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from cases.documents import TurnView, turn_label
from cases.projects import get_document, get_or_create_coder
from coding.memos import MemoView, add_memo
from ui.state import md_escape, rerun_fragment, run_write


def memo_panel(project, document_guid: str, me: str | None, memos: list[MemoView],  # type: ignore[no-untyped-def]
               turns: list[TurnView]) -> None:
    """The memos on this document and its segments, then a form for a memo on the document (`me`: who writes;
    None while no name is typed)."""
    # the label stays the same (a changed label would be a new expander, closed again); the count is beside it
    if memos:
        st.caption(f"{len(memos)} memo{'s' if len(memos) != 1 else ''} on this document and its segments; a coded "
                   "segment with a memo ends in ✎ in the text.")
    with st.expander("Memos beside the text", key="coding_memo_open", on_change="rerun") as panel:
        if not panel.open:  # drawn only while open (a rerun opens it)
            return
        for memo in memos:
            with st.container(border=True):
                if memo.segment_start is not None:
                    turn = next((t for t in turns if t.start <= memo.segment_start < t.end), None)
                    where = f"on “{memo.excerpt}”" + (f" · {turn_label(turn.ordinal)}" if turn else "")
                else:
                    where = "on the document"
                st.caption(md_escape(f"{where} · {memo.author or 'unknown author'} · "
                                     f"{memo.created_at.strftime('%Y-%m-%d %H:%M UTC')}"))
                st.markdown(md_escape(memo.text))
        if me is None:
            st.caption("Type your name under **You are** in the sidebar to write memos.")
            return
        with st.form("document_memo", clear_on_submit=True):
            text = st.text_area("Memo", key="document_memo_text", height=100)
            if st.form_submit_button("Save memo"):
                def write(s) -> str:  # type: ignore[no-untyped-def]
                    author, _ = get_or_create_coder(s, project, me, actor=me)
                    add_memo(s, project, text, target=get_document(s, project, document_guid), author=author,
                             actor=me)
                    return "Memo saved."

                run_write(write, rerun=rerun_fragment)
