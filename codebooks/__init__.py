"""Codebooks: built-in frameworks, project copies and their editing."""
