"""Coding: read a transcript, select a span, apply codes; edit, delete and undo; memos beside the text.

The page's code is `ui.coding_view.coding_page`: a module is compiled once per process, a page file on every run
under AppTest (see bench/README.md, coding section).
"""

from ui.coding_view import coding_page

coding_page()
