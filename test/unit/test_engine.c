/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the mod_cors engine (no httpd): origin rules, name sets,
 * the Access-Control-Request-Headers parser, merging, the decision and the
 * response fields.  Run by `make check`.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbm.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "cors_private.h" /* also the engine's internals */

static apr_pool_t *pool;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

/* ---------------------------------------------------------------- */
/* Origin values in the configuration                                */
/* ---------------------------------------------------------------- */

static const char *const valid_origins[] = {
    "https://example.com",
    "http://example.com:8080",
    "HTTPS://Example.COM", /* stored lower-case */
    "capacitor://localhost",
    "http://127.0.0.1:3000",
    "http://[::1]:8080",
    "https://[2001:db8::1]",
    "https://xn--bcher-kva.example",
    "https://a-b_c.example.com",
    "*",
    "https://*.example.com",
    "https://*.example.com:8443",
    "https://*.example.com:*",
    "http://localhost:*",
    "http://*.localhost",
    "chrome-extension://abcdefghijklmnop",
    NULL};

static const char *const invalid_origins[][2] = {
    {"null", "null"},
    {"file:///etc/passwd", "file"},
    {"https://example.com:443", "default port"},
    {"http://example.com:80", "default port"},
    {"wss://example.com:443", "default port"},
    {"https://example.com/", "path"},
    {"https://example.com/api", "path"},
    {"https://example.com?x", "path"},
    {"https://example.com#x", "path"},
    {"https://user@example.com", "user information"},
    {"https://example.com:0", "port"},
    {"https://example.com:65536", "port"},
    {"https://example.com:08080", "leading zeros"},
    {"https://example.com:", "empty port"},
    {"https://exämple.com", "punycode"},
    {"example.com", "scheme://host"},
    {"://example.com", "scheme"},
    {"https://", "serialized origin"},
    {"https://a..b", "serialized origin"},
    {"https://example.com.", "serialized origin"},
    {"https://a*.example.com", "CORSAllowOriginMatch"},
    {"https://*", "CORSAllowOriginMatch"},
    {"*://example.com", "CORSAllowOriginMatch"},
    {"https://*.*.example.com", "CORSAllowOriginMatch"},
    {"https://*.com", "top-level domain"},
    {"https://*.127.0.0.1", "IP addresses"},
    {"http://[::0001]", "[::1]"},
    {"http://[0:0:0:0:0:0:0:1]", "[::1]"},
    {"http://[::ffff:1.2.3.4]", "[::ffff:102:304]"},
    {"http://[zz::1]", "serialized origin"},
    {"http://127.1", "serialized origin"},
    {"http://1.2.3.256", "serialized origin"},
    {"http://01.2.3.4", "serialized origin"},
    {"http://example.com:*:8080", "CORSAllowOriginMatch"},
    {"", "origin"},
    {NULL, NULL}};

START_TEST(test_origin_config_valid)
{
    int i;
    for (i = 0; valid_origins[i]; i++) {
        cors_origins_t *o = cors_origins_make(pool);
        const char *why = cors_origins_add(o, pool, valid_origins[i]);
        ck_assert_msg(why == NULL, "'%s' refused: %s", valid_origins[i], why);
        ck_assert(!cors_origins_empty(o));
    }
}
END_TEST

START_TEST(test_origin_config_invalid)
{
    int i;
    for (i = 0; invalid_origins[i][0]; i++) {
        cors_origins_t *o = cors_origins_make(pool);
        const char *why = cors_origins_add(o, pool, invalid_origins[i][0]);
        ck_assert_msg(why != NULL, "'%s' accepted", invalid_origins[i][0]);
        ck_assert_msg(strstr(why, invalid_origins[i][1]) != NULL,
                      "'%s': reason '%s' lacks '%s'", invalid_origins[i][0],
                      why, invalid_origins[i][1]);
        ck_assert(cors_origins_empty(o));
    }
}
END_TEST

/* Configuration values of CORSAllowOriginMatch and the reason a refused
 * one gets (a part of it), the same with JIT (loop 1) and without (0). */
static const char *const regex_values[][2] = {
    {"^https://(a|b$", "does not compile"},
    {".*", "null"},
    {"n.ll|https://x\\.org", "null"},
    {"(?i)NULL", "null"},
    /* Backtracks past its match limit on "null", where DFA matching
     * cannot give the answer (a back-reference): refused too. */
    {"(*LIMIT_MATCH=1)(n)(u|l)*\\1?[^l]", "match limit"},
    /* Past the limit, but DFA matching tells: it does not match "null". */
    {"(*LIMIT_MATCH=1)n(u|l)*[^l]", NULL},
    {"(n?u?l?)*(n?u?l?)*(n?u?l?)*(n?u?l?)*[^l]", "match limit"},
    {"^https://(foo|bar)\\.example\\.org", NULL},
    {"^https://(.+\\.)*example\\.com$", NULL}, /* bounded per request */
    {"(*NO_JIT)^https://x\\.example$", NULL},
    {NULL, NULL}};

START_TEST(test_regex_config)
{
    int i;
    for (i = 0; regex_values[i][0]; i++) {
        cors_origins_t *o = cors_origins_make(pool);
        const char *why =
            cors_origins_add_regex(o, pool, regex_values[i][0], _i);
        if (!regex_values[i][1]) {
            ck_assert_msg(why == NULL, "'%s' (jit %d) refused: %s",
                          regex_values[i][0], _i, why);
            ck_assert(!cors_origins_empty(o));
            continue;
        }
        ck_assert_msg(why != NULL, "'%s' (jit %d) accepted", regex_values[i][0],
                      _i);
        ck_assert_msg(strstr(why, regex_values[i][1]) != NULL,
                      "'%s': reason '%s' lacks '%s'", regex_values[i][0], why,
                      regex_values[i][1]);
        ck_assert(cors_origins_empty(o));
    }
}
END_TEST

/* ---------------------------------------------------------------- */
/* Matching a request's Origin                                       */
/* ---------------------------------------------------------------- */

static cors_origins_t *rules_jit(const char *const *values, const char *regex,
                                 int jit)
{
    cors_origins_t *o = cors_origins_make(pool);
    for (; *values; values++) {
        const char *why = cors_origins_add(o, pool, *values);
        ck_assert_msg(why == NULL, "%s: %s", *values, why);
    }
    if (regex) {
        const char *why = cors_origins_add_regex(o, pool, regex, jit);
        ck_assert_msg(why == NULL, "%s: %s", regex, why);
    }
    return o;
}

static cors_origins_t *rules(const char *const *values, const char *regex)
{
    return rules_jit(values, regex, 1);
}

static cors_origin_result_t match(cors_origins_t *o, const char *origin)
{
    return cors_origins_match(o, origin, pool, NULL);
}

START_TEST(test_match_exact)
{
    static const char *const v[] = {"https://App.example.com",
                                    "http://localhost:3000", NULL};
    cors_origins_t *o = rules(v, NULL);
    ck_assert_int_eq(match(o, "https://app.example.com"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "http://localhost:3000"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "http://localhost:3001"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "http://localhost"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "http://app.example.com"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://app.example.com.evil.net"),
                     CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://evilapp.example.com"),
                     CORS_ORIGIN_DENIED);
    /* Byte for byte: browsers send lower case, so nothing else matches. */
    ck_assert_int_eq(match(o, "https://APP.example.com"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.example.com/"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.example.com."),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.example.com:443"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.example.com, https://x.org"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "null"), CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, ""), CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://x@app.example.com"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.example.com\x01"),
                     CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "https://app.ex\xc3\xa4mple.com"),
                     CORS_ORIGIN_MALFORMED);
}
END_TEST

START_TEST(test_match_long)
{
    static const char *const v[] = {"https://example.com", NULL};
    cors_origins_t *o = rules(v, NULL);
    char *big = apr_palloc(pool, 8000);
    memset(big, 'a', 7999);
    big[7999] = '\0';
    memcpy(big, "https://", 8);
    ck_assert_int_eq(match(o, big), CORS_ORIGIN_MALFORMED);
}
END_TEST

START_TEST(test_match_subdomains)
{
    static const char *const v[] = {"https://*.example.com",
                                    "https://*.example.net:8443",
                                    "https://*.example.org:*", NULL};
    cors_origins_t *o = rules(v, NULL);
    ck_assert_int_eq(match(o, "https://a.example.com"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://a.b.example.com"), CORS_ORIGIN_ALLOWED);
    /* Never the apex, never across a label boundary. */
    ck_assert_int_eq(match(o, "https://example.com"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://evilexample.com"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://a.example.com.evil.net"),
                     CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://.example.com"), CORS_ORIGIN_MALFORMED);
    /* Scheme and port must agree. */
    ck_assert_int_eq(match(o, "http://a.example.com"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://a.example.com:8443"),
                     CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://a.example.net:8443"),
                     CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://a.example.net"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://a.example.net:8444"),
                     CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://a.example.org"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://a.example.org:1"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://example.org:1"), CORS_ORIGIN_DENIED);
}
END_TEST

START_TEST(test_match_any_port)
{
    static const char *const v[] = {"http://localhost:*", "http://[::1]:*",
                                    NULL};
    cors_origins_t *o = rules(v, NULL);
    ck_assert_int_eq(match(o, "http://localhost"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "http://localhost:5173"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "http://[::1]:5173"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://localhost:5173"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "http://a.localhost:5173"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "http://localhost:80"), CORS_ORIGIN_MALFORMED);
    ck_assert_int_eq(match(o, "http://localhost:99999"), CORS_ORIGIN_MALFORMED);
}
END_TEST

START_TEST(test_match_regex_whole)
{
    static const char *const none[] = {NULL};
    cors_origins_t *o =
        rules_jit(none, "^https://(foo|bar)\\.example\\.org", _i);
    ck_assert_int_eq(match(o, "https://foo.example.org"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://bar.example.org"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://foo.example.org.evil.net"),
                     CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://xfoo.example.org"), CORS_ORIGIN_DENIED);
    o = rules_jit(none, "https://a\\.x\\.org|https://b\\.x\\.org", _i);
    ck_assert_int_eq(match(o, "https://b.x.org"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://a.x.org.evil"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "https://evil.a.x.org"), CORS_ORIGIN_DENIED);
    /* Backtracking verbs end or restart a match early; PCRE2 10.42's JIT
     * then reports part of the origin as a match.  A grant is still only
     * for an origin matched from its first byte to its last. */
    o = rules_jit(none, "https://a\\.x\\.org(*ACCEPT)", _i);
    ck_assert_int_eq(match(o, "https://a.x.org"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "https://a.x.org.evil.net"), CORS_ORIGIN_DENIED);
    o = rules_jit(none, "...(*ACCEPT)", _i);
    ck_assert_int_eq(match(o, "https://abcd.example.com"), CORS_ORIGIN_DENIED);
    o = rules_jit(none, "...(*SKIP)", _i);
    ck_assert_int_eq(match(o, "https://abcd.example.com"), CORS_ORIGIN_DENIED);
}
END_TEST

/* A copy of spec with each "{N:unit}" replaced by N copies of unit:
 * "https://{3:a.}example.com" is "https://a.a.a.example.com". */
static const char *expand(const char *spec)
{
    char *out = apr_palloc(pool, 20000), *o = out;
    while (*spec) {
        if (*spec == '{') {
            char *colon;
            long n = strtol(spec + 1, &colon, 10);
            const char *unit = colon + 1, *end = strchr(unit, '}');
            ck_assert(*colon == ':' && end != NULL);
            while (n-- > 0) {
                memcpy(o, unit, (size_t)(end - unit));
                o += end - unit;
            }
            spec = end + 1;
        } else {
            *o++ = *spec++;
        }
        ck_assert(o < out + 19000);
    }
    *o = '\0';
    return out;
}

/* Catastrophic backtracking: each regex meets an Origin (well-formed, at
 * most 512 bytes) crafted to almost match it.  PCRE2's default limit let
 * one request cost 10-190 ms; now each run stops at its match limit
 * (~30,000 instructions: see CORS_REGEX_MATCH_LIMIT), grants nothing, and
 * says so through the rule.  Loop 1 with JIT, 0 without. */
static const char *const redos[][3] = {
    /* regex, crafted origin, an origin it still grants: within its limit,
     * or (for (.*)* and (\w+\.?)+, which need thousands of steps to match
     * even "https://a.b.example.com") from the DFA matcher, which answers
     * short origins once backtracking gives up */
    {"^https://(a+)+\\.example\\.com$", "https://{63:a}.example.co",
     "https://aaa.example.com"},
    {"^https://(a+)+\\.example\\.com$", "https://{63:a}.example.com.{63:a}",
     "https://aaa.example.com"},
    {"^https://(a+)+\\.example\\.com$", "https://{63:a}.example.com:1",
     "https://aaa.example.com"},
    {"^https://(.+\\.)*example\\.com$", "https://{121:a.}example.co",
     "https://a.b.example.com"},
    {"^https://(.+\\.)*example\\.com$", "https://{121:a.}example.com:1",
     "https://a.b.example.com"},
    {"^https://(.+\\.)*example\\.com$", "https://{60:ab.}example.co",
     "https://a.b.example.com"},
    {"^https://(.+\\.)*example\\.com$", "https://{121:a.}exampl",
     "https://a.b.example.com"},
    {"^https://(.*)*\\.example\\.com$", "https://{121:a.}example.co",
     "https://a.b.example.com"},
    {"^https://(.*)*\\.example\\.com$",
     "https://{63:a}.{63:a}.{63:a}.{49:a}.example.co",
     "https://a.b.example.com"},
    {"^https://(?:a+)+\\.example\\.com$", "https://{63:a}.example.co",
     "https://aaa.example.com"},
    {"^https://(\\w+\\.?)+example\\.com$",
     "https://{63:a}.{63:a}.{63:a}.{49:a}.example.co",
     "https://a.b.example.com"},
    {"^(.*)*://x\\.example\\.com$", "{400:a}://x.example.co",
     "https://x.example.com"},
    {NULL, NULL, NULL}};

START_TEST(test_match_regex_limit)
{
    static const char *const none[] = {NULL};
    int i;
    for (i = 0; redos[i][0]; i++) {
        cors_origins_t *o = rules_jit(none, redos[i][0], _i);
        const char *origin = expand(redos[i][1]), *rule = NULL;
        ck_assert_msg(cors_origin_is_well_formed(origin, strlen(origin)), "%s",
                      origin);
        ck_assert_int_eq(cors_origins_match(o, origin, pool, &rule),
                         CORS_ORIGIN_DENIED);
        ck_assert_msg(rule && !strcmp(rule, CORS_RULE_REGEX_LIMIT),
                      "'%s' (jit %d) on %s: rule %s", redos[i][0], _i,
                      redos[i][1], rule ? rule : "NULL");
        /* The regex still grants what it matches cheaply. */
        if (redos[i][2]) {
            rule = NULL;
            ck_assert_int_eq(cors_origins_match(o, redos[i][2], pool, &rule),
                             CORS_ORIGIN_ALLOWED);
            ck_assert_str_eq(rule, "regular expression");
        }
    }
}
END_TEST

/* The limit reports only when nothing else decided. */
START_TEST(test_match_regex_limit_rule)
{
    static const char *const exact[] = {"https://a.a.a.example.co", NULL};
    const char *origin = expand("https://{121:a.}example.co"), *rule = NULL;
    cors_origins_t *o = rules_jit(exact, "^https://(.+\\.)*example\\.com$", _i);
    /* Well-formed, no catastrophe: plain denial, no rule. */
    ck_assert_int_eq(
        cors_origins_match(o, "https://b.example.org", pool, &rule),
        CORS_ORIGIN_DENIED);
    ck_assert_ptr_null(rule);
    /* A table rule decides before any regex runs. */
    ck_assert_int_eq(
        cors_origins_match(o, "https://a.a.a.example.co", pool, &rule),
        CORS_ORIGIN_ALLOWED);
    ck_assert_str_eq(rule, "exact origin");
    ck_assert_int_eq(cors_origins_match(o, origin, pool, &rule),
                     CORS_ORIGIN_DENIED);
    ck_assert_str_eq(rule, CORS_RULE_REGEX_LIMIT);
    /* A later regex that matches grants, whatever an earlier one hit. */
    ck_assert_ptr_null(cors_origins_add_regex(
        o, pool, "^https://[a-z.]+\\.example\\.co$", _i));
    ck_assert_int_eq(cors_origins_match(o, origin, pool, &rule),
                     CORS_ORIGIN_ALLOWED);
    ck_assert_str_eq(rule, "regular expression");
    /* Malformed: refused before any regex runs. */
    rule = "untouched";
    ck_assert_int_eq(
        cors_origins_match(o, "https://a..example.co", pool, &rule),
        CORS_ORIGIN_MALFORMED);
}
END_TEST

/* Legitimate regexes on long legitimate origins (up to 512 bytes): what
 * each gives with JIT and without ('A' allowed, 'D' denied, 'L' denied at
 * the match limit).  JIT code grants them all; the interpreter's tighter
 * limit (a step costs ~5x more there) refuses hosts of more than ~55
 * one-byte labels to a pattern with a group per label, and hosts longer
 * than ~90 bytes after a leading ".+://". */
static const struct {
    const char *regex;
    const char *origin;
    char jit, interp;
} legit[] = {
    {"^https://(foo|bar|baz)\\.example\\.com$", "https://baz.example.com", 'A',
     'A'},
    {"^https://(www|api|app)\\.example\\.(com|net|org)(:(8080|8443))?$",
     "https://api.example.net:8443", 'A', 'A'},
    {"^https?://[a-z0-9-]+\\.example\\.com$", "https://{63:a}.example.com", 'A',
     'A'},
    {"^https://([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?$",
     "https://{63:a}.{63:b}.{63:c}.example.com:8443", 'A', 'A'},
    {"^https://([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?$",
     "https://{50:a.}example.com:8443", 'A', 'A'},
    {"^https://([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?$",
     "https://{121:a.}example.com:8443", 'A', 'L'},
    {"^https://([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?$",
     "https://{3:a.}example.org", 'D', 'D'},
    {"^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+example\\.com"
     "(?::\\d{1,5})?$",
     "https://{20:a-b.}example.com:8443", 'A', 'A'},
    {"^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+example\\.com"
     "(?::\\d{1,5})?$",
     "https://{121:a.}example.com:8443", 'A', 'L'},
    {"^https://(.+\\.)?example\\.com(:[0-9]+)?$",
     "https://{121:a.}example.com:8443", 'A', 'A'},
    {"^https://(.+\\.)?example\\.com(:[0-9]+)?$",
     "https://{63:a}.{63:b}.{63:c}.example.com:8443", 'A', 'A'},
    {"^https://(.+\\.)?example\\.com(:[0-9]+)?$", "https://example.com", 'A',
     'A'},
    {"^https://(.+\\.)?example\\.com(:[0-9]+)?$", "https://{121:a.}example.org",
     'D', 'L'},
    {"^https://(.*\\.)?(example\\.com|example\\.org)(:\\d+)?$",
     "https://{121:a.}example.org:65535", 'A', 'A'},
    {"^https://[a-z0-9.-]+\\.example\\.com$", "https://{121:a.}example.com",
     'A', 'A'},
    {"^[a-z][a-z0-9+.-]*://([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?$",
     "{296:s}://{63:a}.{63:b}.{63:c}.example.com:8443", 'A', 'A'},
    {"^[a-z-]+://[a-p]{32}$", "chrome-extension://{32:a}", 'A', 'A'},
    {"^.+://(.+\\.)?example\\.com(:\\d+)?$",
     "https://pr-1234.preview.example.com", 'A', 'A'},
    {"^.+://(.+\\.)?example\\.com(:\\d+)?$",
     "https://{63:a}.{63:b}.{63:c}.example.com:8443", 'A', 'L'},
    {NULL, NULL, 0, 0}};

START_TEST(test_match_regex_long)
{
    static const char *const none[] = {NULL};
    int i;
    for (i = 0; legit[i].regex; i++) {
        cors_origins_t *o = rules_jit(none, legit[i].regex, _i);
        const char *origin = expand(legit[i].origin), *rule = NULL;
        char want = _i ? legit[i].jit : legit[i].interp, got;
        cors_origin_result_t r;
        ck_assert_msg(cors_origin_is_well_formed(origin, strlen(origin)), "%s",
                      origin);
        ck_assert(strlen(origin) <= CORS_ORIGIN_MAX);
        r = cors_origins_match(o, origin, pool, &rule);
        got = r == CORS_ORIGIN_ALLOWED                       ? 'A'
              : r != CORS_ORIGIN_DENIED                      ? '?'
              : rule && !strcmp(rule, CORS_RULE_REGEX_LIMIT) ? 'L'
                                                             : 'D';
        ck_assert_msg(got == want, "'%s' (jit %d) on %s: %c, expected %c",
                      legit[i].regex, _i, legit[i].origin, got, want);
    }
}
END_TEST

START_TEST(test_match_any)
{
    static const char *const v[] = {"*", NULL};
    cors_origins_t *o = rules(v, NULL);
    ck_assert(cors_origins_any(o));
    ck_assert_int_eq(match(o, "https://anything.example"), CORS_ORIGIN_ALLOWED);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Methods and header names                                          */
/* ---------------------------------------------------------------- */

START_TEST(test_names_methods)
{
    cors_names_t *n = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(n, pool, "PUT"));
    ck_assert_ptr_null(cors_names_add(n, pool, "patch"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "get"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "Delete"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "CONNECT"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "trace"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "TRACK"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "PU T"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "PUT,"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "*"));
    ck_assert(cors_names_has(n, "PUT", 3));
    ck_assert(!cors_names_has(n, "put", 3));
    ck_assert(cors_names_has(n, "patch", 5));
    ck_assert(!cors_names_has(n, "PATCH", 5));
    ck_assert_str_eq(cors_names_joined(n), "PUT, patch");

    n = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(n, pool, "*"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "PUT"));
    ck_assert(cors_names_any(n));
    ck_assert(cors_method_is_safelisted("GET"));
    ck_assert(!cors_method_is_safelisted("get"));
    ck_assert(!cors_method_is_safelisted("PUT"));
}
END_TEST

START_TEST(test_names_headers)
{
    static const char *const forbidden[] = {"Cookie",
                                            "Host",
                                            "Origin",
                                            "Sec-Fetch-Mode",
                                            "Proxy-Authorization",
                                            "Content-Length",
                                            "Referer",
                                            "Access-Control-Request-Method",
                                            NULL};
    cors_names_t *n = cors_names_make(pool, CORS_NAMES_REQUEST_HEADERS);
    int i;
    ck_assert_ptr_null(cors_names_add(n, pool, "X-Requested-With"));
    ck_assert_ptr_null(cors_names_add(n, pool, "Content-Type"));
    ck_assert_ptr_null(cors_names_add(n, pool, "*"));
    ck_assert_ptr_null(cors_names_add(n, pool, "Authorization"));
    for (i = 0; forbidden[i]; i++) {
        const char *why = cors_names_add(n, pool, forbidden[i]);
        ck_assert_msg(why && strstr(why, "forbidden"), "%s", forbidden[i]);
    }
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "X Foo"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "X-Foo:"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, ""));
    ck_assert(cors_names_has(n, "x-requested-with", 16));
    ck_assert(cors_names_has(n, "X-REQUESTED-WITH", 16));
    ck_assert_str_eq(cors_names_joined(n),
                     "X-Requested-With, Content-Type, *, Authorization");

    n = cors_names_make(pool, CORS_NAMES_RESPONSE_HEADERS);
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "Set-Cookie"));
    ck_assert_ptr_null(cors_names_add(n, pool, "X-Total"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "*"));
    n = cors_names_make(pool, CORS_NAMES_RESPONSE_HEADERS);
    ck_assert_ptr_null(cors_names_add(n, pool, "*"));
    ck_assert_ptr_nonnull(cors_names_add(n, pool, "X-Total"));
}
END_TEST

/* The size of the process's address space (Linux), or 0 where it cannot
 * be told.  APR's allocators get their blocks from mmap() (Debian) or
 * malloc(), so what a pool takes shows here. */
static size_t address_space(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) {
            pages = 0;
        }
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Adds count names to a new set in a pool of its own; returns the bytes
 * that took, after checking the joined list name by name (without
 * allocating). */
static size_t names_cost(cors_names_kind_t kind, int count)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    cors_names_t *n;
    const char *j;
    char name[32];
    size_t before, after;
    int i;

    ck_assert_int_eq(apr_allocator_create(&a), APR_SUCCESS);
    before = address_space();
    ck_assert_int_eq(apr_pool_create_ex(&p, NULL, NULL, a), APR_SUCCESS);
    apr_allocator_owner_set(a, p);
    n = cors_names_make(p, kind);
    for (i = 0; i < count; i++) {
        snprintf(name, sizeof(name), "X-Name-%d", i);
        ck_assert_ptr_null(cors_names_add(n, p, name));
    }
    after = address_space();
    j = cors_names_joined(n);
    for (i = 0; i < count; i++) {
        size_t len = (size_t)snprintf(name, sizeof(name), "%sX-Name-%d",
                                      i ? ", " : "", i);
        ck_assert_msg(!strncmp(j, name, len), "name %d: %.40s", i, j);
        j += len;
    }
    ck_assert_str_eq(j, "");
    ck_assert(cors_names_has(n, "X-Name-0", 8));
    snprintf(name, sizeof(name), "X-Name-%d", count - 1);
    ck_assert(cors_names_has(n, name, strlen(name)));
    ck_assert(!cors_names_has(n, "X-Name-", 7));
    apr_pool_destroy(p); /* and its allocator */
    return after - before;
}

/* Thousands of names (an .htaccess may list them): joining them used to
 * copy the list once per name, 8,000 names costing 300 MiB and 200 ms per
 * request.  Now linear: 16 times the names, about 16 times the bytes. */
START_TEST(test_names_many)
{
    static const cors_names_kind_t kinds[] = {CORS_NAMES_METHODS,
                                              CORS_NAMES_REQUEST_HEADERS,
                                              CORS_NAMES_RESPONSE_HEADERS};
    size_t small = names_cost(kinds[_i], 1000);
    size_t big = names_cost(kinds[_i], 16000);
    if (small == 0) {
        return; /* no statistics here: the list was still checked */
    }
    ck_assert_msg(big < 20 * small, "1,000 names: %zu bytes; 16,000: %zu",
                  small, big);
}
END_TEST

/* As many schemes as values: building and matching stay fast. */
START_TEST(test_origins_many_schemes)
{
    cors_origins_t *o = cors_origins_make(pool);
    char v[64];
    int i;
    for (i = 0; i < 20000; i++) {
        snprintf(v, sizeof(v), "s%d://*.example.com%s", i, i % 2 ? ":*" : "");
        ck_assert_ptr_null(cors_origins_add(o, pool, v));
    }
    ck_assert_int_eq(match(o, "s19998://a.example.com"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "s19999://a.example.com:8"), CORS_ORIGIN_ALLOWED);
    ck_assert_int_eq(match(o, "s19998://a.example.com:8"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "s20000://a.example.com"), CORS_ORIGIN_DENIED);
    ck_assert_int_eq(match(o, "s1://example.com"), CORS_ORIGIN_DENIED);
}
END_TEST

START_TEST(test_tokens)
{
    ck_assert(cors_is_token("x-foo", 5));
    ck_assert(cors_is_token("!#$%&'*+-.^_`|~09azAZ", 21));
    ck_assert(!cors_is_token("", 0));
    ck_assert(!cors_is_token("a b", 3));
    ck_assert(!cors_is_token("a:b", 3));
    ck_assert(!cors_is_token("a\"b", 3));
    ck_assert(!cors_is_token("\xff", 1));
}
END_TEST

/* ---------------------------------------------------------------- */
/* Access-Control-Request-Headers                                    */
/* ---------------------------------------------------------------- */

static cors_names_t *header_set(const char *const *names)
{
    cors_names_t *n = cors_names_make(pool, CORS_NAMES_REQUEST_HEADERS);
    for (; *names; names++) {
        ck_assert_ptr_null(cors_names_add(n, pool, *names));
    }
    return n;
}

START_TEST(test_request_headers)
{
    static const char *const listed[] = {"X-A", "Content-Type", NULL};
    static const char *const star[] = {"*", NULL};
    static const char *const star_auth[] = {"*", "Authorization", NULL};
    cors_names_t *n = header_set(listed);
    apr_size_t count = 0, bad_len = 0;
    const char *bad = NULL;

    ck_assert_int_eq(cors_request_headers_check(n, "content-type,x-a", &count,
                                                &bad, &bad_len),
                     CORS_HEADERS_ALLOWED);
    ck_assert_int_eq(count, 2);
    /* Split lines arrive joined by ", "; spaces and empty elements. */
    ck_assert_int_eq(cors_request_headers_check(n, " x-a , ,,Content-Type ,",
                                                &count, NULL, NULL),
                     CORS_HEADERS_ALLOWED);
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(cors_request_headers_check(n, "", &count, NULL, NULL),
                     CORS_HEADERS_ALLOWED);
    ck_assert_int_eq(count, 0);
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-a, x-b", &count, &bad, &bad_len),
        CORS_HEADERS_DENIED);
    ck_assert_int_eq(bad_len, 3);
    ck_assert(!strncmp(bad, "x-b", 3));
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-a, x b", &count, &bad, &bad_len),
        CORS_HEADERS_MALFORMED);
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-a;x", &count, &bad, &bad_len),
        CORS_HEADERS_MALFORMED);
    ck_assert_int_eq(cors_request_headers_check(NULL, "x-a", NULL, NULL, NULL),
                     CORS_HEADERS_DENIED);

    n = header_set(star);
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-anything,x-else", NULL, NULL, NULL),
        CORS_HEADERS_ALLOWED);
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-a,authorization", NULL, NULL, NULL),
        CORS_HEADERS_DENIED);
    ck_assert_int_eq(
        cors_request_headers_check(n, "Authorization", NULL, NULL, NULL),
        CORS_HEADERS_DENIED);
    n = header_set(star_auth);
    ck_assert_int_eq(
        cors_request_headers_check(n, "x-a,authorization", NULL, NULL, NULL),
        CORS_HEADERS_ALLOWED);

    ck_assert_str_eq(cors_request_headers_join(pool, " X-A ,, b,c "),
                     "x-a, b, c");
    ck_assert_str_eq(cors_request_headers_join(pool, ""), "");
}
END_TEST

/* The bounds of the parser's work.  Without "*" the names are bounded by
 * the policy: the name after the set's count is refused once read
 * (TOO_MANY when it repeats a listed one), and past the set's name bytes
 * plus 128 reading stops (TOO_MANY).  Separators, white space and empty
 * elements count toward neither: httpd joins 16 empty
 * Access-Control-Request-Headers lines into ", , , ...", which asks for no
 * header at all.  They have a bound of their own, 256 bytes plus four per
 * listed name, which a flood of commas meets at once (TOO_MANY).  A value
 * longer than the two bounds together is refused unread (TOO_MANY). */
static const char *const *const header_sets[] = {
    NULL,
    (const char *const[]){"X-Foo", NULL},
    (const char *const[]){"X-Foo", "Content-Type", NULL},
    (const char *const[]){"*", NULL},
    (const char *const[]){"*", "Authorization", NULL},
};

static const struct {
    int set; /* in header_sets */
    const char *value;
    cors_headers_result_t result;
    int count;       /* names read, -1: not checked */
    const char *bad; /* the element reported, NULL: none */
} header_bounds[] = {
    /* Empty elements are not names. */
    {1, "{15:, }", CORS_HEADERS_ALLOWED, 0, NULL},
    {1, "{11:, }x-foo", CORS_HEADERS_ALLOWED, 1, NULL},
    {1, "{11:, }x-foo{4:, }", CORS_HEADERS_ALLOWED, 1, NULL},
    {2, "{15:, }content-type, , x-foo{15:, }", CORS_HEADERS_ALLOWED, 2, NULL},
    {1, "{260:,}", CORS_HEADERS_ALLOWED, 0, NULL},
    {1, "{50: \t,}X-Foo{20:, }", CORS_HEADERS_ALLOWED, 1, NULL},
    /* A flood of separators: refused once past the bound. */
    {1, "{261:,}", CORS_HEADERS_TOO_MANY, 0, NULL},
    {1, "{4096:,}", CORS_HEADERS_TOO_MANY, 0, NULL},
    {1, "{2000: \t,}X-Foo{2000:, }", CORS_HEADERS_TOO_MANY, 0, NULL},
    {1, "X-Foo{300: }", CORS_HEADERS_TOO_MANY, 0, NULL},
    {3, "{4096:,}", CORS_HEADERS_ALLOWED, 0, NULL},
    {0, "{15:, }", CORS_HEADERS_ALLOWED, 0, NULL},
    {0, "", CORS_HEADERS_ALLOWED, 0, NULL},
    {3, "{15:, }", CORS_HEADERS_ALLOWED, 0, NULL},
    /* More names than the set holds: refused at the first one too many. */
    {1, "x-foo, x-foo", CORS_HEADERS_TOO_MANY, 2, "x-foo"},
    {1, "x-foo{15:, }x-foo", CORS_HEADERS_TOO_MANY, 2, "x-foo"},
    {2, "x-foo, content-type, X-FOO", CORS_HEADERS_TOO_MANY, 3, "X-FOO"},
    /* Longer than both bounds together (here 5 + 128 name bytes and
     * 256 + 4 separator bytes): refused before any name is read. */
    {1, "{2048:x-foo,}", CORS_HEADERS_TOO_MANY, 0, NULL},
    {1, "x-bar{194:, }", CORS_HEADERS_DENIED, 1, "x-bar"},
    {1, "x-bar{194:, } ", CORS_HEADERS_TOO_MANY, 0, NULL},
    {1, "x-foo;{387:y}", CORS_HEADERS_MALFORMED, 1, NULL},
    {1, "x-foo;{388:y}", CORS_HEADERS_TOO_MANY, 0, NULL}, /* malformed too */
    {1, "x-foo, x-bar", CORS_HEADERS_DENIED, 2, "x-bar"}, /* not listed */
    {2, "x-foo, x-foo", CORS_HEADERS_ALLOWED, 2, NULL},   /* within the count */
    {3, "{2048:x-foo,}", CORS_HEADERS_ALLOWED, 2048, NULL},
    /* More name bytes than the set's names plus 128: stops reading. */
    {1, "{4096:x}", CORS_HEADERS_TOO_MANY, -1, NULL},
    {0, "{4096:x}", CORS_HEADERS_TOO_MANY, -1, NULL},
    {1, "{133:x}", CORS_HEADERS_DENIED, 1, NULL},
    {1, "{134:x}", CORS_HEADERS_TOO_MANY, -1, NULL},
    {1, "x-foo, {128:x}", CORS_HEADERS_DENIED, 2, NULL},
    {1, "x-foo, {129:x}", CORS_HEADERS_TOO_MANY, -1, NULL},
    {0, "x-a", CORS_HEADERS_DENIED, 1, "x-a"},
    {3, "{4096:x}", CORS_HEADERS_ALLOWED, 1, NULL},
    /* Malformed elements, "*" and Authorization: as before. */
    {1, ", , x-foo;, ", CORS_HEADERS_MALFORMED, 1, "x-foo;"},
    {1, "x-foo, , x b", CORS_HEADERS_MALFORMED, 2, "x b"},
    {0, "{15:, };", CORS_HEADERS_MALFORMED, 1, ";"},
    {3, "{15:, }authorization", CORS_HEADERS_DENIED, 1, "authorization"},
    {3, "x-a,Authorization", CORS_HEADERS_DENIED, 2, "Authorization"},
    {4, "x-a,Authorization", CORS_HEADERS_ALLOWED, 2, NULL},
    {-1, NULL, CORS_HEADERS_ALLOWED, 0, NULL}};

START_TEST(test_request_headers_bounds)
{
    int i;
    for (i = 0; header_bounds[i].value; i++) {
        const char *const *names = header_sets[header_bounds[i].set];
        cors_names_t *n = names ? header_set(names) : NULL;
        const char *v = expand(header_bounds[i].value), *bad = NULL;
        apr_size_t count = 0, bad_len = 0;
        cors_headers_result_t r =
            cors_request_headers_check(n, v, &count, &bad, &bad_len);
        ck_assert_msg(r == header_bounds[i].result,
                      "set %d, \"%s\": %d, expected %d", header_bounds[i].set,
                      header_bounds[i].value, (int)r,
                      (int)header_bounds[i].result);
        if (header_bounds[i].count >= 0) {
            ck_assert_msg(count == (apr_size_t)header_bounds[i].count,
                          "\"%s\": %d names, expected %d",
                          header_bounds[i].value, (int)count,
                          header_bounds[i].count);
        }
        if (r == CORS_HEADERS_ALLOWED) {
            ck_assert_ptr_null(bad);
        } else {
            ck_assert(bad >= v && bad + bad_len <= v + strlen(v));
        }
        if (header_bounds[i].bad) {
            ck_assert_msg(bad_len == strlen(header_bounds[i].bad) &&
                              !memcmp(bad, header_bounds[i].bad, bad_len),
                          "\"%s\": reported \"%.*s\", expected \"%s\"",
                          header_bounds[i].value, (int)bad_len, bad,
                          header_bounds[i].bad);
        }
    }
}
END_TEST

/* ---------------------------------------------------------------- */
/* Merging                                                           */
/* ---------------------------------------------------------------- */

static cors_policy_t *policy(const char *origin, int credentials)
{
    cors_policy_t *p = cors_policy_make(pool);
    p->set = 1; /* as a directive would */
    if (origin) {
        p->origins = cors_origins_make(pool);
        ck_assert_ptr_null(cors_origins_add(p->origins, pool, origin));
    }
    p->credentials = credentials;
    return p;
}

START_TEST(test_merge)
{
    cors_policy_t *parent = policy("https://a.example", CORS_ON);
    cors_policy_t *child = policy(NULL, CORS_UNSET);
    cors_policy_t *m;

    parent->max_age_str = "600";
    parent->methods = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(parent->methods, pool, "PUT"));

    /* Unset settings inherit. */
    m = cors_policy_merge(pool, parent, child);
    ck_assert_ptr_eq(m->origins, parent->origins);
    ck_assert_int_eq(m->credentials, CORS_ON);
    ck_assert_str_eq(m->max_age_str, "600");
    ck_assert_ptr_eq(m->methods, parent->methods);
    ck_assert(cors_policy_active(m));

    /* A child's list replaces the parent's. */
    child->origins = cors_origins_make(pool);
    ck_assert_ptr_null(
        cors_origins_add_regex(child->origins, pool, "https://b\\.example", 1));
    child->methods = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(child->methods, pool, "DELETE"));
    m = cors_policy_merge(pool, parent, child);
    ck_assert_ptr_eq(m->origins, child->origins);
    ck_assert_int_eq(
        cors_origins_match(m->origins, "https://a.example", pool, NULL),
        CORS_ORIGIN_DENIED);
    ck_assert_ptr_eq(m->methods, child->methods);

    /* Engine Off below, On again further down. */
    child = policy(NULL, CORS_UNSET);
    child->engine = CORS_OFF;
    m = cors_policy_merge(pool, parent, child);
    ck_assert(!cors_policy_active(m));
    {
        cors_policy_t *grandchild = policy(NULL, CORS_UNSET);
        cors_policy_t *m2 = cors_policy_merge(pool, m, grandchild);
        ck_assert(!cors_policy_active(m2));
        grandchild->engine = CORS_ON;
        m2 = cors_policy_merge(pool, m, grandchild);
        ck_assert(cors_policy_active(m2));
    }

    /* No origins: no policy. */
    ck_assert(!cors_policy_active(policy(NULL, CORS_ON)));

    /* "*" from the parent meets credentials from the child. */
    parent = policy("*", CORS_UNSET);
    child = policy(NULL, CORS_ON);
    m = cors_policy_merge(pool, parent, child);
    ck_assert(cors_policy_credentials_conflict(m));
}
END_TEST

/* "file:line" of each setting follows the setting through merging. */
START_TEST(test_merge_where)
{
    cors_policy_t *parent = policy("https://a.example", CORS_ON);
    cors_policy_t *child = policy(NULL, CORS_UNSET);
    cors_policy_t *m;

    parent->where[CORS_SET_ORIGINS] = "a.conf:1";
    parent->where[CORS_SET_CREDENTIALS] = "a.conf:2";
    child->methods = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(child->methods, pool, "PUT"));
    child->where[CORS_SET_METHODS] = ".htaccess:3";
    m = cors_policy_merge(pool, parent, child);
    ck_assert_str_eq(m->where[CORS_SET_ORIGINS], "a.conf:1");
    ck_assert_str_eq(m->where[CORS_SET_CREDENTIALS], "a.conf:2");
    ck_assert_str_eq(m->where[CORS_SET_METHODS], ".htaccess:3");
    ck_assert_ptr_null(m->where[CORS_SET_MAX_AGE]);

    /* A child's origins replace the parent's, and their place too. */
    child->origins = cors_origins_make(pool);
    ck_assert_ptr_null(
        cors_origins_add(child->origins, pool, "https://b.example"));
    child->where[CORS_SET_ORIGINS] = ".htaccess:1";
    m = cors_policy_merge(pool, parent, child);
    ck_assert_str_eq(m->where[CORS_SET_ORIGINS], ".htaccess:1");

    /* A scope that sets nothing is skipped: the other side serves. */
    ck_assert_ptr_eq(cors_policy_merge(pool, parent, cors_policy_make(pool)),
                     parent);
}
END_TEST

START_TEST(test_max_age)
{
    int s = -1;
    ck_assert_ptr_null(cors_parse_max_age("0", &s));
    ck_assert_int_eq(s, 0);
    ck_assert_ptr_null(cors_parse_max_age("86400", &s));
    ck_assert_int_eq(s, 86400);
    ck_assert_ptr_nonnull(cors_parse_max_age("86401", &s));
    ck_assert_ptr_nonnull(cors_parse_max_age("-1", &s));
    ck_assert_ptr_nonnull(cors_parse_max_age("", &s));
    ck_assert_ptr_nonnull(cors_parse_max_age("10s", &s));
    ck_assert_ptr_nonnull(cors_parse_max_age("99999999999999999999", &s));
}
END_TEST

/* ---------------------------------------------------------------- */
/* The decision                                                      */
/* ---------------------------------------------------------------- */

static cors_decision_t decide(const cors_policy_t *p, const char *method,
                              const char *origin, const char *acrm,
                              const char *acrh, const char *pna)
{
    cors_request_t req = {method, origin, acrm, acrh, pna};
    cors_decision_t d;
    d = *cors_decide(p, &req, pool);
    return d;
}

START_TEST(test_decide_actual)
{
    cors_policy_t *p = policy("https://a.example", CORS_ON);
    cors_decision_t d;
    p->expose_headers = cors_names_make(pool, CORS_NAMES_RESPONSE_HEADERS);
    ck_assert_ptr_null(cors_names_add(p->expose_headers, pool, "X-Total"));

    d = decide(p, "GET", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_NOT_CORS);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_str_eq(d.vary, "Origin");

    d = decide(p, "DELETE", "https://a.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_ALLOWED);
    ck_assert_str_eq(d.allow_origin, "https://a.example");
    ck_assert_str_eq(d.allow_credentials, "true");
    ck_assert_str_eq(d.expose_headers, "X-Total");
    ck_assert_str_eq(d.vary, "Origin");

    d = decide(p, "GET", "https://b.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_DISALLOWED);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_ptr_null(d.allow_credentials);
    ck_assert_ptr_null(d.expose_headers);
    ck_assert_str_eq(d.vary, "Origin");

    d = decide(p, "GET", "null", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_DISALLOWED);
    ck_assert_str_eq(d.reason, "malformed Origin");

    /* OPTIONS without Access-Control-Request-Method is not a preflight. */
    d = decide(p, "OPTIONS", "https://a.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_ALLOWED);
    /* Access-Control-Request-Method on another method neither. */
    d = decide(p, "PUT", "https://a.example", "PUT", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_ALLOWED);
}
END_TEST

START_TEST(test_decide_any)
{
    cors_policy_t *p = policy("*", CORS_UNSET);
    cors_policy_t *child = policy(NULL, CORS_ON);
    cors_decision_t d = decide(p, "GET", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_NOT_CORS);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_ptr_null(d.vary);

    d = decide(p, "GET", "https://x.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_ALLOWED);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_ptr_null(d.vary);

    /* Merged with credentials: "*" and no credentials. */
    d = decide(cors_policy_merge(pool, p, child), "GET", "https://x.example",
               NULL, NULL, NULL);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_ptr_null(d.allow_credentials);
    d = decide(cors_policy_merge(pool, p, child), "OPTIONS",
               "https://x.example", "PUT", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    d = decide(cors_policy_merge(pool, p, child), "OPTIONS",
               "https://x.example", "GET", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_ptr_null(d.allow_credentials);
}
END_TEST

START_TEST(test_public_suffix)
{
    cors_origins_t *o = cors_origins_make(pool);
    ck_assert_str_eq(cors_origin_public_suffix(pool, "https://*.github.io"),
                     "github.io");
    ck_assert_str_eq(cors_origin_public_suffix(pool, "https://*.CO.UK:8443"),
                     "co.uk");
    ck_assert_str_eq(
        cors_origin_public_suffix(pool, "https://*.herokuapp.com:*"),
        "herokuapp.com");
    ck_assert_ptr_null(
        cors_origin_public_suffix(pool, "https://*.example.com"));
    ck_assert_ptr_null(cors_origin_public_suffix(pool, "http://*.localhost"));
    ck_assert_ptr_null(cors_origin_public_suffix(pool, "https://github.io"));
    ck_assert_ptr_null(cors_origin_public_suffix(pool, "https://a.github.io"));
    ck_assert_ptr_null(cors_origin_public_suffix(pool, "*"));
    /* Accepted by the engine; remembered for the glue. */
    ck_assert_ptr_null(cors_origins_add(o, pool, "https://*.example.com"));
    ck_assert_ptr_null(cors_origins_over_public_suffix(o));
    ck_assert_ptr_null(cors_origins_add(o, pool, "https://*.GitHub.io"));
    ck_assert_str_eq(cors_origins_over_public_suffix(o), "https://*.GitHub.io");
    /* Comma-separated lists are refused with the way to write them. */
    ck_assert_ptr_nonnull(
        strstr(cors_origins_add(o, pool, "https://a.example,"), "spaces"));
}
END_TEST

START_TEST(test_engine_report_only)
{
    cors_policy_t *parent = policy("https://a.example", CORS_UNSET);
    cors_policy_t *child = cors_policy_make(pool);
    cors_policy_t *m;
    parent->engine = CORS_REPORT_ONLY;
    /* A policy under ReportOnly is decided like one under On. */
    ck_assert(cors_policy_active(parent));
    child->set = 1;
    child->engine = CORS_ON;
    m = cors_policy_merge(pool, parent, child);
    ck_assert_int_eq(m->engine, CORS_ON);
    child->engine = CORS_UNSET;
    child->debug = CORS_ON;
    m = cors_policy_merge(pool, parent, child);
    ck_assert_int_eq(m->engine, CORS_REPORT_ONLY);
    ck_assert_int_eq(m->debug, CORS_ON);
    ck_assert(cors_policy_active(m));
}
END_TEST

START_TEST(test_method_near_miss)
{
    ck_assert_str_eq(cors_method_near_miss("PATH"), "PATCH");
    ck_assert_str_eq(cors_method_near_miss("PTACH"), "PATCH");
    ck_assert_str_eq(cors_method_near_miss("DELET"), "DELETE");
    ck_assert_str_eq(cors_method_near_miss("DELEET"), "DELETE");
    ck_assert_str_eq(cors_method_near_miss("OPTION"), "OPTIONS");
    ck_assert_str_eq(cors_method_near_miss("PUTT"), "PUT");
    ck_assert_ptr_null(cors_method_near_miss("PATCH"));
    ck_assert_ptr_null(cors_method_near_miss("PROPFIND"));
    ck_assert_ptr_null(cors_method_near_miss("MKCOL"));
    ck_assert_ptr_null(cors_method_near_miss("X"));
    ck_assert_ptr_null(cors_method_near_miss("patch"));
}
END_TEST

/* https://a.example, PUT, X-A, max-age 60; credentials as given. */
static cors_policy_t *preflight_policy(int credentials)
{
    cors_policy_t *p = policy("https://a.example", credentials);
    p->methods = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(p->methods, pool, "PUT"));
    p->allow_headers = cors_names_make(pool, CORS_NAMES_REQUEST_HEADERS);
    ck_assert_ptr_null(cors_names_add(p->allow_headers, pool, "X-A"));
    p->max_age_str = "60";
    return p;
}

START_TEST(test_decide_preflight_debug)
{
    cors_policy_t *p = preflight_policy(CORS_ON);
    cors_decision_t d;

    /* Off: a refusal carries nothing. */
    d = decide(p, "OPTIONS", "https://a.example", "DELETE", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_int_eq(d.debug_answer, 0);
    ck_assert_ptr_null(d.allow_origin);

    p->debug = CORS_ON;
    d = decide(p, "OPTIONS", "https://a.example", "DELETE", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_int_eq(d.debug_answer, 1);
    ck_assert_str_eq(d.allow_origin, "https://a.example");
    ck_assert_str_eq(d.allow_credentials, "true");
    ck_assert_str_eq(d.allow_methods, "PUT");
    ck_assert_str_eq(d.allow_headers, "X-A");
    ck_assert_ptr_null(d.max_age);
    d = decide(p, "OPTIONS", "https://a.example", "PUT", "x-b", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_int_eq(d.debug_answer, 1);
    d = decide(p, "OPTIONS", "https://a.example", "PUT", NULL, "true");
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_int_eq(d.debug_answer, 1);
    ck_assert_ptr_null(d.allow_private_network);
    /* A disallowed origin: bare, debug or not. */
    d = decide(p, "OPTIONS", "https://b.example", "PUT", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_int_eq(d.debug_answer, 0);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_ptr_null(d.allow_methods);
}
END_TEST

START_TEST(test_decide_preflight)
{
    cors_policy_t *p = preflight_policy(CORS_OFF);
    cors_decision_t d;

    d = decide(p, "OPTIONS", "https://a.example", "PUT", "x-a", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_origin, "https://a.example");
    ck_assert_ptr_null(d.allow_credentials);
    ck_assert_str_eq(d.allow_methods, "PUT");
    ck_assert_str_eq(d.allow_headers, "X-A");
    ck_assert_str_eq(d.max_age, "60");
    ck_assert_ptr_null(d.allow_private_network);
    ck_assert_str_eq(d.vary, "Origin, Access-Control-Request-Method, "
                             "Access-Control-Request-Headers");

    /* No headers requested: no Allow-Headers. */
    d = decide(p, "OPTIONS", "https://a.example", "PUT", NULL, NULL);
    ck_assert_ptr_null(d.allow_headers);
    d = decide(p, "OPTIONS", "https://a.example", "PUT", " , ", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_null(d.allow_headers);
    /* 16 empty header lines, as httpd joins them; then 11 and a name. */
    d = decide(p, "OPTIONS", "https://a.example", "PUT", expand("{15:, }"),
               NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_null(d.allow_headers);
    d = decide(p, "OPTIONS", "https://a.example", "PUT", expand("{11:, }x-a"),
               NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_headers, "X-A");
    d = decide(p, "OPTIONS", "https://a.example", "PUT", "x-a, x-a", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_str_eq(d.reason, "more request headers than the policy lists");

    /* Safelisted methods always pass; methods are case-sensitive. */
    d = decide(p, "OPTIONS", "https://a.example", "POST", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    d = decide(p, "OPTIONS", "https://a.example", "put", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_str_eq(d.reason, "method not allowed");
    ck_assert_ptr_null(d.allow_origin);
    d = decide(p, "OPTIONS", "https://a.example", "PUT, DELETE", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    d = decide(p, "OPTIONS", "https://a.example", "", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);

    /* Origin first, then headers. */
    d = decide(p, "OPTIONS", "https://b.example", "PUT", "x-a", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_str_eq(d.reason, "origin not allowed");
    d = decide(p, "OPTIONS", "https://a.example", "PUT", "x-a,x-b", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_str_eq(d.reason, "header not allowed");
    ck_assert_int_eq(d.detail_len, 3);
    ck_assert(!strncmp(d.detail, "x-b", 3));

    /* Private Network Access. */
    d = decide(p, "OPTIONS", "https://a.example", "GET", NULL, "true");
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_str_eq(d.reason, "private network access not allowed");
    p->private_network = CORS_ON;
    d = decide(p, "OPTIONS", "https://a.example", "GET", NULL, "true");
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_private_network, "true");
}
END_TEST

START_TEST(test_decide_preflight_credentials)
{
    cors_policy_t *p = policy("https://a.example", CORS_ON);
    cors_decision_t d;
    p->methods = cors_names_make(pool, CORS_NAMES_METHODS);
    ck_assert_ptr_null(cors_names_add(p->methods, pool, "*"));
    p->allow_headers = cors_names_make(pool, CORS_NAMES_REQUEST_HEADERS);
    ck_assert_ptr_null(cors_names_add(p->allow_headers, pool, "*"));

    /* With credentials "*" is literal to browsers: echo instead. */
    d = decide(p, "OPTIONS", "https://a.example", "PATCH", "X-B, x-a", NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_credentials, "true");
    ck_assert_str_eq(d.allow_methods, "PATCH");
    ck_assert_str_eq(d.allow_headers, "x-b, x-a");
    d = decide(p, "OPTIONS", "https://a.example", "PATCH", "authorization",
               NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);

    p->credentials = CORS_OFF;
    d = decide(p, "OPTIONS", "https://a.example", "PATCH", "x-b", NULL);
    ck_assert_str_eq(d.allow_methods, "*");
    /* Headers: never "*", the requested names (WebKit lets a cached "*"
     * cover Authorization). */
    ck_assert_str_eq(d.allow_headers, "x-b");
    d = decide(p, "OPTIONS", "https://a.example", "GET", "X-B,  X-A", NULL);
    ck_assert_str_eq(d.allow_headers, "x-b, x-a");
    d = decide(p, "OPTIONS", "https://a.example", "GET", "x-b, Authorization",
               NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_REFUSED);
    ck_assert_ptr_null(d.allow_headers);
    ck_assert_ptr_null(cors_names_add(p->allow_headers, pool, "Authorization"));
    d = decide(p, "OPTIONS", "https://a.example", "GET", "x-b, Authorization",
               NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(d.allow_headers, "x-b, authorization");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Origin maps (cors_map.c)                                          */
/* ---------------------------------------------------------------- */

/* Removes a map directory and the files in it (no subdirectories). */
static apr_status_t map_dir_remove(void *data)
{
    const char *d = data;
    apr_pool_t *p;
    apr_dir_t *dir;
    apr_finfo_t fi;
    apr_pool_create(&p, NULL);
    if (apr_dir_open(&dir, d, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
            if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
                apr_file_remove(apr_pstrcat(p, d, "/", fi.name, NULL), p);
            }
        }
        apr_dir_close(dir);
    }
    apr_dir_remove(d, p);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* A temporary directory for map files, removed with the test's pool. */
static const char *map_dir(void)
{
    char *d = apr_pstrdup(pool, "/tmp/cors-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    apr_pool_cleanup_register(pool, d, map_dir_remove, apr_pool_cleanup_null);
    return d;
}

/* Writes text beside path, then renames it over path: a new version. */
static void map_publish(const char *path, const char *text)
{
    char tmp[256];
    FILE *f;
    apr_snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(rename(tmp, path), 0);
}

static int map_has(cors_map_t *m, const char *origin)
{
    return cors_map_lookup(m, origin, strlen(origin), pool);
}

START_TEST(test_map_make)
{
    cors_map_t *m;
    ck_assert_ptr_null(cors_map_make(pool, "txt:maps/a.txt", "/srv", &m));
    ck_assert_str_eq(cors_map_name(m), "txt:/srv/maps/a.txt");
    ck_assert_str_eq(cors_map_rule(m), "map txt:/srv/maps/a.txt");
    ck_assert_int_eq(cors_map_is_file(m), 1);
    ck_assert_ptr_null(cors_map_make(pool, "txt:/etc/a.txt", "/srv", &m));
    ck_assert_str_eq(cors_map_name(m), "txt:/etc/a.txt");
    ck_assert_ptr_null(cors_map_make(pool, "dbm=sdbm:d/o", "/srv", &m));
    ck_assert_str_eq(cors_map_name(m), "dbm=sdbm:/srv/d/o");
    ck_assert_ptr_null(cors_map_make(pool, "dbm:/d/o", "/srv", &m));
    ck_assert_str_eq(cors_map_name(m), "dbm:/d/o");
    ck_assert_ptr_null(cors_map_make(pool, "redis://127.0.0.1", "/", &m));
    ck_assert_str_eq(cors_map_name(m), "redis://127.0.0.1:6379/cors:origin:");
    ck_assert_int_eq(cors_map_is_file(m), 0);
    ck_assert_ptr_null(
        cors_map_make(pool, "redis://127.0.0.1:7000/t:", "/", &m));
    ck_assert_str_eq(cors_map_name(m), "redis://127.0.0.1:7000/t:");
    ck_assert_ptr_null(cors_map_make(pool, "redis://[::1]:7000/", "/", &m));
    ck_assert_str_eq(cors_map_name(m), "redis://::1:7000/");

    ck_assert_ptr_nonnull(cors_map_make(pool, "txt:", "/", &m));
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(cors_map_make(pool, "/etc/a.txt", "/", &m));
    ck_assert_ptr_nonnull(cors_map_make(pool, "csv:/etc/a", "/", &m));
    ck_assert_ptr_nonnull(cors_map_make(pool, "txtx:/etc/a", "/", &m));
    ck_assert_ptr_nonnull(strstr(cors_map_make(pool, "dbm=nosuch:/a", "/", &m),
                                 "unknown DBM type 'nosuch'"));
    ck_assert_ptr_nonnull(cors_map_make(pool, "dbm=:/a", "/", &m));
    ck_assert_ptr_nonnull(cors_map_make(pool, "redis://", "/", &m));
    ck_assert_ptr_nonnull(cors_map_make(pool, "redis://:80", "/", &m));
    ck_assert_ptr_nonnull(cors_map_make(pool, "redis://h:99999", "/", &m));
}
END_TEST

START_TEST(test_map_txt_load)
{
    const char *dir = map_dir();
    const char *path = apr_pstrcat(pool, dir, "/o.txt", NULL);
    cors_map_t *m;
    cors_origins_t *o = cors_origins_make(pool);
    const char *rule = NULL;
    int count = -1;

    map_publish(path, "# tenants\n"
                      "https://a.example\r\n"
                      "   \n"
                      "\tHTTPS://Upper.Example  \n"
                      "https://*.wild.example\n"
                      "http://any.example:*\n"
                      "# last line without a newline\n"
                      "https://last.example");
    ck_assert_ptr_null(cors_map_make(pool, "txt:o.txt", dir, &m));
    ck_assert_ptr_null(cors_map_load(m, pool, pool, &count));
    ck_assert_int_eq(count, 5);
    ck_assert(map_has(m, "https://a.example"));
    ck_assert(map_has(m, "https://upper.example"));
    ck_assert(map_has(m, "https://x.y.wild.example"));
    ck_assert(!map_has(m, "https://wild.example"));
    ck_assert(map_has(m, "http://any.example:81"));
    ck_assert(map_has(m, "https://last.example"));
    ck_assert(!map_has(m, "https://b.example"));

    /* In the origin rules: after exact origins, before regexes. */
    ck_assert_ptr_null(cors_origins_add(o, pool, "https://a.example"));
    ck_assert_ptr_null(cors_origins_add_map(o, pool, m));
    ck_assert_ptr_null(cors_origins_add_regex(o, pool, "^https://.*$", 1));
    ck_assert_int_eq(cors_origins_match(o, "https://a.example", pool, &rule),
                     CORS_ORIGIN_ALLOWED);
    ck_assert_str_eq(rule, "exact origin");
    ck_assert_int_eq(
        cors_origins_match(o, "https://q.wild.example", pool, &rule),
        CORS_ORIGIN_ALLOWED);
    ck_assert_str_eq(rule, apr_pstrcat(pool, "map txt:", path, NULL));
    ck_assert_int_eq(cors_origins_match(o, "https://b.example", pool, &rule),
                     CORS_ORIGIN_ALLOWED);
    ck_assert_str_eq(rule, "regular expression");
    ck_assert_int_eq(cors_origins_match(o, "https://b.example/", pool, &rule),
                     CORS_ORIGIN_MALFORMED);
}
END_TEST

static const char *map_load_error(const char *text)
{
    const char *dir = map_dir();
    cors_map_t *m;
    int count;
    map_publish(apr_pstrcat(pool, dir, "/o.txt", NULL), text);
    ck_assert_ptr_null(cors_map_make(pool, "txt:o.txt", dir, &m));
    return cors_map_load(m, pool, pool, &count);
}

START_TEST(test_map_txt_invalid)
{
    const char *why;
    char *longline;
    cors_map_t *m;
    int count;

    why = map_load_error("https://a.example\n\nhttps://b.example/\n");
    ck_assert_ptr_nonnull(strstr(why, "/o.txt:3: 'https://b.example/': an "
                                      "origin has no path"));
    why = map_load_error("*\n");
    ck_assert_ptr_nonnull(strstr(why, ":1: '*': '*' cannot be in a map"));
    why = map_load_error("https://a.example,\n");
    ck_assert_ptr_nonnull(strstr(why, ":1: 'https://a.example,': origins are "
                                      "separated by spaces, not commas"));
    why = map_load_error("null\n");
    ck_assert_ptr_nonnull(strstr(why, ":1: 'null': the 'null' origin"));
    why = map_load_error("https://a.example https://b.example\n");
    ck_assert_ptr_nonnull(strstr(why, ":1: 'https://a.example https://b"));
    why = map_load_error("https://ok.example\nhttps://*.github.io\n");
    ck_assert_ptr_nonnull(strstr(why, ":2: 'https://*.github.io': allows "
                                      "every site under the public suffix "
                                      "'github.io'"));
    longline = apr_palloc(pool, 5000);
    memset(longline, '#', 4999);
    longline[4999] = '\0';
    why = map_load_error(longline);
    ck_assert_ptr_nonnull(strstr(why, ":1: line longer than 4096 bytes"));
    why = map_load_error("");
    ck_assert_ptr_null(why); /* empty: allows nothing, not an error */

    ck_assert_ptr_null(cors_map_make(pool, "txt:/nonexistent/o.txt", "/", &m));
    why = cors_map_load(m, pool, pool, &count);
    ck_assert_ptr_nonnull(strstr(why, "/nonexistent/o.txt: cannot open"));
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* The resident size of this process, from /proc (0 where there is none). */
static long resident_kib(void)
{
    char line[128];
    long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = strtol(line + 6, NULL, 10);
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

START_TEST(test_map_txt_versions)
{
    const char *dir = map_dir();
    const char *path = apr_pstrcat(pool, dir, "/o.txt", NULL);
    const char *msg;
    cors_map_t *m;
    int count, i;
    long rss = 0;
    apr_pool_t *child;

    map_publish(path, "https://a.example\n");
    ck_assert_ptr_null(cors_map_make(pool, "txt:o.txt", dir, &m));
    ck_assert_ptr_null(cors_map_load(m, pool, pool, &count));
    apr_pool_create(&child, pool);
    cors_map_child_init(m, child, 4);
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_UNCHANGED);

    map_publish(path, "https://b.example\nhttps://c.example\n");
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_RELOADED);
    ck_assert_int_eq(count, 2);
    ck_assert(!map_has(m, "https://a.example"));
    ck_assert(map_has(m, "https://b.example"));
    ck_assert_int_eq(cors_map_retired(m), 0);

    /* Refused as a whole, once per version; the last good one stays. */
    map_publish(path, "https://d.example\nhttps://e.example:0\n");
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_REFUSED);
    ck_assert_ptr_nonnull(strstr(msg, "o.txt:2: 'https://e.example:0'"));
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_UNCHANGED);
    ck_assert(map_has(m, "https://b.example"));
    ck_assert(!map_has(m, "https://d.example"));

    /* Missing: logged once, the last good version stays. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_MISSING);
    ck_assert_ptr_nonnull(strstr(msg, "missing or unreadable"));
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_UNCHANGED);
    ck_assert(map_has(m, "https://c.example"));

    /* 1,000 versions: each old one freed at once (no lookup in progress),
     * and the process does not grow: what the versions' allocator keeps
     * is reused by the next. */
    for (i = 0; i < 1000; i++) {
        if (i == 20) {
            rss = resident_kib();
        }
        apr_pool_t *scratch; /* per check, as the maintenance thread */
        apr_pool_create(&scratch, NULL);
        map_publish(path,
                    i % 2 ? "https://odd.example\n" : "https://even.example\n");
        ck_assert_int_eq(cors_map_refresh(m, scratch, NULL, &msg, &count),
                         CORS_MAP_RELOADED);
        apr_pool_destroy(scratch);
        ck_assert_int_eq(cors_map_retired(m), 0);
        ck_assert(
            map_has(m, i % 2 ? "https://odd.example" : "https://even.example"));
        ck_assert(!map_has(m, i % 2 ? "https://even.example"
                                    : "https://odd.example"));
    }
#ifndef UNDER_ASAN /* its quarantine keeps freed memory on purpose */
    ck_assert_int_lt(resident_kib() - rss, 256);
#else
    (void)rss;
#endif
}
END_TEST

START_TEST(test_map_dbm)
{
    const char *dir = map_dir();
    const char *path = apr_pstrcat(pool, dir, "/o", NULL);
    const char *msg;
    cors_map_t *m;
    apr_dbm_t *db;
    apr_datum_t k, v;
    int count;
    apr_pool_t *child;

    ck_assert_ptr_null(cors_map_make(pool, "dbm=sdbm:o", dir, &m));
    ck_assert_ptr_nonnull(
        strstr(cors_map_load(m, pool, pool, &count), "no such DBM file"));
    ck_assert_int_eq(apr_dbm_open_ex(&db, "sdbm", path, APR_DBM_RWCREATE,
                                     APR_OS_DEFAULT, pool),
                     APR_SUCCESS);
    k.dptr = "https://a.example";
    k.dsize = strlen(k.dptr);
    v.dptr = "1";
    v.dsize = 1;
    ck_assert_int_eq(apr_dbm_store(db, k, v), APR_SUCCESS);
    apr_dbm_close(db);
    ck_assert_ptr_null(cors_map_load(m, pool, pool, &count));
    /* Each process opens its own handle. */
    ck_assert(!map_has(m, "https://a.example"));
    apr_pool_create(&child, pool);
    cors_map_child_init(m, child, 1);
    ck_assert_int_eq(cors_map_refresh(m, pool, NULL, &msg, &count),
                     CORS_MAP_RELOADED);
    ck_assert(map_has(m, "https://a.example"));
    ck_assert(!map_has(m, "https://b.example"));
    ck_assert(!map_has(m, "https://a.exampl"));
}
END_TEST

START_TEST(test_map_redis_unreachable)
{
    cors_map_t *m;
    apr_pool_t *child;
    apr_status_t last;
    apr_time_t t;
    apr_socket_t *s;
    apr_sockaddr_t *sa;
    apr_port_t port;

    /* A port nothing listens on: bound, then closed. */
    ck_assert_int_eq(
        apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0, pool),
        APR_SUCCESS);
    ck_assert_int_eq(
        apr_socket_create(&s, APR_INET, SOCK_STREAM, APR_PROTO_TCP, pool),
        APR_SUCCESS);
    ck_assert_int_eq(apr_socket_bind(s, sa), APR_SUCCESS);
    apr_socket_addr_get(&sa, APR_LOCAL, s);
    port = sa->port;
    apr_socket_close(s);

    ck_assert_ptr_null(cors_map_make(
        pool, apr_psprintf(pool, "redis://127.0.0.1:%d", port), "/", &m));
    /* No child_init: nothing is asked, nothing granted. */
    ck_assert(!map_has(m, "https://a.example"));
    apr_pool_create(&child, pool);
    cors_map_child_init(m, child, 2);
    t = apr_time_now();
    ck_assert(!map_has(m, "https://a.example"));
    ck_assert_int_eq(cors_map_errors(m, &last), 1);
    ck_assert(last != APR_SUCCESS);
    /* Down: refused at once, without asking again. */
    ck_assert(!map_has(m, "https://b.example"));
    ck_assert_int_eq(cors_map_errors(m, &last), 1);
    ck_assert(apr_time_now() - t < apr_time_from_msec(500));
}
END_TEST

/* Rules: the first that applies decides                             */
/* ---------------------------------------------------------------- */

/* A rule: origins (space-separated), methods (NULL: unset), credentials. */
static cors_policy_t *rule(const char *name, const char *origins,
                           const char *methods, int credentials)
{
    cors_policy_t *r = cors_policy_make(pool);
    char *list = apr_pstrdup(pool, origins), *last, *v;
    r->set = 1;
    r->name = name;
    r->credentials = credentials;
    r->origins = cors_origins_make(pool);
    for (v = apr_strtok(list, " ", &last); v;
         v = apr_strtok(NULL, " ", &last)) {
        ck_assert_ptr_null(cors_origins_add(r->origins, pool, v));
    }
    if (methods) {
        list = apr_pstrdup(pool, methods);
        r->methods = cors_names_make(pool, CORS_NAMES_METHODS);
        for (v = apr_strtok(list, " ", &last); v;
             v = apr_strtok(NULL, " ", &last)) {
            ck_assert_ptr_null(cors_names_add(r->methods, pool, v));
        }
    }
    return r;
}

/* The scope of the manual's example: the application's origin with
 * credentials and writes, then everyone else reading; CORSMaxAge 600 as
 * the scope's default. */
static cors_policy_t *bucket(void)
{
    cors_policy_t *scope = cors_policy_make(pool);
    scope->set = 1;
    scope->max_age_str = "600";
    ck_assert_ptr_null(cors_policy_add_rule(
        pool, scope, rule("app", "https://app.example", "GET PUT", CORS_ON)));
    ck_assert_ptr_null(cors_policy_add_rule(
        pool, scope, rule("public", "*", "GET HEAD", CORS_UNSET)));
    return scope;
}

static const struct {
    const char *method, *origin, *acrm;
    cors_verdict_t verdict;
    const char *rule, *allow_origin, *credentials, *methods;
} rule_cases[] = {
    {"GET", "https://app.example", NULL, CORS_ALLOWED, "app",
     "https://app.example", "true", NULL},
    {"PUT", "https://app.example", NULL, CORS_ALLOWED, "app",
     "https://app.example", "true", NULL},
    {"GET", "https://x.example", NULL, CORS_ALLOWED, "public", "*", NULL, NULL},
    {"HEAD", "https://app.example", NULL, CORS_ALLOWED, "public", "*", NULL,
     NULL},
    /* a method no rule lists for the origin: refused, the near miss named */
    {"POST", "https://app.example", NULL, CORS_DISALLOWED, "app", NULL, NULL,
     NULL},
    {"PUT", "https://x.example", NULL, CORS_DISALLOWED, "public", NULL, NULL,
     NULL},
    {"OPTIONS", "https://app.example", "PUT", CORS_PREFLIGHT_ALLOWED, "app",
     "https://app.example", "true", "GET, PUT"},
    {"OPTIONS", "https://x.example", "GET", CORS_PREFLIGHT_ALLOWED, "public",
     "*", NULL, "GET, HEAD"},
    {"OPTIONS", "https://x.example", "PUT", CORS_PREFLIGHT_REFUSED, "public",
     NULL, NULL, NULL},
    /* POST is safelisted, but no rule lists it */
    {"OPTIONS", "https://app.example", "POST", CORS_PREFLIGHT_REFUSED, "app",
     NULL, NULL, NULL},
    {"OPTIONS", "https://app.example", "HEAD", CORS_PREFLIGHT_ALLOWED, "public",
     "*", NULL, "GET, HEAD"},
};

START_TEST(test_rules_first_applies)
{
    cors_policy_t *scope = bucket();
    int i = _i;
    cors_decision_t d =
        decide(scope, rule_cases[i].method, rule_cases[i].origin,
               rule_cases[i].acrm, NULL, NULL);
    ck_assert_msg(d.verdict == rule_cases[i].verdict, "case %d: verdict %s", i,
                  cors_verdict_name(d.verdict));
    ck_assert_pstr_eq(d.rule, rule_cases[i].rule);
    ck_assert_pstr_eq(d.allow_origin, rule_cases[i].allow_origin);
    ck_assert_pstr_eq(d.allow_credentials, rule_cases[i].credentials);
    ck_assert_pstr_eq(d.allow_methods, rule_cases[i].methods);
    ck_assert_pstr_eq(d.max_age,
                      d.verdict == CORS_PREFLIGHT_ALLOWED ? "600" : NULL);
    /* "*" among rules that echo origins: the answer depends on Origin. */
    ck_assert_pstr_eq(d.vary,
                      rule_cases[i].acrm ? CORS_VARY_PREFLIGHT : "Origin");
}
END_TEST

START_TEST(test_rules_merge)
{
    cors_policy_t *scope = bucket();
    cors_policy_t *child = cors_policy_make(pool), *origins, *merged, eff;
    cors_decision_t d;

    /* A child's setting overrides it in every rule, a rule's own too. */
    child->set = 1;
    child->credentials = CORS_OFF;
    child->max_age_str = "60";
    child->where[CORS_SET_MAX_AGE] = "child.conf:3";
    merged = cors_policy_merge(pool, scope, child);
    d = decide(merged, "OPTIONS", "https://app.example", "PUT", NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_null(d.allow_credentials);
    ck_assert_str_eq(d.max_age, "60");
    /* ...and where it was set goes with it, for cors-info. */
    cors_rule_resolve(APR_ARRAY_IDX(merged->rules, 0, cors_policy_t *), merged,
                      &eff);
    ck_assert_str_eq(eff.where[CORS_SET_MAX_AGE], "child.conf:3");
    /* The parent's rules are untouched. */
    d = decide(scope, "OPTIONS", "https://app.example", "PUT", NULL, NULL);
    ck_assert_str_eq(d.allow_credentials, "true");

    /* A child's origins replace the rules. */
    origins = policy("https://other.example", CORS_UNSET);
    d = decide(cors_policy_merge(pool, scope, origins), "GET",
               "https://app.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_DISALLOWED);
    ck_assert_ptr_null(d.rule);
    /* ...and a child's rules replace the parent's origins. */
    d = decide(cors_policy_merge(pool, origins, scope), "GET",
               "https://other.example", NULL, NULL, NULL);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_str_eq(d.rule, "public");
}
END_TEST

START_TEST(test_rules_refused)
{
    cors_policy_t *scope = cors_policy_make(pool);
    cors_policy_t *empty = cors_policy_make(pool);
    ck_assert_ptr_nonnull(cors_policy_add_rule(pool, scope, empty));
    scope = policy("https://a.example", CORS_UNSET);
    ck_assert_ptr_nonnull(cors_policy_add_rule(
        pool, scope, rule("r", "https://b.example", NULL, CORS_UNSET)));
}
END_TEST

START_TEST(test_rules_star_only)
{
    cors_policy_t *scope = cors_policy_make(pool);
    cors_decision_t d;
    ck_assert_ptr_null(cors_policy_add_rule(
        pool, scope, rule("reads", "*", "GET", CORS_UNSET)));
    ck_assert_ptr_null(cors_policy_add_rule(
        pool, scope, rule("writes", "*", "PUT", CORS_UNSET)));
    /* Every rule "*": the same answer for everyone, no Vary. */
    d = decide(scope, "PUT", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_NOT_CORS);
    ck_assert_str_eq(d.allow_origin, "*");
    ck_assert_str_eq(d.rule, "writes");
    ck_assert_ptr_null(d.vary);
    d = decide(scope, "POST", "https://x.example", NULL, NULL, NULL);
    ck_assert_int_eq(d.verdict, CORS_DISALLOWED);
    ck_assert_ptr_null(d.vary);
}
END_TEST

START_TEST(test_header_patterns)
{
    static const struct {
        cors_names_kind_t kind;
        const char *value;
        cors_headers_result_t want;
    } cases[] = {
        {CORS_NAMES_REQUEST_HEADERS, "x-amz-date", CORS_HEADERS_ALLOWED},
        {CORS_NAMES_REQUEST_HEADERS, "X-AMZ-DATE, content-type",
         CORS_HEADERS_ALLOWED},
        {CORS_NAMES_REQUEST_HEADERS, "x-amz-", CORS_HEADERS_ALLOWED},
        {CORS_NAMES_REQUEST_HEADERS, "x-am", CORS_HEADERS_DENIED},
        {CORS_NAMES_REQUEST_HEADERS, "my-token", CORS_HEADERS_ALLOWED},
        {CORS_NAMES_REQUEST_HEADERS, "authorization", CORS_HEADERS_DENIED},
        {CORS_NAMES_S3_HEADERS, "authorization", CORS_HEADERS_DENIED},
        {CORS_NAMES_S3_HEADERS, "x-amz-date", CORS_HEADERS_ALLOWED},
        {CORS_NAMES_S3_HEADERS, "x-other", CORS_HEADERS_DENIED},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cors_names_t *n = cors_names_make(pool, cases[i].kind);
        ck_assert_ptr_null(cors_names_add(n, pool, "X-Amz-*"));
        ck_assert_ptr_null(cors_names_add(n, pool, "*-Token"));
        ck_assert_ptr_null(cors_names_add(n, pool, "Content-Type"));
        ck_assert_int_eq(cors_names_wide(n), 1);
        ck_assert_msg(cors_request_headers_check(n, cases[i].value, NULL, NULL,
                                                 NULL) == cases[i].want,
                      "%zu: %s", i, cases[i].value);
    }
    /* S3's "*" covers Authorization; CORSAllowHeaders' does not. */
    for (i = 0; i < 2; i++) {
        cors_names_t *n = cors_names_make(pool, i ? CORS_NAMES_S3_HEADERS
                                                  : CORS_NAMES_REQUEST_HEADERS);
        ck_assert_ptr_null(cors_names_add(n, pool, "*"));
        ck_assert_int_eq(cors_request_headers_check(n, "Authorization, X-A",
                                                    NULL, NULL, NULL),
                         i ? CORS_HEADERS_ALLOWED : CORS_HEADERS_DENIED);
    }
    /* Two stars: refused. */
    ck_assert_ptr_nonnull(cors_names_add(
        cors_names_make(pool, CORS_NAMES_REQUEST_HEADERS), pool, "X-*-*"));
}
END_TEST

/* ---------------------------------------------------------------- */
/* S3/HCP CORSConfiguration documents (cors_s3.c)                    */
/* ---------------------------------------------------------------- */

/* The AWS documentation's examples ("CORS configuration", S3 user guide),
 * as printed there. */
static const char s3_example1[] =
    "<CORSConfiguration>\n"
    " <CORSRule>\n"
    "   <AllowedOrigin>http://www.example1.com</AllowedOrigin>\n"
    "\n"
    "   <AllowedMethod>PUT</AllowedMethod>\n"
    "   <AllowedMethod>POST</AllowedMethod>\n"
    "   <AllowedMethod>DELETE</AllowedMethod>\n"
    "\n"
    "   <AllowedHeader>*</AllowedHeader>\n"
    " </CORSRule>\n"
    " <CORSRule>\n"
    "   <AllowedOrigin>http://www.example2.com</AllowedOrigin>\n"
    "\n"
    "   <AllowedMethod>PUT</AllowedMethod>\n"
    "   <AllowedMethod>POST</AllowedMethod>\n"
    "   <AllowedMethod>DELETE</AllowedMethod>\n"
    "\n"
    "   <AllowedHeader>*</AllowedHeader>\n"
    " </CORSRule>\n"
    " <CORSRule>\n"
    "   <AllowedOrigin>*</AllowedOrigin>\n"
    "   <AllowedMethod>GET</AllowedMethod>\n"
    " </CORSRule>\n"
    "</CORSConfiguration>\n";

static const char s3_example2[] =
    "<CORSConfiguration>\n"
    " <CORSRule>\n"
    "   <AllowedOrigin>http://www.example.com</AllowedOrigin>\n"
    "   <AllowedMethod>PUT</AllowedMethod>\n"
    "   <AllowedMethod>POST</AllowedMethod>\n"
    "   <AllowedMethod>DELETE</AllowedMethod>\n"
    "   <AllowedHeader>*</AllowedHeader>\n"
    "  <MaxAgeSeconds>3000</MaxAgeSeconds>\n"
    "  <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>\n"
    "  <ExposeHeader>x-amz-request-id</ExposeHeader>\n"
    "  <ExposeHeader>x-amz-id-2</ExposeHeader>\n"
    " </CORSRule>\n"
    "</CORSConfiguration>\n";

/* The values of an array of strings joined with ' ', or "" when empty. */
static const char *s3_join(const apr_array_header_t *a)
{
    return apr_array_pstrcat(pool, a, ' ');
}

static const cors_s3_rule_t *s3_rule(const apr_array_header_t *rules, int i)
{
    ck_assert_int_lt(i, rules->nelts);
    return &APR_ARRAY_IDX(rules, i, cors_s3_rule_t);
}

static apr_array_header_t *s3_ok(const char *doc)
{
    apr_array_header_t *rules = NULL;
    int line = -1;
    const char *why = cors_s3_parse(pool, doc, strlen(doc), &rules, &line);
    ck_assert_msg(why == NULL, "refused (line %d): %s\n%s", line, why, doc);
    ck_assert_ptr_nonnull(rules);
    ck_assert_int_eq(line, 0);
    return rules;
}

/* The root start tag, with a namespace or none, and a prolog or none. */
static const char *const s3_roots[] = {
    "<CORSConfiguration>",
    "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CORSConfiguration "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
};

static const char *s3_with_root(const char *doc, int root)
{
    const char *rest = doc + strlen("<CORSConfiguration>");
    ck_assert(!strncmp(doc, "<CORSConfiguration>", 19));
    return apr_pstrcat(pool, s3_roots[root], rest, NULL);
}

START_TEST(test_s3_example1)
{
    apr_array_header_t *rules = s3_ok(s3_with_root(s3_example1, _i));
    const cors_s3_rule_t *r;
    ck_assert_int_eq(rules->nelts, 3);
    r = s3_rule(rules, 0);
    ck_assert_ptr_null(r->id);
    ck_assert_int_eq(r->line, 2);
    ck_assert_str_eq(s3_join(r->origins), "http://www.example1.com");
    ck_assert_str_eq(s3_join(r->methods), "PUT POST DELETE");
    ck_assert_str_eq(s3_join(r->allowed_headers), "*");
    ck_assert_int_eq(r->expose_headers->nelts, 0);
    ck_assert_int_eq(r->max_age, -1);
    r = s3_rule(rules, 1);
    ck_assert_int_eq(r->line, 11);
    ck_assert_str_eq(s3_join(r->origins), "http://www.example2.com");
    ck_assert_str_eq(s3_join(r->methods), "PUT POST DELETE");
    ck_assert_str_eq(s3_join(r->allowed_headers), "*");
    r = s3_rule(rules, 2);
    ck_assert_int_eq(r->line, 20);
    ck_assert_str_eq(s3_join(r->origins), "*");
    ck_assert_str_eq(s3_join(r->methods), "GET");
    ck_assert_int_eq(r->allowed_headers->nelts, 0);
    ck_assert_int_eq(r->max_age, -1);
}
END_TEST

START_TEST(test_s3_example2)
{
    apr_array_header_t *rules = s3_ok(s3_with_root(s3_example2, _i));
    const cors_s3_rule_t *r;
    ck_assert_int_eq(rules->nelts, 1);
    r = s3_rule(rules, 0);
    ck_assert_int_eq(r->line, 2);
    ck_assert_str_eq(s3_join(r->origins), "http://www.example.com");
    ck_assert_str_eq(s3_join(r->methods), "PUT POST DELETE");
    ck_assert_str_eq(s3_join(r->allowed_headers), "*");
    ck_assert_str_eq(s3_join(r->expose_headers),
                     "x-amz-server-side-encryption x-amz-request-id "
                     "x-amz-id-2");
    ck_assert_int_eq(r->max_age, 3000);
}
END_TEST

/* Accepted documents and what one value becomes. */
static const struct {
    const char *doc;
    const char *id;
    const char *origins;
    const char *methods;
    const char *allowed;
    const char *expose;
    int max_age;
} s3_accepted[] = {
    /* A prefix bound to S3's namespace; attributes are ignored. */
    {"<s3:CORSConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/"
     "2006-03-01/\"><s3:CORSRule a=\"1\"><s3:ID>r1</s3:ID><s3:AllowedOrigin>"
     "https://a.example</s3:AllowedOrigin><s3:AllowedMethod>HEAD"
     "</s3:AllowedMethod></s3:CORSRule></s3:CORSConfiguration>",
     "r1", "https://a.example", "HEAD", "", "", -1},
    /* White space around values is trimmed; entities and CDATA are text;
     * comments are skipped. */
    {"<CORSConfiguration>\n<CORSRule>\n<ID>\n  app rule  \n</ID>\n"
     "<AllowedOrigin>  https://a.example\n</AllowedOrigin>"
     "<AllowedOrigin><![CDATA[http://*.b.example]]></AllowedOrigin>"
     "<!-- <AllowedOrigin>bad</AllowedOrigin> -->"
     "<AllowedMethod>\tGET\t</AllowedMethod><AllowedMethod>PUT"
     "</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
     "<AllowedHeader>Content-Type</AllowedHeader>"
     "<ExposeHeader>ETag</ExposeHeader>"
     "<MaxAgeSeconds>0</MaxAgeSeconds></CORSRule></CORSConfiguration>",
     "app rule", "https://a.example http://*.b.example", "GET PUT",
     "x-amz-* Content-Type", "ETag", 0},
    /* MaxAgeSeconds above a day: accepted, capped. */
    {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
     "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>86401"
     "</MaxAgeSeconds></CORSRule></CORSConfiguration>",
     NULL, "*", "GET", "", "", 86400},
    {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
     "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>2147483647"
     "</MaxAgeSeconds></CORSRule></CORSConfiguration>",
     NULL, "*", "GET", "", "", 86400},
    {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
     "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>86400"
     "</MaxAgeSeconds></CORSRule></CORSConfiguration>",
     NULL, "*", "GET", "", "", 86400},
    /* An empty ID names nothing. */
    {"<CORSConfiguration><CORSRule><ID/><AllowedOrigin>*</AllowedOrigin>"
     "<AllowedMethod>DELETE</AllowedMethod></CORSRule></CORSConfiguration>",
     NULL, "*", "DELETE", "", "", -1},
    /* A UTF-8 byte order mark; CRLF line ends. */
    {"\xef\xbb\xbf<CORSConfiguration>\r\n<CORSRule>\r\n<AllowedOrigin>*"
     "</AllowedOrigin>\r\n<AllowedMethod>POST</AllowedMethod>\r\n"
     "</CORSRule>\r\n</CORSConfiguration>\r\n",
     NULL, "*", "POST", "", "", -1},
};

START_TEST(test_s3_accepted)
{
    apr_array_header_t *rules = s3_ok(s3_accepted[_i].doc);
    const cors_s3_rule_t *r = s3_rule(rules, 0);
    ck_assert_int_eq(rules->nelts, 1);
    if (s3_accepted[_i].id) {
        ck_assert_pstr_eq(r->id, s3_accepted[_i].id);
    } else {
        ck_assert_ptr_null(r->id);
    }
    ck_assert_str_eq(s3_join(r->origins), s3_accepted[_i].origins);
    ck_assert_str_eq(s3_join(r->methods), s3_accepted[_i].methods);
    ck_assert_str_eq(s3_join(r->allowed_headers), s3_accepted[_i].allowed);
    ck_assert_str_eq(s3_join(r->expose_headers), s3_accepted[_i].expose);
    ck_assert_int_eq(r->max_age, s3_accepted[_i].max_age);
}
END_TEST

/* A rule, for the refusals below. */
#define S3_RULE                                                                \
    "<CORSRule>\n<AllowedOrigin>*</AllowedOrigin>\n"                           \
    "<AllowedMethod>GET</AllowedMethod>\n</CORSRule>\n"
#define S3_DOC(rules) "<CORSConfiguration>\n" rules "</CORSConfiguration>\n"
/* Line 3 of a document: the value element of a rule on lines 2-5. */
#define S3_ONE(value)                                                          \
    S3_DOC("<CORSRule>\n" value "\n<AllowedOrigin>*</AllowedOrigin>"           \
           "<AllowedMethod>GET</AllowedMethod>\n</CORSRule>\n")

/* Refused documents: the line and a part of the reason. */
static const struct {
    const char *doc;
    int line;
    const char *why;
} s3_refused[] = {
    /* Malformed XML, at the line of the error. */
    {"", 0, "no element found"},
    {"<CORSConfiguration>\n<CORSRule>\n</CORSRul>\n</CORSConfiguration>", 3,
     "malformed XML: mismatched tag"},
    {"<CORSConfiguration>\n" S3_RULE "<CORSRule>\n<AllowedOrigin>*"
     "</AllowedOrigin>\n",
     7, "end of the document"},
    {"<CORSConfiguration>\n" S3_RULE "</CORSConfiguration>\n<x/>\n", 7,
     "malformed XML"},
    {"<CORSConfiguration>\n<CORSRule a=\"1>\n", 2, "malformed XML"},
    {S3_ONE("<AllowedOrigin>&bogus;</AllowedOrigin>"), 3, "malformed XML"},
    {"<x:CORSConfiguration>\n</x:CORSConfiguration>", 1, "namespace prefix"},
    {"\n\n<CORSConfiguration>\n\x01</CORSConfiguration>", 4, "malformed XML"},
    /* Entity declarations: refused at the first, before any expansion
     * ("billion laughs"). */
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
     " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
     "]>\n<CORSConfiguration>&lol2;</CORSConfiguration>\n",
     3, "entity declaration"},
    {"<!DOCTYPE CORSConfiguration>\n<CORSConfiguration/>\n", 1, "DOCTYPE"},
    {"<CORSConfiguration>\n" S3_RULE "</CORSConfiguration>\0\n", 6, "NUL"},
    /* Structure. */
    {"<?xml version=\"1.0\"?>\n<CORSConfig>\n" S3_RULE "</CORSConfig>\n", 2,
     "not a <CORSConfiguration>"},
    {S3_DOC(""), 1, "no <CORSRule>"},
    {S3_DOC(S3_RULE "<Rule/>\n"), 6, "unknown element <Rule>"},
    {S3_DOC(S3_RULE "text\n"), 1, "text inside <CORSConfiguration>"},
    {S3_ONE("<AllowedOrigins>*</AllowedOrigins>"), 3,
     "unknown element <AllowedOrigins>"},
    {S3_ONE("<allowedorigin>*</allowedorigin>"), 3,
     "unknown element <allowedorigin>"},
    {S3_ONE("<Filter/>"), 3, "unknown element <Filter>"},
    {S3_ONE("<AllowedOrigin>\n<b>*</b></AllowedOrigin>"), 4,
     "element <b> inside <AllowedOrigin>"},
    {S3_ONE("some text"), 2, "text inside <CORSRule>"},
    {S3_ONE("<ID>a</ID> text"), 3, "text inside <CORSRule>"},
    {S3_DOC(S3_RULE "<CORSRule>\n<ID>x</ID><AllowedMethod>GET"
                    "</AllowedMethod>\n</CORSRule>\n"),
     6, "<CORSRule> 2 (ID \"x\") has no <AllowedOrigin>"},
    {S3_DOC("<CORSRule>\n<AllowedOrigin>*</AllowedOrigin>\n</CORSRule>\n"), 2,
     "<CORSRule> 1 has no <AllowedMethod>"},
    {S3_ONE("<ID>a</ID><ID>b</ID>"), 3, "more than one <ID>"},
    {S3_ONE("<MaxAgeSeconds>1</MaxAgeSeconds>\n"
            "<MaxAgeSeconds>2</MaxAgeSeconds>"),
     4, "more than one <MaxAgeSeconds>"},
    /* Values. */
    {S3_ONE("<AllowedOrigin></AllowedOrigin>"), 3, "empty AllowedOrigin"},
    {S3_ONE("<AllowedOrigin>http://a.example/</AllowedOrigin>"), 3, "no path"},
    {S3_ONE("<AllowedOrigin>https://*.*.example</AllowedOrigin>"), 3,
     "more than one '*'"},
    {S3_ONE("<AllowedOrigin>null</AllowedOrigin>"), 3, "not an origin"},
    {S3_ONE("<AllowedMethod>PATCH</AllowedMethod>"), 3,
     "<AllowedMethod> \"PATCH\": S3 allows GET, PUT, POST, DELETE and "
     "HEAD"},
    {S3_ONE("<AllowedMethod>get</AllowedMethod>"), 3, "upper case"},
    {S3_ONE("<AllowedMethod>OPTIONS</AllowedMethod>"), 3, "S3 allows"},
    {S3_ONE("<AllowedMethod/>"), 3, "empty <AllowedMethod>"},
    {S3_ONE("<AllowedHeader>x a</AllowedHeader>"), 3, "not a header name"},
    {S3_ONE("<AllowedHeader>x-*-*</AllowedHeader>"), 3, "more than one '*'"},
    {S3_ONE("<AllowedHeader></AllowedHeader>"), 3, "empty <AllowedHeader>"},
    {S3_ONE("<ExposeHeader>x,y</ExposeHeader>"), 3, "not a header name"},
    {S3_ONE("<ExposeHeader>*</ExposeHeader>"), 3, "'*' is no pattern"},
    {S3_ONE("<MaxAgeSeconds>-1</MaxAgeSeconds>"), 3, "not a number"},
    {S3_ONE("<MaxAgeSeconds>3000s</MaxAgeSeconds>"), 3, "not a number"},
    {S3_ONE("<MaxAgeSeconds></MaxAgeSeconds>"), 3, "empty <MaxAgeSeconds>"},
    {S3_ONE("<MaxAgeSeconds>2147483648</MaxAgeSeconds>"), 3, "too large"},
    {S3_ONE("<ID>a\x01</ID>"), 3, "malformed XML"},
    {S3_ONE("<ID>a&#9;b</ID>"), 3, "control character"},
};

START_TEST(test_s3_refused)
{
    apr_array_header_t *rules = (void *)1;
    int line = -1;
    const char *doc = s3_refused[_i].doc;
    /* The NUL case: up to the terminating NUL of the literal. */
    apr_size_t len =
        strstr(s3_refused[_i].why, "NUL") ? strlen(doc) + 2 : strlen(doc);
    const char *why = cors_s3_parse(pool, doc, len, &rules, &line);
    ck_assert_msg(why != NULL, "accepted: %s", doc);
    ck_assert_ptr_null(rules);
    ck_assert_msg(strstr(why, s3_refused[_i].why) != NULL,
                  "reason \"%s\" lacks \"%s\"", why, s3_refused[_i].why);
    ck_assert_msg(line == s3_refused[_i].line, "line %d, not %d: %s", line,
                  s3_refused[_i].line, why);
}
END_TEST

/* Values longer than S3 or browsers allow. */
START_TEST(test_s3_too_long)
{
    char *big = apr_palloc(pool, 600);
    const char *doc, *why;
    apr_array_header_t *rules;
    int line;

    memset(big, 'a', 599);
    big[599] = '\0';
    doc = apr_psprintf(pool, S3_ONE("<ID>%.256s</ID>"), big);
    why = cors_s3_parse(pool, doc, strlen(doc), &rules, &line);
    ck_assert_pstr_eq(why, "<ID> longer than 255 characters (S3's limit)");
    ck_assert_int_eq(line, 3);
    doc = apr_psprintf(pool, S3_ONE("<ID>%.255s</ID>"), big);
    ck_assert_ptr_null(cors_s3_parse(pool, doc, strlen(doc), &rules, &line));
    doc = apr_psprintf(pool, S3_ONE("<AllowedHeader>%.129s</AllowedHeader>"),
                       big);
    why = cors_s3_parse(pool, doc, strlen(doc), &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "longer than 128"));
    doc = apr_psprintf(
        pool, S3_ONE("<AllowedOrigin>https://%.520s</AllowedOrigin>"), big);
    why = cors_s3_parse(pool, doc, strlen(doc), &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "longer than 512"));
}
END_TEST

/* n rules, each on its own 4 lines after line 1. */
static const char *s3_rules_doc(int n)
{
    apr_array_header_t *parts = apr_array_make(pool, n + 2, sizeof(char *));
    int i;
    APR_ARRAY_PUSH(parts, const char *) = "<CORSConfiguration>\n";
    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            pool,
            "<CORSRule>\n<ID>r%d</ID>\n<AllowedOrigin>https://%d.example"
            "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\n"
            "</CORSRule>\n",
            i + 1, i + 1);
    }
    APR_ARRAY_PUSH(parts, const char *) = "</CORSConfiguration>\n";
    return apr_array_pstrcat(pool, parts, 0);
}

START_TEST(test_s3_rule_count)
{
    const char *doc = s3_rules_doc(100), *why;
    apr_array_header_t *rules = s3_ok(doc);
    int line, i;

    ck_assert_int_eq(rules->nelts, 100);
    for (i = 0; i < 100; i++) {
        const cors_s3_rule_t *r = s3_rule(rules, i);
        ck_assert_int_eq(r->line, 2 + 4 * i);
        ck_assert_str_eq(r->id, apr_psprintf(pool, "r%d", i + 1));
    }
    doc = s3_rules_doc(101);
    why = cors_s3_parse(pool, doc, strlen(doc), &rules, &line);
    ck_assert_pstr_eq(why, "more than 100 <CORSRule> elements (S3's limit)");
    ck_assert_int_eq(line, 2 + 4 * 100);
    ck_assert_ptr_null(rules);
}
END_TEST

START_TEST(test_s3_size)
{
    /* 64 KiB at most: padded with a comment to exactly the limit, and one
     * byte over. */
    apr_size_t head = strlen(s3_example2);
    char *doc = apr_palloc(pool, CORS_S3_DOC_MAX + 2);
    apr_array_header_t *rules;
    int line;
    const char *why;

    memcpy(doc, s3_example2, head);
    memcpy(doc + head, "<!--", 4);
    memset(doc + head + 4, ' ', CORS_S3_DOC_MAX - head - 7);
    memcpy(doc + CORS_S3_DOC_MAX - 3, "-->", 3);
    doc[CORS_S3_DOC_MAX] = '\n';
    doc[CORS_S3_DOC_MAX + 1] = '\0';
    ck_assert_ptr_null(
        cors_s3_parse(pool, doc, CORS_S3_DOC_MAX, &rules, &line));
    ck_assert_int_eq(rules->nelts, 1);
    why = cors_s3_parse(pool, doc, CORS_S3_DOC_MAX + 1, &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "larger than 65536 bytes"));
    ck_assert_int_eq(line, 0);
}
END_TEST

START_TEST(test_s3_read)
{
    apr_file_t *f;
    char *path = apr_pstrdup(pool, "/tmp/cors-s3-XXXXXX");
    apr_size_t n = strlen(s3_example1);
    apr_array_header_t *rules;
    int line = -1;
    const char *why;

    why = cors_s3_read(pool, "/nonexistent/cors.xml", &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "cannot open /nonexistent/cors.xml"));
    ck_assert_int_eq(line, 0);
    why = cors_s3_read(pool, "/", &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_null(rules);

    ck_assert_int_eq(apr_file_mktemp(&f, path,
                                     APR_FOPEN_CREATE | APR_FOPEN_READ |
                                         APR_FOPEN_WRITE | APR_FOPEN_EXCL,
                                     pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write(f, s3_example1, &n), APR_SUCCESS);
    apr_file_close(f);
    ck_assert_ptr_null(cors_s3_read(pool, path, &rules, &line));
    ck_assert_int_eq(rules->nelts, 3);
    ck_assert_int_eq(s3_rule(rules, 2)->line, 20);

    /* Over 64 KiB: refused without being parsed. */
    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_APPEND,
                                   APR_FPROT_OS_DEFAULT, pool),
                     APR_SUCCESS);
    for (n = 0; n < 70; n++) {
        apr_size_t k = 1024;
        char pad[1024];
        memset(pad, '\n', sizeof(pad));
        ck_assert_int_eq(apr_file_write(f, pad, &k), APR_SUCCESS);
    }
    apr_file_close(f);
    why = cors_s3_read(pool, path, &rules, &line);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "larger than"));
    apr_file_remove(path, pool);
}
END_TEST

/* AllowedOrigin values: accepted or not, and a part of the warning (NULL:
 * none). */
static const struct {
    const char *value;
    int ok;
    const char *warning;
} s3_origins[] = {
    {"*", 1, NULL},
    {"http://www.example1.com", 1, NULL},
    {"https://app.example.com:8443", 1, NULL},
    {"HTTP://WWW.Example.COM", 1, NULL}, /* kept as written */
    {"http://[::1]:8080", 1, NULL},
    {"http://127.0.0.1", 1, NULL},
    {"capacitor://localhost", 1, NULL},
    {"http://*.example.com", 1, NULL},
    {"https://*.example.com:8443", 1, NULL},
    {"http://localhost:*", 1, NULL},
    {"http://[::1]:*", 1, NULL},
    {"https://*example.com", 1,
     "prefer CORSAllowOrigin https://*.example.com"
     " and https://example.com"},
    {"https://*example.com", 1, "matches https://evilexample.com"},
    {"https://app-*.example.com", 1,
     "CORSAllowOriginMatch ^https://app-[a-z0-9-]*\\.example\\.com$"},
    {"https://app-*.example.com", 1, "matches https://app-a.b.example.com"},
    {"https://example.*", 1, "matches https://example.evil.example"},
    {"https://example.com*", 1, "matches https://example.com.evil.example"},
    {"https://*", 1, "every https origin"},
    {"*.example.com", 1, "prefer CORSAllowOrigin https://*.example.com"},
    {"*.example.com", 1, "stands for the scheme"},
    {"*example.com", 1, "matches http://evilexample.com"},
    {"http*://example.com", 1, "part of the scheme"},
    {"https://*.github.io", 1, "github.io is a public suffix"},
    {"https://*.com", 1, "com is a public suffix"},
    {"", 0, "empty"},
    {"null", 0, "not an origin"},
    {"https", 0, "write https://*"},
    {"example.com", 0, "not an origin"},
    {"http://a.example/", 0, "no path"},
    {"http://*/", 0, "no path"},
    {"http://a.example/x*", 0, "no path"},
    {"http://a..example", 0, "not an origin"},
    {"http://a.example.", 0, "not an origin"},
    {"http:/a.example", 0, "not an origin"},
    {"http://a.example:0", 0, "not a port"},
    {"http://a.example:65536", 0, "not a port"},
    {"http://a.example:080", 0, "not a port"},
    {"http://a.example:x", 0, "not an origin"},
    {"http://user@a.example", 0, "not an origin"},
    {"http://a b.example", 0, "not an origin"},
    {"https://*.", 0, "not an origin"},
    {"https://*.*.example.com", 0, "more than one '*'"},
    {"**", 0, "more than one '*'"},
    {"http://[::1", 0, "not an origin"},
};

START_TEST(test_s3_origin_check)
{
    const char *warning = "unset";
    const char *why =
        cors_s3_origin_check(pool, s3_origins[_i].value, &warning);
    if (s3_origins[_i].ok) {
        ck_assert_msg(why == NULL, "%s refused: %s", s3_origins[_i].value, why);
        if (s3_origins[_i].warning) {
            ck_assert_msg(warning && strstr(warning, s3_origins[_i].warning),
                          "%s: warning \"%s\" lacks \"%s\"",
                          s3_origins[_i].value, warning,
                          s3_origins[_i].warning);
            ck_assert_ptr_nonnull(strstr(warning, s3_origins[_i].value));
        } else {
            ck_assert_msg(warning == NULL, "%s: warning %s",
                          s3_origins[_i].value, warning);
        }
    } else {
        ck_assert_msg(why != NULL, "%s accepted", s3_origins[_i].value);
        ck_assert_msg(strstr(why, s3_origins[_i].warning) != NULL,
                      "%s: reason \"%s\" lacks \"%s\"", s3_origins[_i].value,
                      why, s3_origins[_i].warning);
        ck_assert_ptr_null(warning);
    }
}
END_TEST

START_TEST(test_s3_origin_long)
{
    char v[CORS_ORIGIN_MAX + 2];
    memcpy(v, "https://", 8);
    memset(v + 8, 'a', sizeof(v) - 9);
    v[sizeof(v) - 1] = '\0'; /* CORS_ORIGIN_MAX + 1 bytes */
    ck_assert_ptr_nonnull(cors_s3_origin_check(pool, v, NULL));
    v[sizeof(v) - 2] = '\0';
    ck_assert_ptr_null(cors_s3_origin_check(pool, v, NULL));
}
END_TEST

/* cors_wildcard_match: pattern, value, nocase, expected. */
static const struct {
    const char *pattern;
    const char *s;
    int nocase;
    int match;
} wildcards[] = {
    {"", "", 0, 1},
    {"", "a", 0, 0},
    {"*", "", 0, 1},
    {"*", "anything at all", 0, 1},
    {"**", "", 0, 1},
    {"a", "a", 0, 1},
    {"a", "A", 0, 0},
    {"a", "A", 1, 1},
    {"x-amz-*", "x-amz-date", 0, 1},
    {"x-amz-*", "X-Amz-Date", 0, 0},
    {"x-amz-*", "X-Amz-Date", 1, 1},
    {"x-amz-*", "x-amz-", 0, 1},
    {"x-amz-*", "x-amz", 0, 0},
    {"x-amz-*", "y-x-amz-date", 0, 0},
    {"*-id", "x-request-id", 1, 1},
    {"*-id", "x-request-idx", 1, 0},
    {"http://*.example.com", "http://a.example.com", 1, 1},
    {"http://*.example.com", "http://a.b.example.com", 1, 1},
    {"http://*.example.com", "http://example.com", 1, 0},
    {"http://*.example.com", "https://a.example.com", 1, 0},
    {"https://*example.com", "https://evilexample.com", 1, 1},
    {"https://app-*.example.com", "https://app-1.example.com", 1, 1},
    {"https://app-*.example.com", "https://app-.example.com", 1, 1},
    {"https://app-*.example.com", "https://app.example.com", 1, 0},
    {"http://localhost:*", "http://localhost:8080", 1, 1},
    {"http://localhost:*", "http://localhost", 1, 0},
    {"a*b*c", "abc", 0, 1},
    {"a*b*c", "aXbYc", 0, 1},
    {"a*b*c", "aXbYcZ", 0, 0},
    {"a*b*c", "acb", 0, 0},
    {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0},
    {"*ab", "aab", 0, 1},
    {"*aab", "aaab", 0, 1},
    {"a*", "ba", 0, 0},
    {"*.*", "no-dot", 0, 0},
    {"[a]", "[a]", 0, 1}, /* no classes: bytes stand for themselves */
    {"?", "x", 0, 0},
    {"\\*", "\\x", 0, 1}, /* no escapes either */
};

START_TEST(test_wildcard_match)
{
    const char *p = wildcards[_i].pattern, *s = wildcards[_i].s;
    ck_assert_msg(
        cors_wildcard_match(p, strlen(p), s, strlen(s), wildcards[_i].nocase) ==
            wildcards[_i].match,
        "\"%s\" against \"%s\" (nocase %d): not %d", p, s, wildcards[_i].nocase,
        wildcards[_i].match);
}
END_TEST

/* Lengths, not NUL bytes, end the operands. */
START_TEST(test_wildcard_match_lengths)
{
    ck_assert(cors_wildcard_match("ab*", 1, "a", 1, 0));
    ck_assert(!cors_wildcard_match("ab*", 2, "a", 1, 0));
    ck_assert(cors_wildcard_match("a*", 2, "a\0b", 3, 0));
    ck_assert(!cors_wildcard_match("a\0", 2, "a", 1, 0));
}
END_TEST

#define S3_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *s3_tcase(void)
{
    TCase *tc = tcase_create("s3");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_s3_example1, 0, S3_COUNT(s3_roots));
    tcase_add_loop_test(tc, test_s3_example2, 0, S3_COUNT(s3_roots));
    tcase_add_loop_test(tc, test_s3_accepted, 0, S3_COUNT(s3_accepted));
    tcase_add_loop_test(tc, test_s3_refused, 0, S3_COUNT(s3_refused));
    tcase_add_test(tc, test_s3_too_long);
    tcase_add_test(tc, test_s3_rule_count);
    tcase_add_test(tc, test_s3_size);
    tcase_add_test(tc, test_s3_read);
    tcase_add_loop_test(tc, test_s3_origin_check, 0, S3_COUNT(s3_origins));
    tcase_add_test(tc, test_s3_origin_long);
    tcase_add_loop_test(tc, test_wildcard_match, 0, S3_COUNT(wildcards));
    tcase_add_test(tc, test_wildcard_match_lengths);
    return tc;
}

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_origin_config_valid);
    tcase_add_test(tc, test_origin_config_invalid);
    tcase_add_loop_test(tc, test_regex_config, 0, 2);
    tcase_add_test(tc, test_match_exact);
    tcase_add_test(tc, test_match_long);
    tcase_add_test(tc, test_match_subdomains);
    tcase_add_test(tc, test_match_any_port);
    tcase_add_loop_test(tc, test_match_regex_whole, 0, 2);
    tcase_add_loop_test(tc, test_match_regex_limit, 0, 2);
    tcase_add_loop_test(tc, test_match_regex_limit_rule, 0, 2);
    tcase_add_loop_test(tc, test_match_regex_long, 0, 2);
    tcase_add_test(tc, test_match_any);
    tcase_add_test(tc, test_names_methods);
    tcase_add_test(tc, test_names_headers);
    tcase_add_test(tc, test_tokens);
    tcase_add_loop_test(tc, test_names_many, 0, 3);
    tcase_add_test(tc, test_origins_many_schemes);
    tcase_add_test(tc, test_request_headers);
    tcase_add_test(tc, test_request_headers_bounds);
    tcase_add_test(tc, test_merge);
    tcase_add_test(tc, test_merge_where);
    tcase_add_test(tc, test_max_age);
    tcase_add_test(tc, test_decide_actual);
    tcase_add_test(tc, test_decide_any);
    tcase_add_test(tc, test_decide_preflight);
    tcase_add_test(tc, test_decide_preflight_credentials);
    tcase_add_test(tc, test_public_suffix);
    tcase_add_test(tc, test_method_near_miss);
    tcase_add_test(tc, test_engine_report_only);
    tcase_add_test(tc, test_decide_preflight_debug);
    tcase_add_test(tc, test_map_make);
    tcase_add_test(tc, test_map_txt_load);
    tcase_add_test(tc, test_map_txt_invalid);
    tcase_add_test(tc, test_map_txt_versions);
    tcase_add_test(tc, test_map_dbm);
    tcase_add_test(tc, test_map_redis_unreachable);
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_rules_first_applies, 0,
                        sizeof(rule_cases) / sizeof(rule_cases[0]));
    tcase_add_test(tc, test_rules_merge);
    tcase_add_test(tc, test_rules_refused);
    tcase_add_test(tc, test_rules_star_only);
    tcase_add_test(tc, test_header_patterns);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, s3_tcase());
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr;
    apr_initialize();
    sr = srunner_create(engine_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
