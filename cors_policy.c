/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_policy.c: a scope's settings, how scopes merge, and the decision
 * for one request - the browser's checks, made by the server beforehand.
 */
#include <apr_strings.h>
#include <apr_tables.h>
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

/* The settings a rule may hold besides its origins: the field, its unset
 * value and its index in where[].  Overriding, resolving and the test of a
 * child that sets any of them read this one list. */
#define RULE_SETTINGS(X)                                                       \
    X(credentials, CORS_UNSET, CORS_SET_CREDENTIALS)                           \
    X(private_network, CORS_UNSET, CORS_SET_PRIVATE_NETWORK)                   \
    X(max_age_str, NULL, CORS_SET_MAX_AGE)                                     \
    X(methods, NULL, CORS_SET_METHODS)                                         \
    X(allow_headers, NULL, CORS_SET_ALLOW_HEADERS)                             \
    X(expose_headers, NULL, CORS_SET_EXPOSE_HEADERS)                           \
    X(websocket, CORS_UNSET, CORS_SET_WEBSOCKET)                               \
    X(debug, CORS_UNSET, CORS_SET_DEBUG)

/* Sets every setting of out that from sets (with its "file:line"). */
#define TAKE_SET(f, u, setting)                                                \
    if (from->f != (u)) {                                                      \
        out->f = from->f;                                                      \
        out->where[setting] = from->where[setting];                            \
    }
/* Sets every setting out leaves unset as from has it. */
#define TAKE_UNSET(f, u, setting)                                              \
    if (out->f == (u)) {                                                       \
        out->f = from->f;                                                      \
        out->where[setting] = from->where[setting];                            \
    }
#define IS_SET(f, u, setting) || from->f != (u)

static int sets_rule_settings(const cors_policy_t *from)
{
    return 0 RULE_SETTINGS(IS_SET);
}

/* Inherited rules under a child scope that sets some of their settings:
 * the nearest configuration wins, so the child's override every rule's
 * own.  A child that sets none shares the list. */
static apr_array_header_t *rules_override(apr_pool_t *p,
                                          apr_array_header_t *rules,
                                          const cors_policy_t *from)
{
    apr_array_header_t *list;
    int i;
    if (!sets_rule_settings(from)) {
        return rules;
    }
    list = apr_array_make(p, rules->nelts, sizeof(cors_policy_t *));
    for (i = 0; i < rules->nelts; i++) {
        const cors_policy_t *r = APR_ARRAY_IDX(rules, i, cors_policy_t *);
        cors_policy_t *out = apr_pmemdup(p, r, sizeof(*r));
        RULE_SETTINGS(TAKE_SET)
        APR_ARRAY_PUSH(list, cors_policy_t *) = out;
    }
    return list;
}

/* Two scopes that both set something: a new policy.  Apart from
 * cors_policy_merge() so that its common answers do not pay for this
 * function's registers and stack (httpd merges twice per request). */
static CORS_NOINLINE cors_policy_t *
merge_both(apr_pool_t *p, const cors_policy_t *base, const cors_policy_t *add)
{
    cors_policy_t *pol = apr_palloc(p, sizeof(*pol));
    pol->set = 1;
    pol->name = NULL; /* scopes merge; rules do not */
    pol->s3 = 0;
    INHERIT_AT(engine, CORS_UNSET, CORS_SET_ENGINE);
    INHERIT_AT(credentials, CORS_UNSET, CORS_SET_CREDENTIALS);
    INHERIT_AT(private_network, CORS_UNSET, CORS_SET_PRIVATE_NETWORK);
    INHERIT_AT(max_age_str, NULL, CORS_SET_MAX_AGE);
    /* A child that sets origins or rules replaces the parent's origins
     * and rules; a child that sets other settings only keeps the parent's
     * rules, and its settings override theirs. */
    if (add->origins || add->rules) {
        pol->origins = add->origins;
        pol->origin_values = add->origin_values;
        pol->where[CORS_SET_ORIGINS] = add->where[CORS_SET_ORIGINS];
        pol->rules = add->rules;
        pol->rules_vary = add->rules_vary;
    } else {
        pol->origins = base->origins;
        pol->origin_values = base->origin_values;
        pol->where[CORS_SET_ORIGINS] = base->where[CORS_SET_ORIGINS];
        pol->rules = base->rules ? rules_override(p, base->rules, add) : NULL;
        pol->rules_vary = base->rules_vary;
    }
    INHERIT_AT(methods, NULL, CORS_SET_METHODS);
    INHERIT_AT(allow_headers, NULL, CORS_SET_ALLOW_HEADERS);
    INHERIT_AT(expose_headers, NULL, CORS_SET_EXPOSE_HEADERS);
    INHERIT_AT(websocket, CORS_UNSET, CORS_SET_WEBSOCKET);
    INHERIT(credentials_where, NULL);
    INHERIT_AT(debug, CORS_UNSET, CORS_SET_DEBUG);
    return pol;
}

cors_policy_t *cors_policy_merge(apr_pool_t *p, const cors_policy_t *base,
                                 const cors_policy_t *add)
{
    /* httpd merges per request for every section that applies, most of
     * which say nothing about CORS: compiled parts are immutable, so the
     * other side serves as it is. */
    if (!add->set) {
        return (cors_policy_t *)base;
    }
    if (!base->set) {
        return (cors_policy_t *)add;
    }
    return merge_both(p, base, add);
}

static const char *where_or(const char *where)
{
    return where ? where : "the configuration";
}

/* Whether one policy or rule holds "*" and credentials (an S3 rule never
 * asks for them). */
static int star_with_credentials(const cors_policy_t *pol, int credentials)
{
    return credentials == CORS_ON && !pol->s3 && pol->origins &&
           cors_origins_any(pol->origins);
}

const char *cors_policy_credentials_conflict(const cors_policy_t *pol)
{
    int i;
    if (!pol->rules) {
        return star_with_credentials(pol, pol->credentials)
                   ? where_or(pol->credentials_where)
                   : NULL;
    }
    for (i = 0; i < pol->rules->nelts; i++) {
        const cors_policy_t *r = APR_ARRAY_IDX(pol->rules, i, cors_policy_t *);
        if (r->credentials == CORS_UNSET
                ? star_with_credentials(r, pol->credentials)
                : star_with_credentials(r, r->credentials)) {
            return where_or(r->credentials == CORS_UNSET
                                ? pol->credentials_where
                                : r->credentials_where);
        }
    }
    return NULL;
}

int cors_policy_websocket(const cors_policy_t *pol)
{
    int i;
    if (pol->websocket == CORS_ON || !pol->rules) {
        return pol->websocket == CORS_ON;
    }
    for (i = 0; i < pol->rules->nelts; i++) {
        if (APR_ARRAY_IDX(pol->rules, i, cors_policy_t *)->websocket ==
            CORS_ON) {
            return 1;
        }
    }
    return 0;
}

const char *cors_policy_add_rule(apr_pool_t *p, cors_policy_t *scope,
                                 cors_policy_t *rule)
{
    if (scope->origins) {
        return "origins are set outside the rules of this scope: put "
               "CORSAllowOrigin and CORSAllowOriginMatch inside a <CORSRule>";
    }
    if (!rule->origins || cors_origins_empty(rule->origins)) {
        return "a rule needs at least one origin: add CORSAllowOrigin or "
               "CORSAllowOriginMatch to it";
    }
    if (!scope->rules) {
        scope->rules = apr_array_make(p, 4, sizeof(cors_policy_t *));
        scope->where[CORS_SET_ORIGINS] = rule->where[CORS_SET_ORIGINS];
    }
    APR_ARRAY_PUSH(scope->rules, cors_policy_t *) = rule;
    /* An S3 rule echoes the origins it lists even beside "*". */
    scope->rules_vary |= !cors_origins_any(rule->origins) ||
                         (rule->s3 && cors_origins_count(rule->origins) > 1);
    scope->set = 1;
    return NULL;
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

const char *const cors_verdict_names[CORS_VERDICTS] = {
    "not-cors", "allowed", "disallowed", "preflight-allowed",
    "preflight-refused"};

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

/* The request's Origin as the detail: olen is its cors_origin_len(), of
 * which 256 bytes at most are kept. */
static void set_detail_origin(cors_decision_t *d, const char *reason,
                              const char *origin, apr_size_t olen)
{
    set_detail(d, reason, origin, olen < 256 ? olen : 256);
}

/* Access-Control-Expose-Headers for an allowed actual request. */
static void decide_expose(const cors_policy_t *pol, int credentials,
                          cors_decision_t *d)
{
    if (!pol->expose_headers) {
        return;
    }
    if (credentials && cors_names_any(pol->expose_headers)) {
        /* With credentials browsers read "*" as a name: list the names the
         * response carries, once the handler has set them. */
        d->expose_from_response = 1;
    } else {
        d->expose_headers = cors_names_joined(pol->expose_headers);
    }
}

/* Matches the Origin against a policy's (or a rule's) origins; *star says
 * whether they hold "*" (cors_origins_any) on entry, and whether the answer
 * is "*" on return.  An S3 rule answers "*" only where no listed
 * origin matched: a listed one is echoed, with credentials. */
static cors_origin_result_t match_origin(const cors_policy_t *pol,
                                         const char *origin, apr_size_t len,
                                         apr_pool_t *pool, const char **how,
                                         int *star)
{
    cors_origin_result_t o;
    if (*star && !pol->s3) {
        *how = "*";
        return CORS_ORIGIN_ALLOWED;
    }
    o = cors_origins_lookup(pol->origins, origin, len, pool, how);
    if (!*star) {
        return o;
    }
    if (o == CORS_ORIGIN_ALLOWED) {
        *star = 0;
        return o;
    }
    *how = "*";
    return CORS_ORIGIN_ALLOWED;
}

/* Whether the answer carries credentials: "*" and credentials never go
 * together (where they meet through merging, credentials lose, so
 * credentialed requests fail safe); an S3 rule sends them for every origin
 * it lists, as S3 and HCP do. */
static int credentials_of(const cors_policy_t *pol, int star)
{
    return !star && (pol->s3 || pol->credentials == CORS_ON);
}

/* Whether a rule lists a method: its CORSAllowMethods (or "*"), else GET,
 * HEAD and POST.  Nothing is implied beyond what it lists, as on S3. */
static int rule_lists_method(const cors_policy_t *rule, const char *m)
{
    if (!rule->methods) {
        return cors_method_is_safelisted(m);
    }
    return cors_names_any(rule->methods) ||
           cors_names_has(rule->methods, m, strlen(m));
}

/* CORSDebug On: a preflight from an allowed origin, refused for its
 * method, a header or private network access, is answered with the
 * policy's real lists, so that the browser's console names the check that
 * failed.  The browser still fails it: the lists do not hold what was
 * asked.  No Max-Age: nothing of it is cached. */
static void debug_answer(const cors_policy_t *pol, const cors_request_t *req,
                         int star, int credentials, cors_decision_t *d)
{
    if (pol->debug != CORS_ON) {
        return;
    }
    d->debug_answer = 1;
    d->allow_origin = star ? "*" : req->origin;
    d->allow_credentials = credentials ? "true" : NULL;
    d->allow_methods = !pol->methods ? DEFAULT_METHODS
                       : cors_names_any(pol->methods) && credentials
                           ? "GET, HEAD, POST"
                           : cors_names_joined(pol->methods);
    d->allow_headers =
        pol->allow_headers ? cors_names_joined(pol->allow_headers) : NULL;
}

/* The preflight checks past the origin, in the browser's order: method,
 * headers, then private network access.  In a scope with rules
 * (rule != 0) a method counts only where the rule lists it. */
static void decide_preflight(const cors_policy_t *pol,
                             const cors_request_t *req, apr_size_t olen,
                             int star, const char *how, int rule,
                             apr_pool_t *pool, cors_decision_t *d)
{
    const char *m = req->request_method;
    int credentials = credentials_of(pol, star);
    apr_size_t nheaders = 0;

    d->verdict = CORS_PREFLIGHT_REFUSED;
    d->vary = CORS_VARY_PREFLIGHT;
    if (!cors_is_token(m, strlen(m))) {
        set_detail_str(d, "malformed Access-Control-Request-Method", m);
        debug_answer(pol, req, star, credentials, d);
        return;
    }
    if (rule ? !rule_lists_method(pol, m)
             : !cors_method_is_safelisted(m) &&
                   !(pol->methods &&
                     (cors_names_any(pol->methods) ||
                      cors_names_has(pol->methods, m, strlen(m))))) {
        set_detail_str(d, "method not allowed", m);
        debug_answer(pol, req, star, credentials, d);
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
            debug_answer(pol, req, star, credentials, d);
            return;
        case CORS_HEADERS_DENIED:
            set_detail(d, "header not allowed", bad, bad_len);
            debug_answer(pol, req, star, credentials, d);
            return;
        case CORS_HEADERS_TOO_MANY:
            set_detail(d, "more request headers than the policy lists", bad,
                       bad_len);
            debug_answer(pol, req, star, credentials, d);
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
            debug_answer(pol, req, star, credentials, d);
            return;
        }
        if (pol->private_network != CORS_ON) {
            set_detail_str(d, "private network access not allowed", NULL);
            debug_answer(pol, req, star, credentials, d);
            return;
        }
        d->allow_private_network = "true";
    }

    d->verdict = CORS_PREFLIGHT_ALLOWED;
    set_detail_origin(d, how, req->origin, olen);
    d->allow_origin = star ? "*" : req->origin;
    d->allow_credentials = credentials ? "true" : NULL;
    if (!pol->methods) {
        d->allow_methods = DEFAULT_METHODS;
    } else if (cors_names_any(pol->methods) && credentials) {
        d->allow_methods = m; /* "*" would be read as a method name */
    } else {
        d->allow_methods = cors_names_joined(pol->methods);
    }
    if (nheaders) {
        if (cors_names_wide(pol->allow_headers)) {
            /* Never answer "*" or a pattern: the requested names, which
             * passed the check, so hold Authorization only where it is
             * allowed.  With credentials browsers read "*" as a name;
             * without, WebKit (WebKitGTK 2.50) lets a cached "*" cover
             * Authorization too, which the Fetch standard and the policy
             * never allow. */
            d->allow_headers =
                cors_request_headers_join(pool, req->request_headers);
        } else {
            d->allow_headers = cors_names_joined(pol->allow_headers);
        }
    }
    d->max_age = pol->max_age_str;
}

/* An actual request from an origin the policy (or rule) allows. */
static CORS_HOT_INLINE void decide_allowed(const cors_policy_t *pol,
                                           const cors_request_t *req,
                                           apr_size_t olen, int star,
                                           const char *how, cors_decision_t *d)
{
    int credentials = credentials_of(pol, star);
    d->verdict = CORS_ALLOWED;
    set_detail_origin(d, how, req->origin, olen);
    d->allow_origin = star ? "*" : req->origin;
    d->allow_credentials = credentials ? "true" : NULL;
    decide_expose(pol, credentials, d);
}

/* A request matched by no rule, or a malformed Origin. */
static void decide_unmatched(const cors_request_t *req, apr_size_t olen,
                             int preflight, cors_origin_result_t o,
                             cors_decision_t *d)
{
    d->verdict = preflight ? CORS_PREFLIGHT_REFUSED : CORS_DISALLOWED;
    set_detail_origin(d,
                      o == CORS_ORIGIN_MALFORMED ? "malformed Origin"
                                                 : "origin not allowed",
                      req->origin, olen);
}

/* A rule's settings, each taken from the scope where the rule leaves it
 * unset: the scope's own defaults and, through merging, its parents'. */
void cors_rule_resolve(const cors_policy_t *rule, const cors_policy_t *from,
                       cors_policy_t *out)
{
    *out = *rule;
    TAKE_UNSET(engine, CORS_UNSET, CORS_SET_ENGINE)
    RULE_SETTINGS(TAKE_UNSET)
    if (!out->credentials_where) {
        out->credentials_where = from->credentials_where;
    }
}

/* A decision to fill: the caller's space the first time, when it gave one,
 * else one from the pool; zeroed either way. */
static cors_decision_t *new_decision(apr_pool_t *pool, cors_decision_t **space)
{
    cors_decision_t *d = *space;
    if (!d) {
        return apr_pcalloc(pool, sizeof(*d));
    }
    *space = NULL;
    memset(d, 0, sizeof(*d));
    return d;
}

/*
 * A scope with rules: the first rule that applies decides.  A preflight
 * needs a rule whose origins match and that allows everything it asks; an
 * actual request, a rule whose origins match and that lists its method.
 * When none applies the request is refused as from an origin no rule
 * lists; the reason is the first near miss (a rule whose origins matched),
 * which the log names.
 */
static CORS_NOINLINE const cors_decision_t *
decide_rules(const cors_policy_t *pol, const cors_request_t *req,
             apr_pool_t *pool, cors_decision_t *space)
{
    const cors_policy_t *const *rules =
        (const cors_policy_t *const *)pol->rules->elts;
    int n = pol->rules->nelts, i;
    int preflight =
        req->origin && req->request_method && !strcmp(req->method, "OPTIONS");
    cors_decision_t *d, *miss = NULL;
    cors_origin_result_t unmatched = CORS_ORIGIN_DENIED;
    apr_size_t olen;
    cors_policy_t eff;
    /* An actual request's answer depends on Origin unless every rule
     * answers "*". */
    const char *vary = pol->rules_vary ? "Origin" : NULL;

    if (!req->origin && pol->rules_vary) {
        return &cors_not_cors;
    }
    d = new_decision(pool, &space);
    if (!req->origin) {
        /* Every rule answers "*": the first that lists the method. */
        for (i = 0; i < n; i++) {
            cors_rule_resolve(rules[i], pol, &eff);
            if (rule_lists_method(&eff, req->method)) {
                d->rule = eff.name;
                d->allow_origin = "*";
                decide_expose(&eff, 0, d);
                break;
            }
        }
        return d;
    }
    olen = cors_origin_len(req->origin);
    for (i = 0; i < n; i++) {
        const char *how = NULL;
        int star = cors_origins_any(rules[i]->origins);
        cors_origin_result_t o =
            match_origin(rules[i], req->origin, olen, pool, &how, &star);
        if (o != CORS_ORIGIN_ALLOWED) {
            if (o == CORS_ORIGIN_MALFORMED) {
                unmatched = o;
            }
            continue;
        }
        cors_rule_resolve(rules[i], pol, &eff);
        d->rule = eff.name;
        if (preflight) {
            decide_preflight(&eff, req, olen, star, how, 1, pool, d);
            if (d->verdict == CORS_PREFLIGHT_ALLOWED) {
                return d;
            }
            if (!miss) {
                miss = d;
                d = new_decision(pool, &space);
            } else {
                memset(d, 0, sizeof(*d));
            }
            continue;
        }
        if (rule_lists_method(&eff, req->method)) {
            decide_allowed(&eff, req, olen, star, how, d);
            d->vary = vary;
            return d;
        }
        if (!miss) {
            miss = d;
            miss->verdict = CORS_DISALLOWED;
            set_detail_str(miss, "method not listed by the rule", req->method);
            miss->vary = vary;
            d = new_decision(pool, &space);
        }
    }
    if (miss) {
        return miss;
    }
    d->rule = NULL;
    decide_unmatched(req, olen, preflight, unmatched, d);
    d->vary = preflight ? CORS_VARY_PREFLIGHT : vary;
    return d;
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

const cors_decision_t *cors_decide_in(const cors_policy_t *pol,
                                      const cors_request_t *req,
                                      apr_pool_t *pool, cors_decision_t *space)
{
    int any, star = 0;
    cors_decision_t *d;
    const char *how = NULL;
    apr_size_t olen;
    cors_origin_result_t o;

    if (pol->rules) {
        return decide_rules(pol, req, pool, space);
    }
    any = cors_origins_any(pol->origins);
    if (!req->origin && !any) {
        return &cors_not_cors;
    }
    d = new_decision(pool, &space);
    if (!req->origin) {
        /* The same answer for every origin: send it everywhere, so a cache
         * may serve it to any page. */
        d->verdict = CORS_NOT_CORS;
        d->allow_origin = "*";
        decide_expose(pol, 0, d);
        return d;
    }
    olen = cors_origin_len(req->origin);
    star = any;
    o = match_origin(pol, req->origin, olen, pool, &how, &star);
    if (req->request_method && !strcmp(req->method, "OPTIONS")) {
        if (o != CORS_ORIGIN_ALLOWED) {
            decide_unmatched(req, olen, 1, o, d);
            d->vary = CORS_VARY_PREFLIGHT;
        } else {
            decide_preflight(pol, req, olen, star, how, 0, pool, d);
        }
        return d;
    }
    if (!any) {
        d->vary = "Origin";
    }
    if (o == CORS_ORIGIN_ALLOWED) {
        decide_allowed(pol, req, olen, star, how, d);
    } else {
        decide_unmatched(req, olen, 0, o, d);
    }
    return d;
}

const cors_decision_t *cors_decide(const cors_policy_t *pol,
                                   const cors_request_t *req, apr_pool_t *pool)
{
    return cors_decide_in(pol, req, pool, NULL);
}
