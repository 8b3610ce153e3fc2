"""Documents: upload transcripts with a speaker preview, and read them turn by turn."""

import pandas as pd
import streamlit as st

from cases.documents import (
    document_case_names,
    document_speakers,
    document_text,
    list_documents,
    quote_citation,
    save_document_meta,
    turns_with_sentences,
)
from cases.importer import SpeakerDecision, find_duplicate, preview_import
from cases.projects import get_document, list_cases, list_persons
from cases.readers import SUPPORTED_SUFFIXES, ImportRefused
from cases.renames import rename_document
from cases.speakers import ROLES
from cases.staged_import import default_kind, import_files, import_in_steps
from store.db import read_session
from store.errors import Refused
from store.models import DOCUMENT_KINDS
from store.privileges import Permission
from ui.corrections import delete_section, rename_form
from ui.damage_review import damage_section
from ui.identity import refusal
from ui.pseudonymise_view import pseudonymise_tab
from ui.state import (
    EMPTY,
    UPLOAD_LIMIT_MB,
    actor,
    engine,
    flash,
    md_escape,
    project_or_stop,
    retry_when_busy,
    show_flash,
    write_retrying,
)
from ui.text_edit_view import edit_section, review_section, speaker_section

TURNS_PER_PAGE = 40

with read_session(engine()) as s:
    project = project_or_stop(s)
    cases = list_cases(s, project)
    documents = list_documents(s, project)
    case_names = document_case_names(s, project)

st.title("Documents")
show_flash()
# a key keeps the chosen tab across reruns (without one, a rerun after an import could switch back to Read)
tab_read, tab_import, tab_pseudo = st.tabs(["Read", "Import", "Pseudonymise"], key="documents_tab")


@st.cache_data(max_entries=8, show_spinner=False)
def cached_preview(filename: str, data: bytes, language: str | None):  # type: ignore[no-untyped-def]
    return preview_import(filename, data, language=language)


def show_document(guid: str) -> None:
    """Open `guid` on the Read tab (its selectbox is drawn after the Import tab, so it can still be set)."""
    st.query_params["document"] = guid
    st.session_state["read_document"] = guid


with tab_import:
    uploads = st.file_uploader("Transcripts", type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                               max_upload_size=UPLOAD_LIMIT_MB,
                               accept_multiple_files=True, key="uploads")
    c1, c2, c3 = st.columns(3)
    existing = [c.name for c in cases]
    # "" stands for a new case (no case has an empty name); plain characters every font has
    case_choice = c1.selectbox("Case", [*existing, ""], key="import_case",
                               format_func=lambda name: name or "+ New case…")
    new_case = c1.text_input("New case name", key="import_new_case") if case_choice == "" else ""
    kind = c2.selectbox("Kind", [None, *DOCUMENT_KINDS], key="import_kind",
                        format_func=lambda k: k or "by file (PDF: document, else interview)")
    language = c3.selectbox("Language", [None, "nl", "de", "en"], format_func=lambda v: v or "detect",
                            key="import_language")
    case_name = new_case.strip() if case_choice == "" else case_choice
    interview_date = st.date_input("Date (optional)", value=None, format="YYYY-MM-DD", key="import_date")

    if uploads:
        names = [u.name for u in uploads]
        chosen = st.selectbox("Preview", names, key="preview_file")
        upload = uploads[names.index(chosen)]
        try:
            preview = cached_preview(upload.name, upload.getvalue(), language)
        except ImportRefused as exc:
            st.error(md_escape(str(exc)))
            preview = None
        if preview is not None:
            with read_session(engine()) as s:
                duplicate = find_duplicate(s, project, preview.sha256)
                duplicate = duplicate.title if duplicate is not None else None
            if duplicate is not None:  # said now, not after the speakers are confirmed and Import is clicked
                st.warning(md_escape(f"{upload.name} is already in this project as the document '{duplicate}'; "
                                     "importing it again would be refused."))
            scores = ", ".join(f"{k} {v:.0%}" for k, v in sorted(preview.language_scores.items()))
            container = f"{len(preview.source.pages)} pages" if preview.source.pages else "binary container"
            st.caption(f"{preview.source.format.upper()} · {preview.source.encoding or container} · "
                       f"language {preview.language or 'unknown'} ({scores}) · {len(preview.source.text):,} characters")
            for notice in preview.source.notices:
                st.info(md_escape(notice))
            if preview.warnings:
                st.warning(f"{len(preview.warnings)} possible extraction damage place(s); the text is kept as it is.")
                st.dataframe(pd.DataFrame([{"kind": w.kind, "position": w.start, "excerpt": w.excerpt,
                                            "note": w.message} for w in preview.warnings]),
                             hide_index=True, width="stretch", placeholder=EMPTY)
            with st.form(f"speakers_{preview.sha256[:12]}"):
                st.markdown("**Speakers** — confirm which labels are speakers, their roles and who they are")
                decisions: dict[str, SpeakerDecision] = {}
                for i, cand in enumerate(preview.labels):
                    cols = st.columns([1, 3, 2, 3])
                    row_key = f"{preview.sha256[:12]}_{i}"
                    keep = cols[0].checkbox("speaker", value=not cand.likely_false, key=f"keep_{row_key}",
                                            help=cand.reason or None)
                    cols[1].markdown(f"`{cand.label.replace('`', 'ˋ')}` × {cand.count}"
                                     + (f"  \n:orange[{md_escape(cand.reason)}]" if cand.reason else ""))
                    role = cols[2].selectbox("role", ROLES, index=ROLES.index(cand.suggested_role),
                                             key=f"role_{row_key}", label_visibility="collapsed")
                    person = cols[3].text_input("person", key=f"person_{row_key}", label_visibility="collapsed",
                                                placeholder="person (optional)")
                    if keep:
                        decisions[cand.label] = SpeakerDecision(role=role, person=person.strip() or None)
                if not preview.labels:
                    st.caption("No speaker labels found: each paragraph becomes one unit.")
                title = st.text_input("Title", value=preview.title)
                submitted = st.form_submit_button("Import this file", type="primary", disabled=duplicate is not None)
            turns = preview.turns(decisions)
            st.caption(f"{len(turns)} turns with these speakers. First turns:")
            for turn in turns[:6]:
                label = turn.label or "—"
                role = decisions[turn.label].role if turn.label in decisions else "unknown"
                st.markdown(f"**{md_escape(label)}** · {role}: "
                            f"{md_escape(preview.source.text[turn.content_start:turn.end][:300])}")
            if submitted:
                try:
                    if not case_name:
                        raise Refused("choose a case or type a new case name")
                    bar = st.progress(0.0, text="Importing…")
                    doc, _, _ = retry_when_busy(lambda: import_in_steps(  # short transactions: nobody waits on it
                        engine(), str(project.guid), preview, case_name=case_name, kind=kind or default_kind(preview),
                        language=language, speakers=decisions, title=title, document_date=interview_date,
                        actor=actor(Permission.BUILD),
                        on_step=lambda done, of: bar.progress(done / of, text=f"{done:,} of {of:,} turns")))
                except (ImportRefused, Refused) as exc:
                    st.error(md_escape(str(exc)))
                else:
                    show_document(str(doc.guid))  # Read shows the new document, not the first one
                    flash(f"Imported '{doc.title}' into case '{case_name}'.")
                    st.rerun()
        if len(uploads) > 1 and st.button(f"Import all {len(uploads)} files with the detected speakers",
                                          key="import_all"):
            if not case_name:
                st.error("Choose a case or type a new case name.")
            elif (why := refusal(Permission.BUILD)) is not None:
                st.error(md_escape(why))
            else:
                bar = st.progress(0.0, text="Importing…")
                outcomes = import_files(
                    engine(), str(project.guid), [(u.name, u.getvalue()) for u in uploads], case_name=case_name,
                    kind=kind, language=language, actor=actor(Permission.BUILD), document_date=interview_date,
                    on_progress=lambda i, o: bar.progress(i / len(uploads), text=f"{i}/{len(uploads)} {o.filename}"),
                )
                done = [o for o in outcomes if not o.error]
                refused = [o.error for o in outcomes if o.error]
                flash(f"{len(done)} imported, {len(refused)} refused." + "".join(f"\n\n{e}" for e in refused),
                      "error" if refused else "success")
                st.rerun()

with tab_pseudo:
    pseudonymise_tab(project, {str(d.guid): d.title for d in documents},
                     {str(d.guid): (case_names.get(d.id) or [None])[0] for d in documents})

with tab_read:
    if not documents:
        st.info("No documents yet: import transcripts on the Import tab.")
        st.stop()
    guids = [str(d.guid) for d in documents]
    titles = {str(d.guid): f"{d.title} ({', '.join(case_names.get(d.id, [])) or 'no case'})" for d in documents}
    wanted = st.query_params.get("document")
    index = guids.index(wanted) if wanted in guids else 0
    guid = st.selectbox("Document", guids, index=index, format_func=titles.get, key="read_document")
    st.query_params["document"] = guid
    with read_session(engine()) as s:
        document = get_document(s, project, guid)
        text = document_text(s, document)
        units = turns_with_sentences(s, document)
        speakers = document_speakers(s, document)
        persons_of_project = list_persons(s, project)
    st.caption(f"{document.kind} · {document.language or 'language unknown'} · from "
               f"{md_escape(document.source_filename)} · {len(text):,} characters · {len(units)} turns · "
               f"{sum(len(x) for _, x in units)} sentences")
    with st.expander("Title, cases and date"):
        rename_form(f"document_{guid}", "the document", document.title,
                    lambda s, new, shown: rename_document(s, project, get_document(s, project, guid), new,
                                                          actor=actor(Permission.BUILD), shown=shown))
        with st.form(f"document_meta_{guid}"):
            member_of = st.multiselect("Belongs to cases", [c.name for c in cases], default=case_names.get(document.id, []),
                                       help="A focus group can span several cases.")
            when = st.date_input("Date", value=document.document_date, format="YYYY-MM-DD")
            if st.form_submit_button("Save"):
                try:
                    write_retrying(lambda s: save_document_meta(s, project, get_document(s, project, guid), member_of,
                                                                when, actor=actor(Permission.BUILD)))
                except Refused as exc:
                    st.error(md_escape(str(exc)))
                else:
                    flash("Saved the document's cases and date.")
                    st.rerun()
    damage_section(project, guid)
    review_section(project, guid)
    edit_section(project, guid, [turn for turn, _ in units], text)
    speaker_section(project, guid, speakers, [p.name for p in persons_of_project])
    with st.expander("Delete this document"):
        delete_section(f"document_{guid}", project, "document", guid, document.title)
    if speakers:
        st.dataframe(pd.DataFrame([{"label": sp.label, "role": sp.role, "person": p.name if p else None,
                                    "pseudonym": p.pseudonym if p else None} for sp, p in speakers]),
                     hide_index=True, placeholder=EMPTY)
    show_sentences = st.toggle("Show sentence boundaries", key="show_sentences")
    pages = max(1, -(-len(units) // TURNS_PER_PAGE))
    page = st.number_input("Page", 1, pages, 1, key="turn_page") if pages > 1 else 1
    for turn, sentences in units[(page - 1) * TURNS_PER_PAGE: page * TURNS_PER_PAGE]:
        person = f" ({md_escape(turn.pseudonym or turn.person)})" if turn.person else ""
        stamp = f" · {turn.start_ms // 60000:02d}:{turn.start_ms // 1000 % 60:02d}" if turn.start_ms is not None else ""
        body = (" ⟩ ".join(md_escape(text[a:b]) for a, b in sentences) if show_sentences and sentences
                else md_escape(text[turn.content_start:turn.end]))
        # a paragraph without a speaker (a PDF's) is named as every quote of it is cited: ¶N
        who = (f"**{md_escape(turn.label)}** · {turn.role}" if turn.label
               else md_escape(quote_citation(turn.ordinal, None)))
        st.markdown(f"{who}{person}{stamp}  \n{body}")
