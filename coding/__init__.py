"""Segments, codings and memos: what researchers write onto the text."""
