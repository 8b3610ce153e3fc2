"""Agreement: how far two or more coders agree on chosen documents and codes, and where they disagree.

Computed on demand from the codings (analysis.agreement). Every figure states its unit; transcript text and
names are shown as text (st.text, data grids, md_escape), never as HTML or Markdown.
"""

import json

import pandas as pd
import streamlit as st

from analysis.agreement import coders_named, documents_coded_by_all
from analysis.agreement_units import CHARACTERS, DOCUMENTS, OVERLAP, SENTENCES, TURNS
from cases.documents import list_documents
from cases.projects import list_coders
from codebooks.service import code_tree, get_codebook, list_project_codebooks
from exports.agreement_report import (
    COEFFICIENTS,
    HEADINGS,
    agreement_record,
    build_agreement_docx,
    build_agreement_xlsx,
    coefficient_rows,
    facts,
)
from exports.xlsx_book import XLSX_MIME
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from ui.adjudication_view import adjudication_section
from ui.agreement_view import show_disagreements
from ui.analysis_cache import load_agreement
from ui.assignments_view import assignments_section
from ui.blind import close_if_blind
from ui.state import EMPTY, engine, md_escape, project_or_stop, show_flash

UNIT_LABELS = {CHARACTERS: "characters", SENTENCES: "sentences", TURNS: "turns",
               OVERLAP: "overlapping segments", DOCUMENTS: "document presence"}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

with read_session(engine()) as s:
    project = project_or_stop(s)
    close_if_blind(s, project, "the Agreement page")
    coders = [c.name for c in list_coders(s, project)]
    books = {b.key: b.name_en for b in list_project_codebooks(s, project)}
    documents = {str(d.guid): d.title for d in list_documents(s, project)}

st.title("Agreement")
show_flash()
st.caption("Compare two or more coders on the same documents: percent agreement, Cohen's κ (two coders), Fleiss' κ "
           "(three or more) and Krippendorff's α, per code, pooled over the codes and, in categorical mode, over "
           "the codes as categories of each unit. Guide: α ≥ .80 reliable, .667–.80 tentative.")
assignments_section(project, coders, documents)
st.subheader("Agreement")
if len(coders) < 2 or not books:
    st.info("Agreement needs two coders who coded the same documents, and a codebook.")
    st.stop()

c1, c2 = st.columns(2)
chosen_coders = c1.multiselect("Coders", coders, default=coders[:2], key="ag_coders", max_selections=8)
book = c2.selectbox("Codebook", list(books), format_func=books.get, key="ag_codebook")
with read_session(engine()) as s:
    codebook = get_codebook(s, project, book)
    codable = [row.code.key for row in code_tree(codebook) if row.code.codable]
    shared = [str(d.guid) for d in documents_coded_by_all(s, project, coders_named(s, project, chosen_coders))]
with st.form("agreement"):
    codes = st.multiselect("Codes (empty: every codable code of the codebook)", codable, key="ag_codes")
    chosen_documents = st.multiselect("Documents", list(documents), default=shared, format_func=documents.get,
                                      key=f"ag_documents_{'|'.join(chosen_coders)}",
                                      help="By default every document all chosen coders have coded.")
    u1, u2, u3 = st.columns([2, 1, 1])
    unit = u1.radio("Unit", list(UNIT_LABELS), format_func=UNIT_LABELS.get, horizontal=True, key="ag_unit")
    threshold = u2.number_input("Overlap at least (%)", 1, 100, 90, key="ag_threshold",
                                help="Only for overlapping segments: the share of both segments that must overlap.")
    categorical = u3.toggle("Categorical mode", key="ag_categorical",
                            help="Treat the codes as mutually exclusive categories of each unit.")
    submitted = st.form_submit_button("Compute agreement", type="primary")

if submitted:
    st.session_state["ag_request"] = {"coders": chosen_coders, "codes": codes, "documents": chosen_documents,
                                      "unit": f"{unit}:{threshold}" if unit == OVERLAP else unit,
                                      "categorical": categorical and unit != OVERLAP, "codebook": book}
request = st.session_state.get("ag_request")
if not request:
    st.stop()
try:
    with read_session(engine()) as s:
        revision = latest_event_id(s, project.guid)  # every change logs an event: the cache is never stale
    report, decided = load_agreement(str(project.guid), revision, tuple(request["coders"]), request["unit"],
                                     request["codebook"], tuple(request["codes"]), tuple(request["documents"]),
                                     request["categorical"])
except Refused as exc:
    st.error(md_escape(str(exc)))
    st.stop()

st.subheader("Figures")
st.dataframe(pd.DataFrame([[name, value] for name, value in facts(report)
                           if not name.startswith(("Formula", "Warning"))], columns=["", "value"]),
             hide_index=True, width="stretch", placeholder=EMPTY)
per_code_warnings = {key for key, row in report.per_code.items() if row.warning}
for warning in report.warnings:
    if warning.split(":", 1)[0] not in per_code_warnings:  # a code's own warning is in its row below
        st.warning(md_escape(warning))
if per_code_warnings:
    st.caption(f"{len(per_code_warnings)} code(s) are used on very few (or very many) units: their κ and α swing "
               "widely even when the coders rarely disagree (see 'note' in the table).")
rows = coefficient_rows(report)
not_applying = {"fleiss_kappa" if len(report.coders) == 2 else "cohen_kappa"}  # columns that do not apply here
if report.categorical is None or report.categorical.alpha_ordinal is None:
    not_applying.add("alpha_ordinal")
applies = [c for c in COEFFICIENTS if c not in not_applying]
frame = pd.DataFrame([{"code": r["code"], "N": r["n"], **{HEADINGS[c]: r.get(c) for c in applies},
                       "undefined because": r.get("undefined_reason") or "", "note": r.get("warning") or ""}
                      for r in rows])
st.dataframe(frame, hide_index=True, width="stretch", placeholder="undefined", key="ag_table")
with st.expander("Formulas"):
    for name, value in facts(report):
        if name.startswith("Formula"):
            st.text(f"{name[len('Formula: '):]}: {value}")

d1, d2, d3 = st.columns(3)
d1.download_button("Excel report", data=lambda: build_agreement_xlsx(report, project=project.name, decided=decided),
                   mime=XLSX_MIME,
                   file_name="agreement.xlsx", on_click="ignore", key="ag_xlsx", icon=":material/download:")
d2.download_button("Word report", data=lambda: build_agreement_docx(report, project=project.name, decided=decided),
                   mime=DOCX_MIME,
                   file_name="agreement.docx", on_click="ignore", key="ag_docx", icon=":material/download:")
d3.download_button("JSON", data=lambda: json.dumps(agreement_record(report, decided), ensure_ascii=False, indent=2),
                   mime="application/json", file_name="agreement.json", on_click="ignore", key="ag_json",
                   icon=":material/download:")

one_document = report.disagreements[0].document_guid if report.disagreements else None
if len(report.documents) == 1 and one_document is None and request["documents"]:
    one_document = request["documents"][0]
controls = adjudication_section(project, request, report, one_document if len(report.documents) == 1 else None)
show_disagreements(str(project.guid), report, controls)
