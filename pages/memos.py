"""Memos: every memo of the project with filters, editing and deleting, new memos, and a Word export.

Memo text and the segment excerpts it points at are shown literally (escaped
Markdown), never as HTML.
"""

import streamlit as st

from cases.documents import list_documents
from cases.projects import get_or_create_coder, list_cases, list_coders
from codebooks.service import code_label, code_tree, list_project_codebooks
from coding.memos import add_memo, delete_memo, get_memo, memo_undoable, memo_views, update_memo
from exports.case_report import DOCX_MIME
from exports.memos_docx import build_memos_docx
from store.db import read_session
from store.models import MEMO_TARGETS, Case, Code, Document
from store.privileges import Permission
from ui.blind import my_blind_scope
from ui.identity import actor_for_work_of
from ui.state import actor, engine, md_escape, project_or_stop, run_write, show_flash
from ui.undo_offers import undo_redo_line

NEW_TARGETS = ("project", "case", "document", "code")

with read_session(engine()) as s:
    project = project_or_stop(s)
    cases = list_cases(s, project)
    documents = list_documents(s, project)
    coders = [c.name for c in list_coders(s, project)]
    codes = [(row.code.id, f"{row.code.key} — {code_label(row.code)}")
             for book in list_project_codebooks(s, project) for row in code_tree(book) if row.code.enabled]

st.title("Memos")
show_flash()
undo_redo_line("memo_", project, lambda s: memo_undoable(), "to a memo")

case_ids = {c.name: c.id for c in cases}
f1, f2, f3 = st.columns(3)
kind = f1.selectbox("Memos on", [None, *MEMO_TARGETS], format_func=lambda k: k or "everything", key="memo_filter_kind")
case_name = f2.selectbox("Case", [None, *case_ids], format_func=lambda n: n or "all cases",
                         key="memo_filter_case", help="Memos on the case, its documents and their segments.")
author = f3.selectbox("Author", [None, *coders], format_func=lambda a: a or "anyone", key="memo_filter_author")

with read_session(engine()) as s:
    the_case = s.get(Case, case_ids[case_name]) if case_name else None
    views = memo_views(s, project, target=kind, case=the_case, author=author, blind=my_blind_scope(s, project))
    filters = [f"{name}: {value}" for name, value in
               (("on", kind), ("case", case_name), ("author", author)) if value]
    word = build_memos_docx(s, project, views, subtitle=", ".join(filters) or None)

st.caption(f"{len(views)} memo{'s' if len(views) != 1 else ''}")
st.download_button("Download as Word", word, file_name="memos.docx", mime=DOCX_MIME, key="memos_docx",
                   disabled=not views, on_click="ignore")
for view in views:
    with st.container(border=True):
        when = view.created_at.strftime("%Y-%m-%d %H:%M UTC")
        if (view.updated_at - view.created_at).total_seconds() > 60:
            when += f", edited {view.updated_at.strftime('%Y-%m-%d %H:%M UTC')}"
        where = f" ({', '.join(view.cases)})" if view.cases and view.target != "case" else ""
        st.caption(md_escape(f"{view.target}: {view.target_name}{where} · {view.author or 'unknown author'} · {when}"))
        st.markdown(md_escape(view.text))
if not views:
    st.info("No memos match these filters." if (kind or case_name or author) else "This project has no memos yet.")


def run_change(done: str, change) -> None:  # type: ignore[no-untyped-def]
    """Run one memo change in its own transaction, then rerun to show the new state."""
    run_write(change, done)


if views:
    st.subheader("Edit or delete a memo")
    labels = {v.id: f"{v.target}: {v.target_name[:60]} — {' '.join(v.text.split())[:50]}" for v in views}
    memo_id = st.selectbox("Memo", list(labels), format_func=labels.get, key="memo_pick")
    chosen = next(v for v in views if v.id == memo_id)
    with st.form("edit_memo"):
        new_text = st.text_area("Memo text", value=chosen.text, height=150, key=f"memo_edit_{memo_id}")
        if st.form_submit_button("Save memo"):
            run_change("Memo saved.", lambda session: update_memo(
                session, project, get_memo(session, project, memo_id), new_text,
                actor=actor_for_work_of(chosen.author, Permission.CODE, "this memo"), shown=chosen.text))
    with st.form("delete_memo"):
        sure = st.checkbox("Yes, delete this memo", key=f"memo_delete_sure_{memo_id}")
        if st.form_submit_button("Delete memo"):
            if sure:
                run_change("Memo deleted.", lambda session: delete_memo(
                    session, project, get_memo(session, project, memo_id),
                    actor=actor_for_work_of(chosen.author, Permission.CODE, "this memo")))
            else:
                st.warning("Tick the box to confirm the deletion.")

st.subheader("New memo")
st.caption("Memos on a coded segment are written beside the text on the coding page.")
new_kind = st.radio("On", NEW_TARGETS, horizontal=True, key="memo_new_kind")
options: dict[int, str] = {}  # target id -> what the picker shows
if new_kind == "case":
    options = {c.id: c.name for c in cases}
elif new_kind == "document":
    options = {d.id: d.title for d in documents}
elif new_kind == "code":
    options = dict(codes)
with st.form("add_memo", clear_on_submit=True):
    target_id = None
    if new_kind != "project":
        target_id = st.selectbox(new_kind.capitalize(), list(options), format_func=options.get, key="memo_new_target")
    else:
        st.caption(md_escape(f"On the project '{project.name}'."))
    text = st.text_area("New memo", height=150, key="memo_new_text")
    if st.form_submit_button("Add memo"):
        if new_kind != "project" and target_id is None:
            st.error(f"This project has no {new_kind} to write a memo on.")
        else:
            def create(session) -> None:  # type: ignore[no-untyped-def]
                model = {"case": Case, "document": Document, "code": Code}.get(new_kind)
                target = session.get(model, target_id) if model else None
                me = actor(Permission.CODE)
                author = get_or_create_coder(session, project, me, actor=me)[0]
                add_memo(session, project, text, target=target, author=author, actor=me)

            run_change("Memo added.", create)
