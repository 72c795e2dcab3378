"""The state store: what igconnect knows about an agency, in one SQLite file in the data dir.

Connections with the accounts and Pages they reach, trackers and their assignments, statuses and when
each was last confirmed, and the last rate-limit usage Meta reported. config.toml keeps only the
settings a person sets. The store is written in transactions, so several processes can change it at
once and a killed one leaves it consistent.

May import: errors, fileio, paths (nothing of the domains that use it).
"""
