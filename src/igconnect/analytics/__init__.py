"""Derived story figures: rates, sequences, medians and value sources.

Pure functions over plain rows (dicts of metric values, datetimes): no I/O, no SQL, no typer/rich.
The export (`export/derived.py`) and the report (`report/`) feed them rows from the archive; the
formulas are documented in docs/export.md ("Derived columns").
"""
