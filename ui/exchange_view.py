"""The Projects page's REFI-QDA exchange: a project file in (new project or into the open one), the open project
out, each with a progress bar and the report of what was carried and what was not (shown as text, never Markup)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from cases.projects import get_project
from coding.assignments import blind_scope
from exports.qdpx import export_project_qdpx
from exports.qdpx_import import ImportReport, read_qdpx, store_qdpx
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.identity import acting, actor, creator_name, own_if_team
from ui.state import engine, md_escape, my_name, request_project, write_retrying

_REPORT = "qdpx_import_report"
_EXPORT = "qdpx_export"


def _progress_bar(label: str):  # type: ignore[no-untyped-def]
    """A progress bar whose text (file, source and document names: untrusted) is shown as text."""
    bar = st.progress(0.0, text=md_escape(label))

    def step(done: int, total: int, what: str) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0, text=md_escape(f"{label}: {what}"))
    return bar, step


def import_section(open_guid: str | None) -> None:
    """Upload a .qdpx (or a bare .qde) and import it as a new project or into the open project."""
    with st.expander("Import a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, QualCoder, …"):
        st.caption("Texts, codes, codings, memos, cases and variables come in under their own identifiers, so "
                   "importing the same file again adds only what is new. Positions are converted from the tool's "
                   "own counting and checked against the selected text; what cannot be kept is listed in a "
                   "report, which is also saved as a project memo.")
        upload = st.file_uploader("Project file", type=["qdpx", "qde"], key="qdpx_upload")
        targets = ["A new project"] + (["Into the open project"] if open_guid else [])
        where = st.radio("Import as", targets, horizontal=True, key="qdpx_target")
        name = st.text_input("New project's name (empty: the name the file gives)", key="qdpx_name",
                             disabled=where != "A new project")
        if st.button("Import", key="qdpx_import", disabled=upload is None):
            _run_import(upload.name, upload.getvalue(), open_guid if where != "A new project" else None, name)
        shown = st.session_state.get(_REPORT)
        if shown is not None:
            show_import_report(shown)


def _run_import(filename: str, data: bytes, into: str | None, name: str) -> None:
    bar, step = _progress_bar(f"Importing {filename}")
    try:
        if into is not None:
            actor(Permission.BUILD)  # said before the file is read
        project_file = read_qdpx(filename, data, on_step=step)  # before the write transaction: nothing held
    except Refused as exc:
        bar.empty()
        st.error(md_escape(str(exc)))
        return

    def change(session):  # type: ignore[no-untyped-def]
        if into is not None:
            project = get_project(session, into)
            who = actor(Permission.BUILD)
        else:
            project, who = None, creator_name(session)
        project, report = store_qdpx(session, project_file, project=project, new_name=name.strip() or None,
                                     actor=who, on_step=step)
        if into is None:
            own_if_team(session, project)
        return str(project.guid), report

    try:
        guid, report = write_retrying(change)
    except Refused as exc:
        bar.empty()
        st.error(md_escape(str(exc)))
        return
    bar.progress(1.0, text=md_escape(f"Imported {filename}"))
    st.session_state[_REPORT] = report
    if guid != into:
        request_project(guid)


def show_import_report(report: ImportReport) -> None:
    st.success(md_escape(f"{report.summary()}, into project '{report.project}'."))
    if report.convention:
        st.caption(md_escape(f"Positions read as: {report.convention}. The report is saved as a project memo."))
    for note in report.notes:
        st.info(md_escape(note))
    for title, items in (("Left out", report.skipped), ("Adjusted", report.adjusted)):
        if items:
            st.markdown(f"**{title}** ({len(items):,})")
            st.dataframe(pd.DataFrame(items, columns=["element", "name", "reason", "guid"]), hide_index=True,
                         width="stretch", column_config={"reason": st.column_config.TextColumn(width="large")})


def export_section(project_guid: str) -> None:
    """Prepare the open project as a .qdpx and offer it for download, with what the standard cannot carry."""
    with st.expander("Export as REFI-QDA (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder, …"):
        why_not = _export_refusal(project_guid)
        if why_not:
            st.caption(md_escape(why_not))
            return
        st.caption("One file with every text, code, coding, memo, case and attribute. Framework cells, focus-group "
                   "feedback and case memos travel as notes; what the standard has no place for is listed below.")
        if st.button("Prepare the export", key="qdpx_prepare"):
            bar, step = _progress_bar("Exporting")
            with read_session(engine()) as s:
                project = get_project(s, project_guid)
                data, report = export_project_qdpx(s, project, on_step=step)
                file_name = (re.sub(r"[^\w.-]+", "_", project.name).strip("_") or "project") + ".qdpx"
            bar.progress(1.0, text="Export ready")
            st.session_state[_EXPORT] = (project_guid, file_name, data, report)
        prepared = st.session_state.get(_EXPORT)
        if prepared is not None and prepared[0] == project_guid:
            _, file_name, data, report = prepared
            counts = ", ".join(f"{n:,} {k}" for k, n in report.counts.items() if n)
            size = f"{len(data) / 1e6:.1f} MB" if len(data) >= 100_000 else f"{max(1, round(len(data) / 1e3))} kB"
            st.download_button(f"Download {file_name} ({size})", data, file_name=file_name,
                               mime="application/zip", key="qdpx_download")
            st.caption(md_escape(f"Holds {counts}."))
            for line in report.not_carried:
                st.caption(md_escape(f"Not carried: {line}"))


def _export_refusal(project_guid: str) -> str | None:
    """Why this person may not export the whole project (it holds every transcript and everyone's codings)."""
    me = acting()
    if not me.role.can_read_transcripts():
        return f"A {me.role.value} does not read transcripts, so cannot export the project."
    with read_session(engine()) as s:
        scope = blind_scope(s, get_project(s, project_guid), my_name())
        if scope.active:
            return scope.closed("exporting the project")
    return me.refused or None
