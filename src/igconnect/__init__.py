"""igconnect: connect Instagram professional accounts and export their story metrics."""

__version__ = "0.1.0"
