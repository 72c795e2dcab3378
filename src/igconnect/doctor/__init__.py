"""`igconnect doctor`: checks that walk each connection's prerequisites and say how to fix them.

Entry points: `run_doctor` (runner.py), `client_checklist` (checklist.py), `CHECKS` (model.py).
"""

from __future__ import annotations
