"""Shim for files not yet moved to cors_helpers.py: the old helper names of
the preflight, auth, h2 and observability tests, re-exported from
cors_helpers (the one helper module).  New code imports cors_helpers."""
from cors_helpers import *  # noqa: F401,F403
from cors_helpers import (  # noqa: F401
    ORIGIN, OTHER, PREFLIGHT_VARY, PRINTENV_CGI, SLOW, H2Resp, ac_headers,
    assert_no_ac, assert_preflight_allowed, assert_preflight_refused, body_of,
    describe, h2_request, hget, hone, make_htpasswd, preflight,
    preflight_headers, read_lines, recorder_cgi, shared_dir, split_responses,
    vary_tokens, wait_for)
