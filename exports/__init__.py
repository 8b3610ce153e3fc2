"""Serialising Kruispunt data for people and other programs (tables, JSON, CSV, later Word/Excel)."""
