"""Schema, sessions and migrations of the Kruispunt store."""
