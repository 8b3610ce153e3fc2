"""Codebooks: the project's code trees with definitions in a chosen language, and their editing."""

import streamlit as st

from codebooks.qdc import export_codebook_qdc, import_codebook_qdc
from codebooks.service import (
    LABEL_LANGUAGES,
    add_code,
    code_label,
    code_tree,
    coding_counts,
    delete_code,
    export_codebook_csv,
    get_codebook,
    import_codebook_csv,
    list_project_codebooks,
    merge_codes,
    move_code,
    update_code,
)
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.blind import my_blind_scope
from ui.state import UPLOAD_LIMIT_MB, actor, engine, flash, md_escape, project_or_stop, show_flash, write_retrying

HORIZON_LABELS = {"before": "before joining", "short": "short term", "medium": "medium term", "long": "long term"}

with read_session(engine()) as s:
    project = project_or_stop(s)
    books = list_project_codebooks(s, project)

st.title("Codebooks")
if not books:
    st.info("This project has no codebooks yet: adopt one on the Projects page or import a CSV below.")

c1, c2 = st.columns([3, 1])
book_key = c1.selectbox("Codebook", [b.key for b in books], format_func=lambda k: next(
    f"{b.name_en} ({b.key}, v{b.version})" for b in books if b.key == k), key="codebook") if books else None
language = c2.selectbox("Labels", LABEL_LANGUAGES, key="label_language")


def run_edit(done: str, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Run one codebook edit in its own transaction; `done` may use {result}. Merging and deleting codes take
    other people's codings with them: an owner's."""
    needs = Permission.DELETE if action in (merge_codes, delete_code) else Permission.BUILD
    try:
        result = write_retrying(lambda session: action(session, project, *args, actor=actor(needs), **kwargs))
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(done.replace("{result}", str(result)))


if book_key:
    with read_session(engine()) as s:
        book = get_codebook(s, project, book_key)
        rows = code_tree(book)
        blind = my_blind_scope(s, project)  # coding blind: others' codings on those documents are not counted
        counts = coding_counts(s, book, blind.visible() if blind.active else None)
    if book.source:
        st.caption(md_escape(f"Source: {book.source}"))
    show_flash()
    keys = [r.code.key for r in rows]
    for row in rows:
        code = row.code
        flags = []
        if not code.codable:
            flags.append("folder")
        if not code.enabled:
            flags.append("off")
        if code.rank is not None:
            flags.append(f"rank {code.rank:g}")
        if code.horizon:
            flags.append(HORIZON_LABELS.get(code.horizon, code.horizon))
        used = counts.get(code.id, 0)
        title = f"{'　' * row.depth}{md_escape(code_label(code, language))} · {code.key}"
        with st.expander(f"{title}  ({used} codings{', ' + ', '.join(flags) if flags else ''})"):
            st.markdown(f":material/circle: colour `{code.colour}`")
            for heading, value in (("Definition", code.definition), ("Use when", code.include_rule),
                                   ("Do not use when", code.exclude_rule), ("Example", code.example)):
                if value:
                    st.markdown(f"**{heading}:** {md_escape(value)}")
            st.caption(" · ".join(f"{lang}: {md_escape(getattr(code, 'label_' + lang) or '—')}" for lang in LABEL_LANGUAGES))

    st.subheader("Edit")
    t_add, t_rename, t_move, t_merge, t_delete = st.tabs(["Add", "Rename", "Move", "Merge", "Delete"])
    with t_add, st.form("add_code", clear_on_submit=True):
        key = st.text_input("Key", placeholder=f"{book.prefix or 'own'}.new_code")
        parent = st.selectbox("Parent", [None, *keys], format_func=lambda k: k or "(top level)")
        label_en = st.text_input("Label (en)")
        label_nl = st.text_input("Label (nl)")
        label_de = st.text_input("Label (de)")
        definition = st.text_area("Definition", height=68)
        if st.form_submit_button("Add code"):
            run_edit(f"Added code '{key}'.", add_code, book_key, key, label_en, parent_key=parent, label_nl=label_nl, label_de=label_de,
                     definition=definition)
            st.rerun()
    with t_rename, st.form("rename_code"):
        key = st.selectbox("Code", keys, key="rename_key")
        lang = st.selectbox("Language", LABEL_LANGUAGES, key="rename_lang")
        label = st.text_input("New label")
        if st.form_submit_button("Rename"):
            run_edit(f"Renamed '{key}' ({lang}).", update_code, book_key, key, **{f"label_{lang}": label})
            st.rerun()
    with t_move, st.form("move_code"):
        key = st.selectbox("Code", keys, key="move_key")
        parent = st.selectbox("New parent", [None, *keys], format_func=lambda k: k or "(top level)", key="move_parent")
        if st.form_submit_button("Move"):
            run_edit(f"Moved '{key}' under {parent or 'the top level'}.", move_code, book_key, key, parent)
            st.rerun()
    with t_merge, st.form("merge_code"):
        source = st.selectbox("Merge this code", keys, key="merge_source")
        target = st.selectbox("into", keys, key="merge_target")
        st.caption("Its codings move to the target, its children too; then it is deleted.")
        if st.form_submit_button("Merge"):
            run_edit(f"Merged '{source}' into '{target}': " + "{result} coding(s) reassigned.", merge_codes, book_key,
                     source, target)
            st.rerun()
    with t_delete, st.form("delete_code"):
        key = st.selectbox("Code", keys, key="delete_key")
        st.caption("Only unused codes can be deleted; merge a code that has codings.")
        if st.form_submit_button("Delete"):
            run_edit(f"Deleted '{key}'.", delete_code, book_key, key)
            st.rerun()

    with read_session(engine()) as s:
        csv_text = export_codebook_csv(s, book_key, project)
        qdc = export_codebook_qdc(s, book_key, project)
    e1, e2 = st.columns(2)
    e1.download_button("Export as CSV", ("\ufeff" + csv_text).encode("utf-8"), file_name=f"{book_key}.csv",
                       mime="text/csv", on_click="ignore")
    e2.download_button("Export as REFI-QDA (.qdc)", qdc, file_name=f"{book_key}.qdc", mime="application/xml",
                       on_click="ignore", help="For NVivo, ATLAS.ti, MAXQDA and QualCoder; guids stay the same.")

st.subheader("Import a codebook (CSV or REFI-QDA .qdc)")


def summary_of(imported) -> str:  # type: ignore[no-untyped-def]
    return f"Imported '{imported.key}' with {len(imported.codes)} codes."


def qdc_imported(session, data: bytes, filename: str) -> str:  # type: ignore[no-untyped-def]
    book, notes = import_codebook_qdc(session, data, filename=filename, project=project, actor=actor(Permission.BUILD))
    return summary_of(book) + "".join(f"\n\nNote: {note}" for note in notes)


upload = st.file_uploader("Codebook", type=["csv", "qdc"], key="codebook_csv", max_upload_size=UPLOAD_LIMIT_MB)
if upload is not None and st.button("Import into this project", key="import_codebook"):
    try:
        if upload.name.lower().endswith(".qdc"):
            summary = write_retrying(lambda s: qdc_imported(s, upload.getvalue(), upload.name))
        else:
            text = upload.getvalue().decode("utf-8-sig")
            summary = write_retrying(lambda s: summary_of(import_codebook_csv(
                s, text, filename=upload.name, project=project, actor=actor(Permission.BUILD))))
    except UnicodeDecodeError:
        st.error(f"{upload.name}: not UTF-8 text")
    except Refused as exc:
        st.error(md_escape(str(exc)))
    else:
        st.success(md_escape(summary))
