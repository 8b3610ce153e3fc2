"""Streamlit glue shared by the pages: the engine, the open project and coder in the URL, safe text display."""
