"""`igconnect report`: one self-contained HTML file per period, from the story archive alone.

- `model.py`: the dataclasses (options, per-account figures, result).
- `gather.py`: reads the archive (the export's rows and derived columns) into per-account figures.
- `charts.py`: the only module that imports matplotlib (the optional `igconnect[report]` extra).
- `html.py`: the page: every archive string escaped, charts inline, print styles, no network.
- `build.py`: `build_report(runtime, ReportOptions) -> ReportResult`, what the command calls.

Never calls Meta; never imports typer or rich.
"""
