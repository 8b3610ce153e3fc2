"""Retrieve: coded segments for chosen codes with their turns, and keyword-in-context text search.

Transcript text is untrusted: it is shown through md_escape (or in a data grid), never as HTML.
"""

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from cases.documents import turn_label, turn_number
from coding.retrieval import group_by_code, marked_context, retrieve_options, retrieve_segments
from coding.search import CODE_UNITS, add_lemma_pair, code_hits, list_lemma_pairs, search_text
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.blind import my_blind_scope
from ui.links import coding_link as transcript_link
from ui.identity import refusal
from ui.links import show_link
from ui.segment_story import add_to_story_form
from ui.state import EMPTY, actor, engine, flash, md_escape, project_or_stop, show_flash, write_retrying

MAX_SEGMENTS_PER_CODE = 200
MAX_HITS = 500

with read_session(engine()) as s:
    project = project_or_stop(s)
    options = retrieve_options(s, project)
    pairs = [(p.language, p.form, p.lemma) for p in list_lemma_pairs(s, project)]

st.title("Retrieve")
show_flash()
codes = {c.key: c for c in options.codes}
documents = dict(options.documents)
persons = dict(options.persons)


def code_name(key: str) -> str:
    code = codes.get(key)
    return f"{code.label} · {key}" if code else key


def coding_link(document_guid: str, turn: int | None) -> dict[str, str]:
    return transcript_link(str(project.guid), document_guid, turn)


# --- coded segments -------------------------------------------------------------------------------

st.header("Coded segments")
chosen = st.multiselect(
    "Codes", list(codes), key="retrieve_codes", placeholder="Choose codes",
    format_func=code_name)
include = st.toggle("Include sub-codes", value=True, key="retrieve_subtrees")
c1, c2, c3 = st.columns(3)
case = c1.selectbox("Case", [None, *options.cases], format_func=lambda v: v or "all cases", key="retrieve_case")
document = c2.selectbox("Document", [None, *documents], format_func=lambda g: documents.get(g, "all documents"),
                        key="retrieve_document")
coder = c3.selectbox("Coder", [None, *options.coders], format_func=lambda v: v or "all coders", key="retrieve_coder")
c4, c5, c6 = st.columns(3)
role = c4.selectbox("Speaker role", [None, *options.roles], format_func=lambda v: v or "any role",
                    key="retrieve_role")
person = c5.selectbox("Person", [None, *persons], format_func=lambda g: persons.get(g, "anyone"),
                      key="retrieve_person")
target = c6.selectbox("Attribute of", [None, *options.attributes], format_func=lambda v: v or "no attribute filter",
                      key="retrieve_attr_target")
attribute = None
if target:
    a1, a2 = st.columns(2)
    names = options.attributes[target]
    name = a1.selectbox("Attribute", list(names), key="retrieve_attr_name")
    value = a2.selectbox("Value", names[name], format_func=str, key="retrieve_attr_value")
    attribute = (target, name, value)

if not chosen:
    st.info("Choose one or more codes to see their coded segments.")
else:
    try:
        with read_session(engine()) as s:
            rows = retrieve_segments(s, project, code_keys=chosen, include_subtrees=include, case=case,
                                     document=document, attribute=attribute, speaker_role=role, person=person,
                                     coder=coder, blind=my_blind_scope(s, project))
    except Refused as exc:
        st.error(md_escape(str(exc)))
        rows = None
    if rows is not None:
        st.caption(f"{len(rows)} coded segment(s)")
        for key, members in group_by_code(rows, chosen):
            st.subheader(f"{md_escape(code_name(key))} · {len(members)}")
            if not members:
                st.caption("No coded segments for this code with these filters.")
            current_case = object()
            for row in members[:MAX_SEGMENTS_PER_CODE]:
                if row.case != current_case:
                    current_case = row.case
                    st.markdown(f"##### {md_escape(row.case or 'no case')}")
                with st.container(border=True):
                    # "turn 2 · R · respondent (R1)"; a paragraph without a speaker (a PDF's) is "p. 3 · ¶5" alone
                    who = "" if row.speaker is None else f" · {md_escape(row.speaker)} · {md_escape(row.role)}"
                    if row.pseudonym:
                        who += f" ({md_escape(row.pseudonym)})"
                    st.markdown(f"**{md_escape(row.document)}** · {md_escape(row.citation(document=False))}{who} · "
                                f"coded by {md_escape(row.coder)} · {row.start}–{row.end} · "
                                f"{md_escape(', '.join(row.codes))}")
                    st.markdown(marked_context(row, md_escape))
                    show_link(coding_link(str(row.document_guid), row.turn))
            if len(members) > MAX_SEGMENTS_PER_CODE:
                st.caption(f"… and {len(members) - MAX_SEGMENTS_PER_CODE} more: narrow the filters.")
        if rows and refusal(Permission.CODE) is None:
            with st.expander("Add a retrieved segment to a value-creation story"):
                shown_rows = {r.segment: r for r in rows}
                add_to_story_form(project, actor(Permission.CODE), {
                    f"{r.document} · {r.citation(document=False)} · {r.start}–{r.end} · “{r.text[:50]}”": str(guid)
                    for guid, r in list(shown_rows.items())[:MAX_SEGMENTS_PER_CODE]}, "retrieve_story", st.rerun)

# --- text search ----------------------------------------------------------------------------------

st.header("Search text")
q1, q2, q3 = st.columns([3, 2, 2])
query = q1.text_input("Search for", key="search_query", placeholder="e.g. leren, samen werken")
search_case = q2.selectbox("Case", [None, *options.cases], format_func=lambda v: v or "all cases", key="search_case")
search_document = q3.selectbox("Document", [None, *documents],
                               format_func=lambda g: documents.get(g, "all documents"), key="search_document")
use_lemmas = st.toggle("Match lemmas (leren also finds leerde, leerden)", value=True, key="search_lemmas")

if query.strip():
    try:
        with read_session(engine()) as s:
            hits = search_text(s, project, query, lemma=use_lemmas, case=search_case, document=search_document,
                               limit=MAX_HITS)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        hits = []
    st.caption(f"{len(hits)} hit(s)" + (f" (the first {MAX_HITS})" if len(hits) == MAX_HITS else ""))
    if hits:
        frame = pd.DataFrame([{
            "#": i, "open": f"/coding?{urlencode(coding_link(str(h.document_guid), h.turn))}", "case": h.case,
            "document": h.document, "turn": turn_number(h.turn), "speaker": h.speaker, "left": " ".join(h.left.split()),
            "match": h.text, "right": " ".join(h.right.split()),
        } for i, h in enumerate(hits, start=1)])
        st.dataframe(frame, hide_index=True, width="stretch", key="search_hits",
                     column_config={"open": st.column_config.LinkColumn("open", display_text="open"),
                                    "left": st.column_config.TextColumn("left", alignment="right")}, placeholder=EMPTY)
        by_ref = {h.ref: (i, h) for i, h in enumerate(hits, start=1)}
        codable = [k for k, c in codes.items() if c.codable]
        with st.form("code_hits"):
            st.markdown("**Code hits**")
            picked = st.multiselect("Hits to code", list(by_ref), key="code_hits_pick",
                                    format_func=lambda r: f"#{by_ref[r][0]} {by_ref[r][1].document} · "
                                                          f"{turn_label(by_ref[r][1].turn)}: {by_ref[r][1].text}")
            every = st.checkbox(f"All {len(hits)} hit(s) shown", key="code_hits_all")
            f1, f2 = st.columns(2)
            hit_codes = f1.multiselect("Codes to apply", codable, format_func=code_name, key="code_hits_codes")
            unit = f2.radio("Code", CODE_UNITS, horizontal=True, key="code_hits_unit",
                            format_func={"match": "the match", "sentence": "its sentence", "turn": "its turn"}.get)
            if st.form_submit_button("Code selected hits", type="primary"):
                selected = hits if every else [by_ref[r][1] for r in picked if r in by_ref]
                try:
                    result = write_retrying(lambda s: code_hits(s, project, selected, hit_codes, coder=actor(Permission.CODE),
                                                                unit=unit, actor=actor(Permission.CODE)))
                except Refused as exc:
                    st.error(md_escape(str(exc)))
                else:
                    flash(f"Coded {result.created} span(s)"
                          + (f"; {result.skipped} already coded by you." if result.skipped else "."))
                    st.rerun()

with st.expander(f"Project lemma pairs ({len(pairs)})"):
    st.caption("Where spaCy's tables miss a form, tell the search which lemma it belongs to "
               "(e.g. Dutch geleerd → leren).")
    if pairs:
        st.dataframe(pd.DataFrame(pairs, columns=["language", "form", "lemma"]), hide_index=True, placeholder=EMPTY)
    with st.form("lemma_pair"):
        l1, l2, l3 = st.columns(3)
        language = l1.selectbox("Language", ["nl", "de", "en"], key="pair_language")
        form = l2.text_input("Word form", key="pair_form", placeholder="geleerd")
        lemma = l3.text_input("Lemma", key="pair_lemma", placeholder="leren")
        if st.form_submit_button("Add lemma pair"):
            try:
                pair = write_retrying(lambda s: add_lemma_pair(s, project, language, form, lemma,
                                                               actor=actor(Permission.BUILD)))
            except Refused as exc:
                st.error(md_escape(str(exc)))
            else:
                flash(f"Lemma pair added: {pair.form} → {pair.lemma} ({pair.language}).")
                st.rerun()
