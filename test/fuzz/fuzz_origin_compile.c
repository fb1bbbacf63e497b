/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_origin_compile: the origin-pattern compiler with fuzzed
 * configuration values.
 *
 * Input: lines separated by '\n'.  A line starting with '~' is a
 * CORSAllowOriginMatch regex (the rest of the line), any other line a
 * CORSAllowOrigin value; all go into one rule set, in order.  Every line
 * (without its '~') is also tried as a request Origin at the end.
 *
 * Invariants (abort on violation):
 *  - never a crash, leak or undefined behaviour (ASan/UBSan/LSan);
 *  - a refused value comes with a reason, an accepted one has none;
 *  - an accepted CORSAllowOrigin value is one of the manual's forms (the
 *    reference parser in ref.h accepts it: no "null", no file:, no default
 *    port, no path/query/userinfo, "*" only as "*", "*.domain" over two
 *    labels or localhost, or ":*"), and values the reference calls
 *    canonical are accepted;
 *  - round trip: after adding an accepted exact origin its lower-cased
 *    value is ALLOWED; after a "*.domain" pattern, a subdomain is
 *    ALLOWED and the apex and "x" + domain are not (unless another rule
 *    allows them); after "scheme://host:*", the host with no port and with
 *    port 1234 is ALLOWED;
 *  - an accepted regex does not match "null" as a whole string;
 *  - every grant is one the reference allows: the value is plausible and a
 *    pattern rule matches it or a regex matches the whole of it (checked
 *    with PCRE2's DFA matcher, all anchored matches, one must end at the
 *    end of the value);
 *  - each regex run is bounded: where it gives up, the regex grants
 *    nothing, and with nothing else granting the engine answers DENIED
 *    with the rule CORS_RULE_REGEX_LIMIT (never with a grant).  The
 *    reference has no such limit, and may allow what the engine then
 *    refuses: no converse is checked for regexes;
 *  - the same values with the regexes compiled without JIT (as for
 *    .htaccess) give the same answers, unless a regex was refused in one
 *    mode only (a match limit hit on "null") or either answer reports the
 *    match limit (the limits differ: 300 steps with JIT, 120 without).
 */
#include "cors_engine.h"
#include "ref.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <apr_general.h>
#include <pcre2.h>
#include <stdint.h>

#define MAX_LINES 16

static apr_pool_t *g_pool;

typedef struct {
    ref_rule_t rules[MAX_LINES];
    int n;
    int any;
} refset_t;

/* Whether regex code matches the whole of s[0..n): every anchored match
 * of the DFA matcher is listed, longest first.  Returns -1 when the DFA
 * matcher cannot run the pattern (back references, ...) and the standard
 * matcher, anchored at both ends, has to decide instead. */
static int ref_regex_whole(pcre2_code *code, const char *s, size_t n)
{
    pcre2_match_data *md = pcre2_match_data_create(32, NULL);
    int ws[1000], rc, i, found = 0;
    PCRE2_SIZE *ov;
    rc = pcre2_dfa_match(code, (PCRE2_SPTR)s, n, 0, PCRE2_ANCHORED, md, NULL,
                         ws, sizeof(ws) / sizeof(*ws));
    if (rc == 0)
        rc = 32;
    ov = pcre2_get_ovector_pointer(md);
    for (i = 0; i < rc; i++)
        if (ov[2 * i] == 0 && ov[2 * i + 1] == n)
            found = 1;
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
        return 0;
    if (rc < 0)
        return -1;
    return found;
}

static int ref_regex_whole_fallback(const char *re, const char *s, size_t n)
{
    int err, rc;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                                  PCRE2_ANCHORED | PCRE2_ENDANCHORED, &err,
                                  &off, NULL);
    pcre2_match_data *md;
    pcre2_match_context *mc;
    if (!c)
        c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                          PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF,
                          &err, &off, NULL);
    if (!c)
        return -1;
    md = pcre2_match_data_create_from_pattern(c, NULL);
    mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, 200000);
    pcre2_set_depth_limit(mc, 10000);
    rc = pcre2_match(c, (PCRE2_SPTR)s, n, 0, 0, md, mc);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(c);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc >= 0 ? 1 : -1; /* -1: could not decide (a limit) */
}

static int refset_regex_matches(const ref_rule_t *r, const char *o, size_t n)
{
    int w = ref_regex_whole((pcre2_code *)r->code, o, n);
    if (w < 0)
        w = ref_regex_whole_fallback(r->text, o, n);
    return w != 0; /* undecidable: give the engine the benefit */
}

static int refset_allows(const refset_t *rs, const char *o, size_t n,
                         const char **which)
{
    int i;
    if (!ref_origin_plausible(o, n))
        return 0;
    for (i = 0; i < rs->n; i++) {
        const ref_rule_t *r = &rs->rules[i];
        if (r->kind == REF_PCRE ? refset_regex_matches(r, o, n)
                                : ref_rule_matches(r, o, n)) {
            if (which)
                *which = r->text;
            return 1;
        }
    }
    return 0;
}

static int is_limit(const char *rule)
{
    return rule && strcmp(rule, CORS_RULE_REGEX_LIMIT) == 0;
}

/* The grant check for one probe value; interp holds the same rules with
 * the regexes compiled without JIT, or NULL when the two differ. */
static void check_grant(const cors_origins_t *o, const cors_origins_t *interp,
                        const refset_t *rs, const char *v, apr_pool_t *p)
{
    size_t n = strlen(v);
    const char *rule = NULL;
    cors_origin_result_t r = cors_origins_match(o, v, p, &rule);
    REF_CHECK(!is_limit(rule) || r == CORS_ORIGIN_DENIED,
              "\"%s\": match limit reported with result %d", SHOW(v), (int)r);
    if (interp) {
        const char *rule_i = NULL;
        cors_origin_result_t ri = cors_origins_match(interp, v, p, &rule_i);
        REF_CHECK(!is_limit(rule_i) || ri == CORS_ORIGIN_DENIED,
                  "\"%s\": match limit reported (no JIT) with result %d",
                  SHOW(v), (int)ri);
        if (!is_limit(rule) && !is_limit(rule_i))
            REF_CHECK(r == ri, "\"%s\": %d with JIT, %d without (rules %s, %s)",
                      SHOW(v), (int)r, (int)ri, rule ? rule : "-",
                      rule_i ? rule_i : "-");
        if (ri == CORS_ORIGIN_ALLOWED && !rs->any)
            REF_CHECK(refset_allows(rs, v, n, NULL),
                      "granted \"%s\" without JIT (rule %s), which no "
                      "reference rule allows",
                      SHOW(v), rule_i ? rule_i : "?");
    }
    if (r == CORS_ORIGIN_ALLOWED) {
        if (rs->any) {
            /* "*" may be answered for anything; the module then sends "*",
             * never the value, so only well-formedness matters here */
            return;
        }
        REF_CHECK(refset_allows(rs, v, n, NULL),
                  "granted \"%s\" (engine rule: %s), which no reference rule "
                  "allows%s",
                  SHOW(v), rule ? rule : "?",
                  ref_origin_plausible(v, n) ? "" : " (it is malformed)");
    }
}

static void must(const cors_origins_t *o, const refset_t *rs, const char *v,
                 int allowed, const char *why, apr_pool_t *p)
{
    cors_origin_result_t r = cors_origins_match(o, v, p, NULL);
    if (allowed)
        REF_CHECK(r == CORS_ORIGIN_ALLOWED, "%s: \"%s\" not allowed (%d)", why,
                  SHOW(v), (int)r);
    else if (!rs->any && !refset_allows(rs, v, strlen(v), NULL))
        REF_CHECK(r != CORS_ORIGIN_ALLOWED, "%s: \"%s\" allowed", why,
                  SHOW(v));
}

/* Forbidden-in-config check for a value the engine accepted. */
static void check_accepted_value(const char *v, const char *low,
                                 const ref_rule_t *r)
{
    (void)r;
    REF_CHECK(strcmp(low, "null") != 0, "accepted \"null\"");
    REF_CHECK(strncmp(low, "file:", 5) != 0, "accepted file: origin \"%s\"",
              SHOW(v));
}

static int ref_canonical_pattern(const char *low)
{
    ref_rule_t r;
    ref_parts_t p;
    char buf[1200];
    size_t n = strlen(low);
    if (strcmp(low, "*") == 0)
        return 1;
    if (!ref_parse_pattern(low, &r) || n >= sizeof(buf) - 8)
        return 0;
    switch (r.kind) {
    case REF_EXACT:
        return ref_origin_canonical(low, n);
    case REF_ANY_PORT:
        /* the host, with no port, must be canonical */
        snprintf(buf, sizeof(buf), "%s://%s", r.scheme, r.host);
        return ref_origin_canonical(buf, strlen(buf));
    case REF_SUBDOMAIN:
        if (!ref_split(low, n, &p))
            return 0;
        snprintf(buf, sizeof(buf), "%s://%s%s%s", r.scheme, r.host,
                 r.port[0] ? ":" : "", r.port);
        /* the domain must be a canonical DNS name (no IPv4) */
        return ref_origin_canonical(buf, strlen(buf)) &&
               !ref_ipv4_canonical(r.host, strlen(r.host)) &&
               strlen(r.host) <= 240;
    default:
        return 0;
    }
}

static void round_trip(const cors_origins_t *o, const refset_t *rs,
                       const ref_rule_t *r, apr_pool_t *p)
{
    char buf[1400];
    int anyport = strcmp(r->port, "*") == 0;
    const char *pnum = anyport ? "" : r->port;
    const char *port = pnum[0] ? ":" : "";
    switch (r->kind) {
    case REF_EXACT:
        must(o, rs, r->text, 1, "round trip of an exact origin", p);
        break;
    case REF_ANY_PORT:
        snprintf(buf, sizeof(buf), "%s://%s", r->scheme, r->host);
        if (ref_origin_canonical(buf, strlen(buf)))
            must(o, rs, buf, 1, "host:* without a port", p);
        snprintf(buf, sizeof(buf), "%s://%s:1234", r->scheme, r->host);
        if (ref_origin_canonical(buf, strlen(buf)))
            must(o, rs, buf, 1, "host:* with port 1234", p);
        snprintf(buf, sizeof(buf), "%s://%s.evil:1234", r->scheme, r->host);
        must(o, rs, buf, 0, "host:* on a longer host", p);
        snprintf(buf, sizeof(buf), "%s://x%s", r->scheme, r->host);
        must(o, rs, buf, 0, "host:* on a longer host", p);
        break;
    case REF_SUBDOMAIN:
        snprintf(buf, sizeof(buf), "%s://a.%s%s%s", r->scheme, r->host, port,
                 pnum);
        if (ref_origin_canonical(buf, strlen(buf))) {
            must(o, rs, buf, 1, "subdomain of *.domain", p);
        }
        snprintf(buf, sizeof(buf), "%s://x-1.b2.%s%s%s", r->scheme, r->host,
                 port, pnum);
        if (ref_origin_canonical(buf, strlen(buf)))
            must(o, rs, buf, 1, "two labels under *.domain", p);
        snprintf(buf, sizeof(buf), "%s://%s%s%s", r->scheme, r->host, port,
                 pnum);
        must(o, rs, buf, 0, "apex of *.domain", p);
        snprintf(buf, sizeof(buf), "%s://x%s%s%s", r->scheme, r->host, port,
                 pnum);
        must(o, rs, buf, 0, "label boundary of *.domain", p);
        snprintf(buf, sizeof(buf), "%s://.%s%s%s", r->scheme, r->host, port,
                 pnum);
        must(o, rs, buf, 0, "empty label under *.domain", p);
        snprintf(buf, sizeof(buf), "%s://a.%s.evil%s%s", r->scheme, r->host,
                 port, pnum);
        must(o, rs, buf, 0, "*.domain as a prefix", p);
        snprintf(buf, sizeof(buf), "%s://a.%s:1234", r->scheme, r->host);
        if (!anyport && strcmp(r->port, "1234") != 0)
            must(o, rs, buf, 0, "*.domain with another port", p);
        break;
    default:
        break;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    cors_origins_t *o, *interp;
    refset_t rs;
    char *buf, *lines[MAX_LINES];
    int nlines = 0, i;
    size_t k;

    if (size > 2048)
        return 0;
    buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    lines[nlines++] = buf;
    for (k = 0; k < size && nlines < MAX_LINES; k++)
        if (buf[k] == '\n') {
            buf[k] = 0;
            lines[nlines++] = buf + k + 1;
        }
    apr_pool_create(&p, g_pool);
    o = cors_origins_make(p);
    interp = cors_origins_make(p);
    memset(&rs, 0, sizeof(rs));
    REF_CHECK(cors_origins_empty(o), "new rule set not empty");

    for (i = 0; i < nlines; i++) {
        const char *v = lines[i], *err;
        int is_re = v[0] == '~';
        if (is_re) {
            int e;
            PCRE2_SIZE off;
            pcre2_code *c;
            v++;
            err = cors_origins_add_regex(o, p, v, 1);
            if (interp) {
                const char *err_i = cors_origins_add_regex(interp, p, v, 0);
                if (!err != !err_i) {
                    /* Only a match limit hit on "null" may tell them
                     * apart; the sets differ from here on. */
                    REF_CHECK(strstr(err ? err : err_i, "match limit"),
                              "regex \"%s\" refused with JIT: %s; without: "
                              "%s",
                              SHOW(v), err ? err : "-", err_i ? err_i : "-");
                    interp = NULL;
                }
            }
            if (err) {
                REF_CHECK(*err, "empty reason for refused regex");
                continue;
            }
            /* whole-string semantics is checked against the plain pattern */
            c = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED, 0, &e,
                              &off, NULL);
            if (!c) /* \x{100} and the like need UTF mode */
                c = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
                                  PCRE2_UTF, &e, &off, NULL);
            REF_CHECK(c, "accepted regex \"%s\" that PCRE2 cannot compile",
                      SHOW(v));
            {
                int w = ref_regex_whole(c, "null", 4);
                if (w < 0)
                    w = ref_regex_whole_fallback(v, "null", 4);
                REF_CHECK(w <= 0, "accepted regex \"%s\" that matches \"null\"",
                          SHOW(v));
            }
            rs.rules[rs.n].kind = REF_PCRE;
            rs.rules[rs.n].code = c;
            snprintf(rs.rules[rs.n].text, sizeof(rs.rules[rs.n].text), "%s",
                     v);
            rs.n++;
        } else {
            char low[2100];
            ref_rule_t r;
            size_t n = strlen(v), j;
            for (j = 0; j <= n; j++)
                low[j] = (char)ref_lower((unsigned char)v[j]);
            err = cors_origins_add(o, p, v);
            if (interp)
                REF_CHECK(!err == !cors_origins_add(interp, p, v),
                          "\"%s\" refused by one set only", SHOW(v));
            if (err) {
                REF_CHECK(*err, "empty reason for refused value");
                REF_CHECK(!ref_canonical_pattern(low),
                          "refused canonical value \"%s\": %s", SHOW(v),
                          SHOW(err));
                continue;
            }
            REF_CHECK(ref_parse_pattern(low, &r),
                      "accepted \"%s\", which is none of the manual's forms",
                      SHOW(v));
            check_accepted_value(v, low, &r);
            if (r.kind == REF_ANY) {
                rs.any = 1;
                REF_CHECK(cors_origins_any(o), "\"*\" accepted, not recorded");
            }
            rs.rules[rs.n++] = r;
            round_trip(o, &rs, &r, p);
        }
        REF_CHECK(!cors_origins_empty(o), "rule accepted, set still empty");
    }
    if (!rs.any)
        REF_CHECK(!cors_origins_any(o), "\"*\" recorded without \"*\"");

    /* every line as a request Origin, plus the rules' own derived probes */
    for (i = 0; i < nlines; i++) {
        const char *v = lines[i][0] == '~' ? lines[i] + 1 : lines[i];
        check_grant(o, interp, &rs, v, p);
        REF_CHECK(cors_origins_match(o, "null", p, NULL) != CORS_ORIGIN_ALLOWED ||
                      rs.any,
                  "\"null\" granted");
    }
    for (i = 0; i < rs.n; i++)
        if (rs.rules[i].kind == REF_PCRE)
            pcre2_code_free((pcre2_code *)rs.rules[i].code);
    apr_pool_destroy(p);
    free(buf);
    return 0;
}
