"""Charts: code frequencies per case, each case's value-cycle profile, co-occurrence, attribute groups compared.

Display only (plotly); the numbers come from the same matrix engine as the Matrices page and are cached per
project revision (the latest event id), so a new coding shows on the next run.
"""

import streamlit as st

from analysis.cooccurrence import UNITS, CooccurrenceSpec
from analysis.matrix import MatrixSpec
from analysis.matrix_scope import Scope
from analysis.matrix_view import CODER_SCOPES, matrix_options
from exports.charts import (
    attribute_comparison_figure,
    code_frequency_figure,
    cooccurrence_figure,
    story_reach_figure,
    value_cycle_figure,
)
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from ui.analysis_cache import load_cooccurrence, load_matrix, load_profile, load_story_reach
from ui.blind import close_if_blind
from ui.depth import depth_choice
from ui.state import engine, md_escape, project_or_stop

with read_session(engine()) as s:
    project = project_or_stop(s)
    close_if_blind(s, project, "the Charts page")
    options = matrix_options(s, project)
    revision = latest_event_id(s, project.guid)
project_guid = str(project.guid)

st.title("Charts")
if not options.codebooks:
    st.info("This project has no codebooks yet: adopt one on the Codebooks page.")
    st.stop()





codebook_names = {c.key: c.name for c in options.codebooks}
keys = list(codebook_names)
default_codebook = keys.index("vc") if "vc" in keys else 0
scope_choice = st.columns(3)[0].selectbox("Coders", ["primary", "all"], key="charts_coders",
                                         format_func=CODER_SCOPES.get)
scope = Scope(coders=scope_choice)


def show(build, draw, key: str) -> None:  # type: ignore[no-untyped-def]
    """Build the data (a refusal is shown, not raised) and draw it."""
    try:
        data = build()
    except Refused as exc:
        st.error(md_escape(str(exc)))
        return
    st.plotly_chart(draw(data), key=key, width="stretch")


frequencies, profile, cooccurrence, groups, stories = st.tabs(
    ["Code frequencies", "Value-cycle profile", "Co-occurrence", "Attribute groups", "Stories"])

with frequencies:
    f1, f2 = st.columns(2)
    codebook = f1.selectbox("Codebook", keys, index=default_codebook, key="freq_codebook",
                            format_func=codebook_names.get)
    option = options.codebook(codebook)
    depth = depth_choice(f2, "Depth", "freq_depth", option.max_depth if option else 1)
    show(lambda: load_matrix(project_guid, revision, MatrixSpec(rows="cases", codebook=codebook, depth=depth,
                                                                scope=scope)),
         code_frequency_figure, "freq_chart")

with profile:
    codebook = st.selectbox("Value-cycle codebook", keys, index=default_codebook, key="profile_codebook",
                            format_func=codebook_names.get)
    st.caption("Each case's coded segments per value cycle, in ladder order from immediate to transformative; "
               "the legend names each cycle's horizon (short, medium or long term).")
    show(lambda: load_profile(project_guid, revision, codebook, scope), lambda p: value_cycle_figure(*p),
         "profile_chart")

with cooccurrence:
    o1, o2, o3 = st.columns(3)
    first = o1.selectbox("Rows", keys, index=default_codebook, key="cochart_codebook", format_func=codebook_names.get)
    second = o2.selectbox("Columns", keys, index=default_codebook, key="cochart_codebook2",
                          format_func=codebook_names.get)
    unit = o3.selectbox("Together in", UNITS, key="cochart_unit")
    spec = CooccurrenceSpec(codebook=first, codebook2=second, depth=1, depth2=1, unit=unit, scope=scope)
    try:
        co = load_cooccurrence(project_guid, revision, spec)
    except Refused as exc:
        st.error(md_escape(str(exc)))
    else:
        st.caption(md_escape(co.note))
        st.plotly_chart(cooccurrence_figure(co), key="cochart", width="stretch")

with groups:
    if not options.attributes:
        st.info("No case attributes yet: add some (e.g. country, sector) on the Cases & attributes page.")
    else:
        g1, g2 = st.columns(2)
        attribute = g1.selectbox("Case attribute", options.attributes, key="groups_attribute")
        codebook = g2.selectbox("Codebook", keys, index=default_codebook, key="groups_codebook",
                                format_func=codebook_names.get)
        st.caption("Per group, each code's share of the group's coded segments (row %), so groups of unequal "
                   "size compare.")
        show(lambda: load_matrix(project_guid, revision, MatrixSpec(rows=f"attribute:case:{attribute}",
                                                                    codebook=codebook, depth=1, scope=scope)),
             lambda m: attribute_comparison_figure(m, title=f"{attribute} groups compared"), "groups_chart")

with stories:
    st.caption("How far do stories get: each case's value-creation stories, stacked by the highest cycle on the "
               "ladder each one reaches (written on the Stories page).")
    try:
        reach, cycles = load_story_reach(project_guid, revision)
    except Refused as exc:
        st.info(md_escape(str(exc)))
    else:
        if any(any(row.values()) for row in reach.values()):
            st.plotly_chart(story_reach_figure(reach, cycles), key="stories_chart", width="stretch")
        else:
            st.info("No value-creation stories reach a cycle yet: write them on the Stories page.")
