"""Making a code while coding: name it, choose where it goes (and optionally define it), and it is applied to the
selection at once, in one transaction, as every commercial tool allows. The Codebooks page edits it afterwards."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cases.projects import get_document, get_or_create_coder
from coding.codings import code_with_a_new_code
from coding.picker import CodeChoice
from ui.state import rerun_fragment, run_write

TOP = ""  # the parent choice for "at the top of the codebook"


def new_code_form(project, document_guid: str, me: str, selection: dict, choices: list[CodeChoice],  # type: ignore[no-untyped-def]
                  language: str, on_done: Callable[[], None]) -> None:
    """A small form under the code picker: name, codebook, parent, definition → a new code applied to the span."""
    books = list(dict.fromkeys(c.codebook for c in choices))
    if not books:
        return
    with st.expander("New code for this selection"):
        book = st.selectbox("In codebook", books, key="new_code_book")
        parents = {c.key: c for c in choices if c.codebook == book}
        with st.form("new_code_form", clear_on_submit=True):
            name = st.text_input("Name", key="new_code_name", placeholder="e.g. Vertrouwen tussen leden")
            parent = st.selectbox("Under", [TOP, *parents], key="new_code_parent",
                                  format_func=lambda k: f"{parents[k].label} · {k}" if k else "the codebook's top")
            definition = st.text_area("Definition (optional)", key="new_code_definition", height=68)
            if st.form_submit_button("Create and apply", type="primary"):
                def write(s) -> str:  # type: ignore[no-untyped-def]
                    coder, _ = get_or_create_coder(s, project, me, actor=me)
                    code, _segment = code_with_a_new_code(
                        s, project, get_document(s, project, document_guid), coder, selection["start"],
                        selection["end"], codebook=book, label=name, parent=parent or None, definition=definition,
                        language=language)
                    return f"New code {code.key} created and applied."

                run_write(write, then=on_done, rerun=rerun_fragment)
