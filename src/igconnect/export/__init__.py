"""`igconnect export stories`: collect story metrics, keep them in the archive, write CSV or JSONL.

The entry point is `igconnect.export.run.export_stories(runtime, options) -> ExportResult`.
"""
