"""What is derived from the codings on demand and never stored: matrices, co-occurrence, the tidy table;
and what analysts write onto the cells those derivations show (framework cells, ratings, pinned quotes)."""
