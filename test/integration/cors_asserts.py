"""Shim for files not yet moved to cors_helpers.py: the old names of the
core tests' assertions and CGI scripts, re-exported from cors_helpers (the
one helper module).  New code imports cors_helpers."""
from cors_helpers import *  # noqa: F401,F403
from cors_helpers import (  # noqa: F401
    ACAC, ACAO, ACEH, CGI, expose_set, granted, no_5xx, not_granted)
from cors_helpers import cgi_script as _cgi  # noqa: F401
