"""Codesheets: reading bytes, parsing the 61 questions, deriving ATOP variables."""
