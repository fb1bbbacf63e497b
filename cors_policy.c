/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_policy.c: a scope's settings, how scopes merge, and the decision
 * for one request - the browser's checks, made by the server beforehand.
 */
#include <apr_strings.h>
#include <stddef.h>
#include <string.h>

#include "cors_private.h"

#define DEFAULT_METHODS "GET, HEAD, POST"

/* A scope that sets nothing. */
static const cors_policy_t unset = {.engine = CORS_UNSET,
                                    .credentials = CORS_UNSET,
                                    .private_network = CORS_UNSET,
                                    .websocket = CORS_UNSET,
                                    .debug = CORS_UNSET};

cors_policy_t *cors_policy_make(apr_pool_t *p)
{
    cors_policy_t *pol = apr_palloc(p, sizeof(*pol));
    *pol = unset;
    return pol;
}

#define INHERIT(field, unset)                                                  \
    pol->field = add->field != (unset) ? add->field : base->field

/* A setting and the "file:line" of the directive that set it. */
#define INHERIT_AT(field, unset, setting)                                      \
    INHERIT(field, unset);                                                     \
    pol->where[setting] =                                                      \
        add->field != (unset) ? add->where[setting] : base->where[setting]

cors_policy_t *cors_policy_merge(apr_pool_t *p, const cors_policy_t *base,
                                 const cors_policy_t *add)
{
    cors_policy_t *pol;

    /* httpd merges per request for every section that applies, most of
     * which say nothing about CORS: compiled parts are immutable, so the
     * other side serves as it is. */
    if (!add->set) {
        return (cors_policy_t *)base;
    }
    if (!base->set) {
        return (cors_policy_t *)add;
    }
    pol = apr_palloc(p, sizeof(*pol));
    pol->set = 1;
    INHERIT_AT(engine, CORS_UNSET, CORS_SET_ENGINE);
    INHERIT_AT(credentials, CORS_UNSET, CORS_SET_CREDENTIALS);
    INHERIT_AT(private_network, CORS_UNSET, CORS_SET_PRIVATE_NETWORK);
    INHERIT_AT(max_age_str, NULL, CORS_SET_MAX_AGE);
    /* A child that sets a list replaces the parent's list. */
    INHERIT_AT(origins, NULL, CORS_SET_ORIGINS);
    pol->origin_values =
        add->origins ? add->origin_values : base->origin_values;
    INHERIT_AT(methods, NULL, CORS_SET_METHODS);
    INHERIT_AT(allow_headers, NULL, CORS_SET_ALLOW_HEADERS);
    INHERIT_AT(expose_headers, NULL, CORS_SET_EXPOSE_HEADERS);
    INHERIT_AT(websocket, CORS_UNSET, CORS_SET_WEBSOCKET);
    INHERIT(credentials_where, NULL);
    INHERIT_AT(debug, CORS_UNSET, CORS_SET_DEBUG);
    return pol;
}

int cors_policy_active(const cors_policy_t *pol)
{
    return pol && pol->engine != CORS_OFF && pol->origins &&
           !cors_origins_empty(pol->origins);
}

int cors_policy_credentials_conflict(const cors_policy_t *pol)
{
    return pol->credentials == CORS_ON && pol->origins &&
           cors_origins_any(pol->origins);
}

const char *cors_parse_max_age(const char *value, int *seconds)
{
    long n = 0;
    const char *c = value;
    if (!*c) {
        return "expected a number of seconds";
    }
    for (; *c; c++) {
        if (*c < '0' || *c > '9') {
            return "expected a number of seconds (0-86400)";
        }
        n = n * 10 + (*c - '0');
        if (n > 86400) {
            return "more than 86400 seconds (a day): browsers cap it lower "
                   "anyway (Chromium at 7200)";
        }
    }
    *seconds = (int)n;
    return NULL;
}

const char *cors_verdict_name(cors_verdict_t v)
{
    switch (v) {
    case CORS_ALLOWED:
        return "allowed";
    case CORS_DISALLOWED:
        return "disallowed";
    case CORS_PREFLIGHT_ALLOWED:
        return "preflight-allowed";
    case CORS_PREFLIGHT_REFUSED:
        return "preflight-refused";
    case CORS_NOT_CORS:
    default:
        return "not-cors";
    }
}

static void set_detail(cors_decision_t *d, const char *reason,
                       const char *detail, apr_size_t len)
{
    d->reason = reason;
    d->detail = detail;
    d->detail_len = len;
}

static void set_detail_str(cors_decision_t *d, const char *reason,
                           const char *detail)
{
    set_detail(d, reason, detail, detail ? strnlen(detail, 256) : 0);
}

/* Access-Control-Expose-Headers for an allowed actual request. */
static void decide_expose(const cors_policy_t *pol, int credentials,
                          cors_decision_t *d)
{
    if (!pol->expose_headers) {
        return;
    }
    if (cors_names_any(pol->expose_headers) && credentials) {
        /* With credentials browsers read "*" as a name: list the names the
         * response carries, once the handler has set them. */
        d->expose_from_response = 1;
    } else {
        d->expose_headers = cors_names_joined(pol->expose_headers);
    }
}

/* CORSDebug On: a preflight from an allowed origin, refused for its
 * method, a header or private network access, is answered with the
 * policy's real lists, so that the browser's console names the check that
 * failed.  The browser still fails it: the lists do not hold what was
 * asked.  No Max-Age: nothing of it is cached. */
static void debug_answer(const cors_policy_t *pol, const cors_request_t *req,
                         int credentials, cors_decision_t *d)
{
    const char *origin = req->origin;
    if (pol->debug != CORS_ON) {
        return;
    }
    d->debug_answer = 1;
    d->allow_origin = cors_origins_any(pol->origins) ? "*" : origin;
    d->allow_credentials = credentials ? "true" : NULL;
    d->allow_methods = !pol->methods ? DEFAULT_METHODS
                       : cors_names_any(pol->methods) && credentials
                           ? "GET, HEAD, POST"
                           : cors_names_joined(pol->methods);
    d->allow_headers =
        pol->allow_headers ? cors_names_joined(pol->allow_headers) : NULL;
}

/* The preflight checks, in the browser's order: origin, method, headers,
 * then private network access. */
static void decide_preflight(const cors_policy_t *pol,
                             const cors_request_t *req, int credentials,
                             apr_pool_t *pool, cors_decision_t *d)
{
    const char *m = req->request_method;
    const char *rule = NULL;
    apr_size_t nheaders = 0;
    cors_origin_result_t o;

    d->verdict = CORS_PREFLIGHT_REFUSED;
    d->vary = CORS_VARY_PREFLIGHT;

    o = cors_origins_match(pol->origins, req->origin, pool, &rule);
    if (o != CORS_ORIGIN_ALLOWED) {
        set_detail_str(d,
                       o == CORS_ORIGIN_MALFORMED ? "malformed Origin"
                                                  : "origin not allowed",
                       req->origin);
        return;
    }
    if (!cors_is_token(m, strlen(m))) {
        set_detail_str(d, "malformed Access-Control-Request-Method", m);
        debug_answer(pol, req, credentials, d);
        return;
    }
    if (!cors_method_is_safelisted(m) &&
        !(pol->methods && (cors_names_any(pol->methods) ||
                           cors_names_has(pol->methods, m, strlen(m))))) {
        set_detail_str(d, "method not allowed", m);
        debug_answer(pol, req, credentials, d);
        return;
    }
    if (req->request_headers) {
        const char *bad = NULL;
        apr_size_t bad_len = 0;
        switch (cors_request_headers_check(pol->allow_headers,
                                           req->request_headers, &nheaders,
                                           &bad, &bad_len)) {
        case CORS_HEADERS_MALFORMED:
            set_detail(d, "malformed Access-Control-Request-Headers", bad,
                       bad_len);
            debug_answer(pol, req, credentials, d);
            return;
        case CORS_HEADERS_DENIED:
            set_detail(d, "header not allowed", bad, bad_len);
            debug_answer(pol, req, credentials, d);
            return;
        case CORS_HEADERS_TOO_MANY:
            set_detail(d, "more request headers than the policy lists", bad,
                       bad_len);
            debug_answer(pol, req, credentials, d);
            return;
        case CORS_HEADERS_ALLOWED:
            break;
        }
    }
    if (req->request_private_network) {
        if (strcmp(req->request_private_network, "true")) {
            set_detail_str(d,
                           "malformed Access-Control-Request-Private-Network",
                           req->request_private_network);
            debug_answer(pol, req, credentials, d);
            return;
        }
        if (pol->private_network != CORS_ON) {
            set_detail_str(d, "private network access not allowed", NULL);
            debug_answer(pol, req, credentials, d);
            return;
        }
        d->allow_private_network = "true";
    }

    d->verdict = CORS_PREFLIGHT_ALLOWED;
    set_detail_str(d, rule, req->origin);
    d->allow_origin = cors_origins_any(pol->origins) ? "*" : req->origin;
    d->allow_credentials = credentials ? "true" : NULL;
    if (!pol->methods) {
        d->allow_methods = DEFAULT_METHODS;
    } else if (cors_names_any(pol->methods) && credentials) {
        d->allow_methods = m; /* "*" would be read as a method name */
    } else {
        d->allow_methods = cors_names_joined(pol->methods);
    }
    if (nheaders) {
        if (cors_names_any(pol->allow_headers)) {
            /* Never answer "*": the requested names, which passed the
             * check, so hold Authorization only where it is listed.  With
             * credentials browsers read "*" as a name; without, WebKit
             * (WebKitGTK 2.50) lets a cached "*" cover Authorization too,
             * which the Fetch standard and the policy never allow. */
            d->allow_headers =
                cors_request_headers_join(pool, req->request_headers);
        } else {
            d->allow_headers = cors_names_joined(pol->allow_headers);
        }
    }
    d->max_age = pol->max_age_str;
}

const cors_field_t cors_fields[] = {
    {"Access-Control-Allow-Origin", offsetof(cors_decision_t, allow_origin), 0,
     0, 0},
    {"Access-Control-Allow-Credentials",
     offsetof(cors_decision_t, allow_credentials), 0, 0, 0},
    {"Access-Control-Allow-Methods", offsetof(cors_decision_t, allow_methods),
     1, 0, 0},
    {"Access-Control-Allow-Headers", offsetof(cors_decision_t, allow_headers),
     1, 1, 0},
    {"Access-Control-Max-Age", offsetof(cors_decision_t, max_age), 0, 0, 0},
    {"Access-Control-Allow-Private-Network",
     offsetof(cors_decision_t, allow_private_network), 0, 0, 0},
    {"Access-Control-Expose-Headers", offsetof(cors_decision_t, expose_headers),
     1, 1, 1},
    {NULL, 0, 0, 0, 0}};

const cors_decision_t cors_not_cors = {.verdict = CORS_NOT_CORS,
                                       .vary = "Origin"};

const cors_decision_t *cors_decide(const cors_policy_t *pol,
                                   const cors_request_t *req, apr_pool_t *pool)
{
    int any = cors_origins_any(pol->origins);
    /* "*" and credentials never go together: where they meet through
     * merging, credentials lose, so credentialed requests fail safe. */
    int credentials = pol->credentials == CORS_ON && !any;
    cors_decision_t *d;

    if (!req->origin && !any) {
        return &cors_not_cors;
    }
    d = apr_pcalloc(pool, sizeof(*d));
    if (!req->origin) {
        /* The same answer for every origin: send it everywhere, so a cache
         * may serve it to any page. */
        d->verdict = CORS_NOT_CORS;
        d->allow_origin = "*";
        decide_expose(pol, 0, d);
        return d;
    }
    if (req->request_method && !strcmp(req->method, "OPTIONS")) {
        decide_preflight(pol, req, credentials, pool, d);
        return d;
    }

    if (any) {
        d->verdict = CORS_ALLOWED;
        set_detail_str(d, "*", req->origin);
        d->allow_origin = "*";
        decide_expose(pol, 0, d);
        return d;
    }
    d->vary = "Origin";
    switch (cors_origins_match(pol->origins, req->origin, pool, &d->reason)) {
    case CORS_ORIGIN_ALLOWED:
        d->verdict = CORS_ALLOWED;
        d->detail = req->origin;
        d->detail_len = strnlen(req->origin, 256);
        d->allow_origin = req->origin;
        d->allow_credentials = credentials ? "true" : NULL;
        decide_expose(pol, credentials, d);
        break;
    case CORS_ORIGIN_DENIED:
        d->verdict = CORS_DISALLOWED;
        set_detail_str(d, "origin not allowed", req->origin);
        break;
    case CORS_ORIGIN_MALFORMED:
        d->verdict = CORS_DISALLOWED;
        set_detail_str(d, "malformed Origin", req->origin);
        break;
    }
    return d;
}
