"""Kruispunt, the Streamlit app: navigation, the open project and who is working, nothing else."""

import streamlit as st

from ui.identity import establish, sign_in_or_stop, visible_project_guids
from ui.state import current_project_guid, engine_or_stop, project_picker

st.set_page_config(page_title="Kruispunt", page_icon="✳️", layout="wide")

engine = engine_or_stop()
sign_in_or_stop(engine)  # a team server shows nothing before sign-in
project_picker(visible_project_guids(engine))
me = establish(engine, current_project_guid())

pages = [
    st.Page("pages/projects.py", title="Projects", default=True),  # the default page lives at /
    st.Page("pages/cases.py", title="Cases & attributes", url_path="cases"),
    st.Page("pages/documents.py", title="Documents", url_path="documents"),
    st.Page("pages/coding.py", title="Coding", url_path="coding"),
    st.Page("pages/retrieve.py", title="Retrieve", url_path="retrieve"),
    st.Page("pages/matrices.py", title="Matrices", url_path="matrices"),
    st.Page("pages/agreement.py", title="Agreement", url_path="agreement"),
    st.Page("pages/charts.py", title="Charts", url_path="charts"),
    st.Page("pages/framework.py", title="Framework matrix", url_path="framework"),
    st.Page("pages/stories.py", title="Stories", url_path="stories"),
    st.Page("pages/presentation.py", title="Presentation", url_path="presentation"),
    st.Page("pages/codebooks.py", title="Codebooks", url_path="codebooks"),
    st.Page("pages/memos.py", title="Memos", url_path="memos"),
]
if not me.role.can_read_transcripts():  # a facilitator presents masked quotes and reads no transcript
    pages = [p for p in pages if p.url_path in ("", "presentation")]
if current_project_guid() is None:
    st.sidebar.caption("Open or create a project to see its cases, documents and codebooks.")
# Presentation mode (present=1, set by the Presentation page) hides the page list from the focus group.
st.navigation(pages, position="hidden" if st.query_params.get("present") == "1" else "sidebar").run()
