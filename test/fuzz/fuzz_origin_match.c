/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_origin_match: a request's Origin value (the fuzz input, up to the
 * first NUL) against a policy compiled once from a fixed set of exact
 * origins, "*.domain" and ":*" patterns and regular expressions.
 *
 * Invariants (abort on violation):
 *  - ALLOWED only for a value that a slow reference matcher (ref.h plus
 *    the hand-written stand-ins for the regexes below) also allows: so a
 *    grant is byte-equal to an allowed origin, a wildcard never matches its
 *    apex or across a label boundary, a regex grant is a whole-string match,
 *    and nothing malformed is ever granted;
 *  - the converse for values in the URL standard's canonical form: what the
 *    reference allows, the engine allows; its regexes are reasonable ones,
 *    so a canonical value the reference allows may be refused at the
 *    regex match limit (CORS_RULE_REGEX_LIMIT) only when it is longer than
 *    128 bytes;
 *  - the same rules with the regexes compiled without JIT (as for
 *    .htaccess) give the same answers, but where either reports the match
 *    limit (the interpreter's is lower); a limit report comes only with
 *    DENIED;
 *  - cors_origin_is_well_formed agrees with the reference in the same two
 *    directions, and MALFORMED is returned only for values it calls
 *    malformed;
 *  - a policy holding "*" never answers DENIED;
 *  - cors_decide on an actual request grants exactly when the matcher
 *    does, echoes the Origin byte for byte, and never sends "*" with
 *    credentials.
 */
#include "cors_engine.h"
#include "ref.h"

#include <apr_general.h>
#include <stdint.h>

static apr_pool_t *g_pool;
static cors_origins_t *g_origins, *g_interp, *g_any;
static cors_policy_t *g_policy, *g_any_policy;

#define MAX_RULES 64
static ref_rule_t g_ref[MAX_RULES];
static int g_nref;

/* ---- hand-written stand-ins for the configured regexes --------------- */

/* ^https://(foo|bar)\.example\.org  (no "$": the engine anchors the end) */
static int re_foo_bar(const char *o, size_t n)
{
    return (n == 23 && memcmp(o, "https://foo.example.org", 23) == 0) ||
           (n == 23 && memcmp(o, "https://bar.example.org", 23) == 0);
}

/* https://[a-z0-9-]+\.preview\.example\.net */
static int re_preview(const char *o, size_t n)
{
    static const char pre[] = "https://", suf[] = ".preview.example.net";
    size_t pl = sizeof(pre) - 1, sl = sizeof(suf) - 1, i;
    if (n < pl + sl + 1 || memcmp(o, pre, pl) || memcmp(o + n - sl, suf, sl))
        return 0;
    for (i = pl; i < n - sl; i++)
        if (!ref_is_lower_alpha((unsigned char)o[i]) &&
            !ref_is_digit((unsigned char)o[i]) && o[i] != '-')
            return 0;
    return 1;
}

/* ^https://a\.example\.com|https://b\.example\.com$ : the classic
 * precedence trap; as a whole-string match it is exactly two origins. */
static int re_alt(const char *o, size_t n)
{
    return (n == 21 && memcmp(o, "https://a.example.com", 21) == 0) ||
           (n == 21 && memcmp(o, "https://b.example.com", 21) == 0);
}

/* [a-z]+://[a-z0-9.-]+\.trusted\.example(:[0-9]+)? */
static int re_trusted(const char *o, size_t n)
{
    static const char suf[] = ".trusted.example";
    size_t i = 0, j, sl = sizeof(suf) - 1, end = n;
    while (i < n && ref_is_lower_alpha((unsigned char)o[i]))
        i++;
    if (i == 0 || n - i < 3 || memcmp(o + i, "://", 3))
        return 0;
    i += 3;
    /* optional (:[0-9]+) at the end */
    j = n;
    while (j > i && ref_is_digit((unsigned char)o[j - 1]))
        j--;
    if (j < n && j > i && o[j - 1] == ':') {
        /* try with the port part first, then without (digits can't end
         * ".trusted.example", so only one split can work) */
        end = j - 1;
    }
    if (end < i + sl + 1 || memcmp(o + end - sl, suf, sl))
        return 0;
    for (j = i; j < end - sl; j++) {
        int c = (unsigned char)o[j];
        if (!ref_is_lower_alpha(c) && !ref_is_digit(c) && c != '.' && c != '-')
            return 0;
    }
    return 1;
}

/* http://localhost:[0-9]{4} */
static int re_localhost4(const char *o, size_t n)
{
    size_t i;
    if (n != 21 || memcmp(o, "http://localhost:", 17))
        return 0;
    for (i = 17; i < 21; i++)
        if (!ref_is_digit((unsigned char)o[i]))
            return 0;
    return 1;
}

static const char *const k_patterns[] = {
    "https://app.example.com",
    "http://localhost:3000",
    "capacitor://localhost",
    "https://[2001:db8::1]",
    "http://127.0.0.1:8080",
    "https://xn--bcher-kva.example",
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
    "https://Mixed.Example.ORG", /* stored lower-case */
    "https://*.example.com",
    "http://*.localhost",
    "https://*.api.example.net:8443",
    "wss://*.sockets.example.org",
    "https://dev.example.io:*",
    "http://[::1]:*",
    "http://10.0.0.1:*",
};

static const struct {
    const char *re;
    int (*ref)(const char *, size_t);
} k_regexes[] = {
    {"^https://(foo|bar)\\.example\\.org", re_foo_bar},
    {"https://[a-z0-9-]+\\.preview\\.example\\.net", re_preview},
    {"^https://a\\.example\\.com|https://b\\.example\\.com$", re_alt},
    {"[a-z]+://[a-z0-9.-]+\\.trusted\\.example(:[0-9]+)?", re_trusted},
    {"http://localhost:[0-9]{4}", re_localhost4},
};

static int ref_allows(const char *o, size_t n, const char **which)
{
    int i;
    if (!ref_origin_plausible(o, n))
        return 0;
    for (i = 0; i < g_nref; i++)
        if (ref_rule_matches(&g_ref[i], o, n)) {
            if (which)
                *which = g_ref[i].text;
            return 1;
        }
    return 0;
}

static int is_limit(const char *rule)
{
    return rule && strcmp(rule, CORS_RULE_REGEX_LIMIT) == 0;
}

static void check_one(const char *o, size_t n, apr_pool_t *p)
{
    const char *rule = NULL, *which = NULL, *rule_i = NULL;
    cors_origin_result_t r = cors_origins_match(g_origins, o, p, &rule);
    cors_origin_result_t ri = cors_origins_match(g_interp, o, p, &rule_i);
    int ref = ref_allows(o, n, &which);
    int plausible = ref_origin_plausible(o, n);
    int canonical = ref_origin_canonical(o, n);
    int wf = cors_origin_is_well_formed(o, n);
    /* A reasonable regex may give up on a long value only. */
    int limited = is_limit(rule) && n > 128;
    cors_request_t req;
    cors_decision_t d;

    REF_CHECK(!is_limit(rule) || r == CORS_ORIGIN_DENIED,
              "\"%s\": limit reported with result %d", SHOW(o), (int)r);
    REF_CHECK(!is_limit(rule_i) || ri == CORS_ORIGIN_DENIED,
              "\"%s\": limit reported (no JIT) with result %d", SHOW(o),
              (int)ri);
    if (!is_limit(rule) && !is_limit(rule_i))
        REF_CHECK(r == ri,
                  "\"%s\": %d with JIT, %d without (rules %s, %s)", SHOW(o),
                  (int)r, (int)ri, rule ? rule : "-", rule_i ? rule_i : "-");
    if (ri == CORS_ORIGIN_ALLOWED)
        REF_CHECK(ref, "granted \"%s\" without JIT (rule %s), which no "
                       "reference rule allows",
                  SHOW(o), rule_i ? rule_i : "?");
    if (ref && canonical && !(is_limit(rule_i) && n > 128))
        REF_CHECK(ri == CORS_ORIGIN_ALLOWED,
                  "refused \"%s\" without JIT (result %d, rule %s), which "
                  "reference rule \"%s\" allows",
                  SHOW(o), (int)ri, rule_i ? rule_i : "-", which);

    REF_CHECK(r == CORS_ORIGIN_MALFORMED || r == CORS_ORIGIN_DENIED ||
                  r == CORS_ORIGIN_ALLOWED,
              "cors_origins_match returned %d for \"%s\"", (int)r, SHOW(o));
    if (r == CORS_ORIGIN_ALLOWED) {
        REF_CHECK(ref, "granted \"%s\" (engine rule: %s), which no reference "
                       "rule allows%s",
                  SHOW(o), rule ? rule : "?",
                  plausible ? "" : " (and it is malformed)");
        if (rule)
            (void)strlen(rule);
    }
    if (ref && canonical && !limited)
        REF_CHECK(r == CORS_ORIGIN_ALLOWED,
                  "refused \"%s\" (result %d, rule %s), which reference rule "
                  "\"%s\" allows",
                  SHOW(o), (int)r, rule ? rule : "-", which);
    if (r == CORS_ORIGIN_MALFORMED)
        REF_CHECK(!canonical, "called canonical \"%s\" malformed", SHOW(o));
    if (wf)
        REF_CHECK(plausible, "cors_origin_is_well_formed accepts \"%s\"",
                  SHOW(o));
    if (canonical)
        REF_CHECK(wf, "cors_origin_is_well_formed refuses canonical \"%s\"",
                  SHOW(o));

    /* "*": everything well-formed is allowed */
    r = cors_origins_match(g_any, o, p, NULL);
    REF_CHECK(r != CORS_ORIGIN_DENIED, "\"*\" denied \"%s\"", SHOW(o));
    if (canonical)
        REF_CHECK(r == CORS_ORIGIN_ALLOWED, "\"*\" refused \"%s\"", SHOW(o));

    /* the decision for an actual request, credentials on */
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.origin = o;
    memset(&d, 0, sizeof(d));
    d = *cors_decide(g_policy, &req, p);
    if (d.verdict == CORS_ALLOWED) {
        REF_CHECK(ref, "cors_decide allowed \"%s\"", SHOW(o));
        REF_CHECK(d.allow_origin && strcmp(d.allow_origin, o) == 0,
                  "allowed \"%s\" but Access-Control-Allow-Origin is \"%s\"",
                  SHOW(o), d.allow_origin ? SHOW(d.allow_origin) : "(none)");
        REF_CHECK(d.allow_credentials &&
                      strcmp(d.allow_credentials, "true") == 0,
                  "credentials on but -Allow-Credentials missing for \"%s\"",
                  SHOW(o));
    } else {
        REF_CHECK(d.verdict == CORS_DISALLOWED,
                  "actual request for \"%s\": verdict %d", SHOW(o),
                  (int)d.verdict);
        REF_CHECK(!(ref && canonical && !limited),
                  "cors_decide refused \"%s\" that rule \"%s\" allows",
                  SHOW(o), which);
        REF_CHECK(!d.allow_origin && !d.allow_credentials &&
                      !d.expose_headers,
                  "disallowed \"%s\" carries Access-Control-* values",
                  SHOW(o));
    }
    REF_CHECK(d.vary && strstr(d.vary, "Origin"),
              "explicit-origin decision without Vary: Origin for \"%s\"",
              SHOW(o));

    memset(&d, 0, sizeof(d));
    d = *cors_decide(g_any_policy, &req, p);
    REF_CHECK(!d.allow_credentials, "\"*\" policy sent credentials");
    if (d.allow_origin)
        REF_CHECK(strcmp(d.allow_origin, "*") == 0,
                  "\"*\" policy answered ACAO \"%s\"", SHOW(d.allow_origin));
    if (canonical)
        REF_CHECK(d.verdict == CORS_ALLOWED && d.allow_origin,
                  "\"*\" policy did not allow \"%s\"", SHOW(o));
}

/* Expected answers for hand-picked values, checked once at start-up so
 * that a broken build fails at once rather than after minutes of fuzzing. */
static void self_test(apr_pool_t *p)
{
    static const char *const yes[] = {
        "https://app.example.com", "http://localhost:3000",
        "capacitor://localhost", "https://[2001:db8::1]",
        "http://127.0.0.1:8080", "https://mixed.example.org",
        "https://a.example.com", "https://a.b.example.com",
        "http://x.localhost", "https://v1.api.example.net:8443",
        "https://dev.example.io", "https://dev.example.io:3000",
        "http://[::1]", "http://[::1]:8080", "http://10.0.0.1:9",
        "https://foo.example.org", "https://bar.example.org",
        "https://b.example.com", "https://pr-12.preview.example.net",
        "http://a.b.trusted.example:8080", "http://localhost:1234",
    };
    static const char *const no[] = {
        "https://example.com", "https://evilexample.com",
        "https://a.example.com.evil.net", "https://foo.example.org.evil.net",
        "https://a.example.com/", "https://a.example.com.",
        "https://A.example.com", "HTTPS://app.example.com",
        "https://app.example.com:443", ("https://app.example.com, https://app.example.com"),
        "null", "", "https://api.example.net:8443",
        "https://v1.api.example.net", "https://user@app.example.com",
        "http://localhost:300", "http://localhost", "https://localhost:3000",
        "https://dev.example.io.evil:1", "https://xdev.example.io",
        "https://Mixed.Example.ORG", "http://localhost:12345",
        "https://foo.example.org:1", "https://.example.com",
        "https://a..example.com", "https://[2001:0db8::1]",
        "https://a.example.com.evil.net", "https://x.preview.example.net.evil",
        "http://localhost:80", "https://app.example.com:0443",
    };
    size_t i;
    for (i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        REF_CHECK(ref_allows(yes[i], strlen(yes[i]), NULL),
                  "self-test: reference refuses \"%s\"", yes[i]);
        REF_CHECK(cors_origins_match(g_origins, yes[i], p, NULL) ==
                      CORS_ORIGIN_ALLOWED,
                  "self-test: engine refuses \"%s\"", yes[i]);
        REF_CHECK(cors_origins_match(g_interp, yes[i], p, NULL) ==
                      CORS_ORIGIN_ALLOWED,
                  "self-test: engine refuses \"%s\" without JIT", yes[i]);
        check_one(yes[i], strlen(yes[i]), p);
    }
    {
        /* The longest hosts the regexes grant, with and without JIT:
         * 118 labels before ".trusted.example", a 63-byte label before
         * ".preview.example.net". */
        char big[300];
        size_t k = 7;
        memcpy(big, "http://", 7);
        while (k < 7 + 236) {
            big[k++] = 'a';
            big[k++] = '.';
        }
        strcpy(big + k, "trusted.example:8080");
        for (k = 0; k < 2; k++) {
            REF_CHECK(ref_allows(big, strlen(big), NULL),
                      "self-test: reference refuses \"%s\"", big);
            REF_CHECK(cors_origins_match(g_origins, big, p, NULL) ==
                              CORS_ORIGIN_ALLOWED &&
                          cors_origins_match(g_interp, big, p, NULL) ==
                              CORS_ORIGIN_ALLOWED,
                      "self-test: engine refuses \"%s\"", big);
            check_one(big, strlen(big), p);
            memcpy(big, "https://", 8);
            memset(big + 8, 'x', 63);
            strcpy(big + 71, ".preview.example.net");
        }
    }
    for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
        REF_CHECK(!ref_allows(no[i], strlen(no[i]), NULL),
                  "self-test: reference allows \"%s\"", no[i]);
        REF_CHECK(cors_origins_match(g_origins, no[i], p, NULL) !=
                      CORS_ORIGIN_ALLOWED,
                  "self-test: engine allows \"%s\"", no[i]);
        check_one(no[i], strlen(no[i]), p);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    const char *err;
    apr_pool_t *tmp;
    (void)argc, (void)argv;
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    g_origins = cors_origins_make(g_pool);
    g_interp = cors_origins_make(g_pool);
    for (i = 0; i < sizeof(k_patterns) / sizeof(*k_patterns); i++) {
        char low[600];
        size_t j, n = strlen(k_patterns[i]);
        err = cors_origins_add(g_origins, g_pool, k_patterns[i]);
        REF_CHECK(!err, "setup: cors_origins_add(\"%s\") refused: %s",
                  k_patterns[i], err);
        err = cors_origins_add(g_interp, g_pool, k_patterns[i]);
        REF_CHECK(!err, "setup: cors_origins_add(\"%s\") refused: %s",
                  k_patterns[i], err);
        for (j = 0; j <= n; j++)
            low[j] = (char)ref_lower((unsigned char)k_patterns[i][j]);
        REF_CHECK(ref_parse_pattern(low, &g_ref[g_nref]),
                  "setup: reference refuses \"%s\"", low);
        g_nref++;
    }
    for (i = 0; i < sizeof(k_regexes) / sizeof(*k_regexes); i++) {
        err = cors_origins_add_regex(g_origins, g_pool, k_regexes[i].re, 1);
        REF_CHECK(!err, "setup: cors_origins_add_regex(\"%s\") refused: %s",
                  k_regexes[i].re, err);
        err = cors_origins_add_regex(g_interp, g_pool, k_regexes[i].re, 0);
        REF_CHECK(!err,
                  "setup: cors_origins_add_regex(\"%s\", no JIT) refused: %s",
                  k_regexes[i].re, err);
        g_ref[g_nref].kind = REF_FUNC;
        g_ref[g_nref].func = k_regexes[i].ref;
        snprintf(g_ref[g_nref].text, sizeof(g_ref[g_nref].text), "%s",
                 k_regexes[i].re);
        g_nref++;
    }
    REF_CHECK(!cors_origins_any(g_origins), "setup: rules hold \"*\"");
    REF_CHECK(!cors_origins_empty(g_origins), "setup: rules empty");

    g_any = cors_origins_make(g_pool);
    err = cors_origins_add(g_any, g_pool, "*");
    REF_CHECK(!err, "setup: \"*\" refused: %s", err);
    REF_CHECK(cors_origins_any(g_any), "setup: \"*\" not recorded");

    g_policy = cors_policy_make(g_pool);
    g_policy->engine = CORS_ON;
    g_policy->credentials = CORS_ON;
    g_policy->origins = g_origins;
    REF_CHECK(cors_policy_active(g_policy), "setup: policy not active");
    g_any_policy = cors_policy_make(g_pool);
    g_any_policy->engine = CORS_ON;
    g_any_policy->origins = g_any;

    apr_pool_create(&tmp, g_pool);
    self_test(tmp);
    apr_pool_destroy(tmp);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *o;
    if (size > 4096)
        return 0;
    o = malloc(size + 1);
    memcpy(o, data, size);
    o[size] = 0;
    apr_pool_create(&p, g_pool);
    check_one(o, strlen(o), p);
    apr_pool_destroy(p);
    free(o);
    return 0;
}
