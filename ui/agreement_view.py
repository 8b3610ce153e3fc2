"""The disagreement view: each place two coders disagree, their spans side by side in the turn, with a link into
the transcript; filterable by code and coder. Spans are transcript text: shown with st.text, never as Markdown."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analysis.agreement import AgreementReport, Disagreement
from ui.links import coding_link, show_link
from ui.state import md_escape

PER_PAGE = 25


def show_disagreements(project_guid: str, report: AgreementReport,
                       controls: Callable[[Disagreement], None] | None = None) -> None:
    """The list; `controls` adds what an adjudicator does with each disagreement."""
    st.subheader(f"Disagreements ({len(report.disagreements)})")
    if not report.disagreements:
        st.write("The coders agree on every unit compared.")
        return
    f1, f2 = st.columns(2)
    codes = sorted({d.code for d in report.disagreements})
    by_code = f1.multiselect("Code", codes, key="ag_filter_codes", placeholder="every code")
    by_coder = f2.multiselect("Coded by", report.coders, key="ag_filter_coders", placeholder="any coder")
    shown = [d for d in report.disagreements
             if (not by_code or d.code in by_code) and (not by_coder or set(by_coder) & set(d.coded_by))]
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = st.number_input(f"Page (of {pages})", 1, pages, 1, key="ag_page") if pages > 1 else 1
    for d in shown[(page - 1) * PER_PAGE:page * PER_PAGE]:
        with st.container(border=True):
            where = f"#{d.number} · {d.document}" + (f" · turn {d.turn}" if d.turn is not None else "")
            st.markdown(f"**{md_escape(where)}** · {md_escape(d.code)}")
            where_text = d.text if len(d.text) <= 300 else d.text[:300] + "…"
            st.caption(md_escape(f"coded by {', '.join(d.coded_by)}; not by {', '.join(d.not_coded_by)} · where they "
                                 f"differ ({d.start}–{d.end}): {where_text}"))
            columns = st.columns(len(report.coders))
            for column, coder in zip(columns, report.coders):
                column.markdown(f"**{md_escape(coder)}**")
                spans = [s for s in d.spans if s.coder == coder]
                if not spans:
                    column.caption("nothing with this code here")
                for span in spans:
                    column.text(f"[{span.start}–{span.end}] {span.text}")
            show_link(coding_link(project_guid, d.document_guid, d.ordinal))
            if controls is not None:
                controls(d)
