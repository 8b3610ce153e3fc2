"""Member validation with the people who were interviewed: sessions, their feedback on cells and codes, the
anonymised presentation view."""
