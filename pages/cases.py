"""Cases & attributes: cases, persons and their typed attributes, also from a spreadsheet."""

import pandas as pd
import streamlit as st

from cases.attribute_sheets import import_attribute_sheet_in_steps
from cases.attributes import attribute_values, list_definitions, set_attribute
from cases.documents import list_documents
from cases.projects import (
    case_document_counts,
    create_case,
    create_person,
    get_case,
    get_document,
    get_person,
    list_cases,
    list_persons,
)
from cases.renames import rename_attribute, rename_case, rename_person
from exports.case_report import build_case_report
from store.db import read_session
from store.errors import Refused
from store.models import ATTRIBUTE_TYPES
from store.privileges import Permission
from ui.blind import closed_because, my_blind_scope
from ui.corrections import delete_section, merge_section, rename_form
from ui.state import (
    EMPTY,
    UPLOAD_LIMIT_MB,
    actor,
    engine,
    md_escape,
    project_or_stop,
    retry_when_busy,
    run_write,
    show_flash,
    write_retrying,
)

with read_session(engine()) as s:
    project = project_or_stop(s)
    cases = list_cases(s, project)
    persons = list_persons(s, project)
    documents = list_documents(s, project)
    doc_counts = case_document_counts(s, project)
    values = {target: attribute_values(s, project, target) for target in ("case", "person", "document")}
    attribute_definitions = list_definitions(s, project)

st.title("Cases & attributes")
show_flash()
case_names = {c.id: c.name for c in cases}

st.subheader("Cases")
st.dataframe(
    pd.DataFrame([{"case": c.name, "documents": doc_counts.get(c.id, 0), **values["case"].get(c.id, {})}
                  for c in cases]),
    hide_index=True, width="stretch", placeholder=EMPTY,
)
with st.form("new_case", clear_on_submit=True):
    st.markdown("**New case**")
    name = st.text_input("Case name")
    description = st.text_area("Description", height=68)
    if st.form_submit_button("Create case"):
        try:
            write_retrying(lambda s: create_case(s, project, name, description=description,
                                                 actor=actor(Permission.BUILD)))
        except Refused as exc:
            st.error(md_escape(str(exc)))
        else:
            st.rerun()

st.subheader("Persons")
st.dataframe(
    pd.DataFrame([{"name": p.name, "pseudonym": p.pseudonym, "role": p.role, "case": case_names.get(p.case_id),
                   **values["person"].get(p.id, {})} for p in persons]),
    hide_index=True, width="stretch", placeholder=EMPTY,
)
with st.form("new_person", clear_on_submit=True):
    st.markdown("**New person** (an interviewee or participant)")
    c1, c2, c3, c4 = st.columns(4)
    p_name = c1.text_input("Name")
    p_pseudonym = c2.text_input("Pseudonym")
    p_role = c3.text_input("Role in the network")
    p_case = c4.selectbox("Case", [None, *[c.name for c in cases]], format_func=lambda n: n or "—")
    if st.form_submit_button("Add person"):
        try:
            write_retrying(lambda s: create_person(s, project, p_name, pseudonym=p_pseudonym, role=p_role,
                                                   case=get_case(s, project, p_case) if p_case else None,
                                                   actor=actor(Permission.BUILD)))
        except Refused as exc:
            st.error(md_escape(str(exc)))
        else:
            st.rerun()

st.subheader("Correct or delete")
st.caption("Renaming keeps codings, cells, reports and links: only the name changes, and names stay unique in the "
           "project. Deleting shows first what goes with it; deleted things wait in the bin on the Projects page.")
fix_case, fix_person, fix_attribute = st.tabs(["Case", "Person", "Attribute"])
with fix_case:
    if cases:
        old_case = st.selectbox("Case", [c.name for c in cases], key="rename_case_pick")
        rename_form(f"case_{old_case}", f"case '{old_case}'", old_case,
                    lambda s, new, shown: rename_case(s, project, get_case(s, project, old_case), new,
                                                      actor=actor(Permission.BUILD), shown=shown))
        with st.expander(md_escape(f"Merge case '{old_case}' into another")):
            merge_section(project, old_case, [c.name for c in cases if c.name != old_case])
        with st.expander(md_escape(f"Delete case '{old_case}'")):
            delete_section(f"case_{old_case}", project, "case", old_case, old_case)
with fix_person:
    if persons:
        old_person = st.selectbox("Person", [p.name for p in persons], key="rename_person_pick")
        chosen = next(p for p in persons if p.name == old_person)
        with st.form(f"rename_person_{chosen.guid}"):
            c1, c2 = st.columns(2)
            new_name = c1.text_input("Name", value=chosen.name)
            new_pseudonym = c2.text_input("Pseudonym", value=chosen.pseudonym)
            if st.form_submit_button("Save"):
                run_write(lambda s: (
                    f"Saved {' '.join(new_name.split())} (pseudonym '{' '.join(new_pseudonym.split())}')."
                    if rename_person(s, project, get_person(s, project, str(chosen.guid)), name=new_name,
                                     pseudonym=new_pseudonym, actor=actor(Permission.BUILD))
                    else "Nothing changed."))
        with st.expander(md_escape(f"Delete person '{chosen.name}'")):
            delete_section(f"person_{chosen.guid}", project, "person", str(chosen.guid), chosen.name)
with fix_attribute:
    definitions = attribute_definitions
    if definitions:
        labels = {f"{d.target}: {d.name}": d for d in definitions}
        picked = labels[st.selectbox("Attribute", list(labels), key="rename_attribute_pick")]
        rename_form(f"attribute_{picked.guid}", f"{picked.target} attribute '{picked.name}'", picked.name,
                    lambda s, new, _shown: rename_attribute(s, project, picked.target, picked.name, new,
                                                            actor=actor(Permission.BUILD)))
        with st.expander(md_escape(f"Delete the {picked.target} attribute '{picked.name}'")):
            delete_section(f"attribute_{picked.guid}", project, "attribute", f"{picked.target}:{picked.name}",
                           f"{picked.target}:{picked.name}")

st.subheader("Set an attribute")
target = st.radio("On", ["case", "document", "person"], horizontal=True, key="attr_target")
choices = {"case": [c.name for c in cases], "document": [d.title for d in documents], "person": [p.name for p in persons]}
with st.form("set_attribute", clear_on_submit=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
    entity_name = c1.selectbox(target.capitalize(), choices[target])
    attr_name = c2.text_input("Attribute", placeholder="e.g. country")
    attr_value = c3.text_input("Value", placeholder="e.g. NL, 1.065.000, 6,5, ja, 2025-03-12")
    attr_type = c4.selectbox("Type", ["(infer)", *ATTRIBUTE_TYPES])
    if st.form_submit_button("Set"):
        try:
            if not entity_name:
                raise Refused(f"no {target} to set an attribute on")
            finder = {"case": get_case, "document": get_document, "person": get_person}[target]
            write_retrying(lambda s: set_attribute(s, project, finder(s, project, entity_name), attr_name, attr_value,
                                                   type_=None if attr_type == "(infer)" else attr_type,
                                                   actor=actor(Permission.BUILD)))
        except Refused as exc:
            st.error(md_escape(str(exc)))
        else:
            st.rerun()

st.subheader("Import attributes from a spreadsheet")
st.caption("First column: the case, person or document name; header row: attribute names. CSV (comma or "
           "semicolon) or XLSX. Dutch numbers such as 1.065.000 and 6,5 are read as numbers.")
sheet_target = st.selectbox("Rows are", ["case", "person", "document"], key="sheet_target")
sheet = st.file_uploader("Spreadsheet", type=["csv", "xlsx"], key="sheet", max_upload_size=UPLOAD_LIMIT_MB)
if sheet is not None and st.button("Import attributes", key="import_sheet"):
    progress = st.progress(0.0, text="Importing attributes…")
    try:
        result = retry_when_busy(lambda: import_attribute_sheet_in_steps(
            engine(), str(project.guid), sheet_target, sheet.name, sheet.getvalue(), actor=actor(Permission.BUILD),
            on_step=lambda done, of: progress.progress(done / of, text=f"Importing attributes: {done:,} of {of:,}"),
        ))
    except Refused as exc:
        progress.empty()
        st.error(md_escape(str(exc)))
    else:
        progress.empty()
        st.success(md_escape(f"{result.values} values set on {result.rows} {sheet_target}s: "
                             + ", ".join(f"{k} ({v})" for k, v in result.types.items())))

st.subheader("Within-case report")
st.caption("A Word document with the case's coded segments under the codebooks' headings, in codebook order, "
           "each quote with speaker role, document and position, plus the case's memos.")
with read_session(engine()) as s:
    blind = my_blind_scope(s, project)
if blind.active:
    st.info(md_escape(closed_because(blind, "the within-case report")))
else:
    with st.form("case_report"):
        c1, c2 = st.columns([3, 1])
        report_case = c1.selectbox("Case", [c.name for c in cases], key="report_case")
        anonymise = c2.toggle("Anonymise", key="report_anonymise", help="Speakers as role + pseudonym; names masked.")
        if st.form_submit_button("Build report"):
            try:
                with read_session(engine()) as s:
                    st.session_state["case_report_docx"] = (report_case, build_case_report(
                        s, project, get_case(s, project, report_case), anonymise=anonymise))
            except Refused as exc:
                st.error(md_escape(str(exc)))
built = st.session_state.get("case_report_docx")
if built and not blind.active:
    st.download_button(f"Download the report on {built[0]} (.docx)", built[1], file_name=f"{built[0]} - case report.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       key="download_case_report", on_click="ignore")
