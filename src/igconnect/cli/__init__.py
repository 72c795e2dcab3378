"""The command line: thin typer adapters over the core. The only package that imports typer or rich."""
