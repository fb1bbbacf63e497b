/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_request_headers: the Access-Control-Request-Headers parser
 * (cors_request_headers_check, cors_request_headers_join) against a simple
 * reference splitter, and the name lists it checks against.
 *
 * Input: a mode byte, then
 *   mode % 5 == 0..2: a fixed allowed set (names; "*"; "*" + Authorization)
 *   mode % 5 == 3:    a line of space-separated configuration values, fed
 *                     to CORSAllowHeaders, CORSAllowMethods and
 *                     CORSExposeHeaders sets, then '\n'
 *   mode % 5 == 4:    no set at all (allowed == NULL)
 * and the rest (up to a NUL) is the Access-Control-Request-Headers value.
 *
 * Invariants (abort on violation):
 *  - ALLOWED exactly when the reference allows (split on ',', trim SP and
 *    HTAB, skip empty elements, every element a token, every name allowed:
 *    listed case-insensitively, or "*" listed and the name is not
 *    Authorization); so never ALLOWED for a list holding a name not allowed;
 *  - on failure, the result kind is that of the first offending element,
 *    and *bad points into it (exactly at it for DENIED); except TOO_MANY,
 *    allowed only without "*", only for a list browsers do not send (a
 *    repeated name, or a name not allowed), and only past the engine's
 *    bounds on names: more non-empty elements than the set lists, or more
 *    name bytes than its names hold plus 128, or more separator and
 *    white-space bytes than 256 plus four per listed name, or more bytes
 *    in all than those two bounds together.  A few empty elements
 *    (httpd's join of empty lines) never lead to TOO_MANY;
 *  - *count is the number of names; join() gives them lower-cased, joined
 *    with ", ";
 *  - cors_names_has() agrees with a case-insensitive (headers) or
 *    byte-exact (methods) lookup of the accepted values;
 *  - configuration: accepted values are tokens or "*"; CORSAllowHeaders
 *    refuses Cookie, Host, Origin, Sec-*, Proxy-* (patterns too), and
 *    patterns with two '*'; a pattern (one '*') allows every name it
 *    matches, case-insensitively, of any length, Authorization aside; CORSAllowMethods refuses
 *    CONNECT/TRACE/TRACK in any case, lower-case spellings of standard
 *    methods, and "*" together with methods; CORSExposeHeaders refuses
 *    Set-Cookie and "*" together with names; ordinary tokens are accepted;
 *    cors_names_joined() lists the accepted values as written;
 *  - the preflight decision (method, credentials and CORSAllowMethods from
 *    the mode byte's upper bits) is allowed exactly when the method is
 *    safelisted or allowed and the reference allows every header, and then
 *    carries the manual's -Allow-Methods / -Allow-Headers values ("*" methods
 *    echoed when credentials are on; "*" headers always echoed as the
 *    requested names, lower-cased); a
 *    refused one carries no Access-Control-* value.
 */
#include "cors_engine.h"
#include "ref.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <stdint.h>

#define MAX_NAMES 32

static apr_pool_t *g_pool;
static cors_names_t *g_fixed[3];

typedef struct {
    const char *names[MAX_NAMES];
    size_t lens[MAX_NAMES];
    int n;
    int any;
    /* CORSAllowHeaders name patterns: one '*', any run of name bytes */
    const char *patterns[MAX_NAMES];
    int np;
} refnames_t;

static refnames_t g_fixed_ref[3];

static int refnames_has_ci(const refnames_t *r, const char *s, size_t len)
{
    int i;
    for (i = 0; i < r->n; i++)
        if (r->lens[i] == len && ref_ieq(s, len, r->names[i]))
            return 1;
    return 0;
}

static int refnames_has_exact(const refnames_t *r, const char *s, size_t len)
{
    int i;
    for (i = 0; i < r->n; i++)
        if (r->lens[i] == len && memcmp(s, r->names[i], len) == 0)
            return 1;
    return 0;
}

static int ref_header_allowed(const refnames_t *r, const char *s, size_t len)
{
    int i;
    if (!r)
        return 0;
    if (refnames_has_ci(r, s, len))
        return 1;
    if (ref_ieq(s, len, "authorization"))
        return 0; /* listed by name, or never */
    if (r->any)
        return 1;
    for (i = 0; i < r->np && len <= REF_WILD_MAX; i++)
        if (ref_wildcard(r->patterns[i], strlen(r->patterns[i]), s, len, 1))
            return 1;
    return 0;
}

#define REF_MAX_DUP_CHECK 512

typedef struct {
    cors_headers_result_t result;
    size_t count;
    const char *bad; /* first offending element (trimmed) */
    size_t bad_len;
    char *joined;    /* lower-cased names joined with ", " */
    size_t sum_len;  /* the names' lengths, summed */
    int dup;         /* a name repeats (case-insensitively), or too many to tell */
    const char *names[REF_MAX_DUP_CHECK];
    size_t lens[REF_MAX_DUP_CHECK];
} refparse_t;

static void ref_parse(const refnames_t *allowed, const char *v, char *joinbuf,
                      refparse_t *out)
{
    const char *p = v;
    size_t o = 0;
    memset(out, 0, sizeof(*out));
    out->result = CORS_HEADERS_ALLOWED;
    out->joined = joinbuf;
    joinbuf[0] = 0;
    for (;;) {
        const char *s = p, *e;
        size_t i, n;
        int token = 1;
        while (*p && *p != ',')
            p++;
        e = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        n = (size_t)(e - s);
        if (n) {
            for (i = 0; i < n; i++)
                if (!ref_tchar((unsigned char)s[i]))
                    token = 0;
            if (!token || !ref_header_allowed(allowed, s, n)) {
                out->result =
                    token ? CORS_HEADERS_DENIED : CORS_HEADERS_MALFORMED;
                out->bad = s;
                out->bad_len = n;
                return;
            }
            if (out->count < REF_MAX_DUP_CHECK) {
                size_t k;
                for (k = 0; k < out->count; k++)
                    if (out->lens[k] == n && ref_ieqn(s, out->names[k], n))
                        out->dup = 1;
                out->names[out->count] = s;
                out->lens[out->count] = n;
            } else {
                out->dup = 1;
            }
            out->sum_len += n;
            if (out->count++)
                joinbuf[o++] = ',', joinbuf[o++] = ' ';
            for (i = 0; i < n; i++)
                joinbuf[o++] = (char)ref_lower((unsigned char)s[i]);
            joinbuf[o] = 0;
        }
        if (!*p)
            break;
        p++;
    }
}

/* Whether a list goes past the bounds the engine puts on names without
 * "*" (a necessary condition of TOO_MANY): more non-empty elements than
 * the set's distinct names, or more bytes in the elements' leading tokens
 * than those names hold plus 128 (one name as long as a set may list). */
/* The set's distinct names (case-insensitively, "*" aside) and their
 * bytes, as the engine counts them; 0 when the reference lost names. */
static int ref_distinct(const refnames_t *ref, size_t *names, size_t *bytes)
{
    int i, k;
    *names = *bytes = 0;
    if (!ref)
        return 1;
    if (ref->n >= MAX_NAMES)
        return 0; /* the reference lost some names: cannot tell */
    for (i = 0; i < ref->n; i++) {
        int dup = ref->lens[i] == 1 && ref->names[i][0] == '*';
        for (k = 0; k < i && !dup; k++)
            dup = ref->lens[k] == ref->lens[i] &&
                  ref_ieqn(ref->names[k], ref->names[i], ref->lens[i]);
        if (!dup) {
            ++*names;
            *bytes += ref->lens[i];
        }
    }
    return 1;
}

/* Whether a list holds more separator and white-space bytes than 256 plus
 * four per listed name: a flood no browser sends, refused as TOO_MANY even
 * when its names are allowed. */
static int ref_separators_beyond(const refnames_t *ref, const char *v)
{
    size_t names, bytes, seps = 0;
    if (!ref_distinct(ref, &names, &bytes))
        return 1;
    for (; *v; v++)
        seps += *v == ' ' || *v == '\t' || *v == ',';
    return seps > 256 + 4 * names;
}

static int ref_beyond_bounds(const refnames_t *ref, const char *v)
{
    size_t names, bytes, elements = 0, token_bytes = 0;
    if (!ref_distinct(ref, &names, &bytes) || ref_separators_beyond(ref, v))
        return 1;
    /* Longer than both bounds together: refused unread, whatever it
     * holds (malformed bytes included). */
    if (strlen(v) > bytes + 128 + 256 + 4 * names)
        return 1;
    while (*v) {
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v && *v != ',') {
            elements++;
            while (ref_tchar((unsigned char)*v))
                v++, token_bytes++;
        }
        while (*v && *v != ',')
            v++;
        if (*v)
            v++;
    }
    return elements > names || token_bytes > bytes + 128;
}

static void check_value(const cors_names_t *set, const refnames_t *ref,
                        const char *v, apr_pool_t *p)
{
    size_t len = strlen(v), count = (size_t)-1, bad_len = (size_t)-1;
    const char *bad = NULL;
    char *joinbuf = malloc(2 * len + 8);
    refparse_t rp;
    cors_headers_result_t r;
    int browser_like, star;

    ref_parse(ref, v, joinbuf, &rp);
    r = cors_request_headers_check(set, v, &count, &bad, &bad_len);
    /* A list as browsers send it: each name once.  Without "*" the engine
     * may refuse another list as TOO_MANY (its work on names is bounded by
     * the policy), never one like this, however many separators, blanks
     * and empty elements it holds. */
    browser_like = !rp.dup;
    /* "*" or a pattern: any number of names may be allowed */
    star = ref && (ref->any || ref->np);
    if (r == CORS_HEADERS_TOO_MANY) {
        REF_CHECK(!star, "\"%s\": TOO_MANY although the set holds \"*\"",
                  SHOW(v));
        REF_CHECK(rp.result != CORS_HEADERS_ALLOWED || !browser_like ||
                      ref_separators_beyond(ref, v),
                  "\"%s\": refused as TOO_MANY, but it lists %zu distinct "
                  "allowed names",
                  SHOW(v), rp.count);
        REF_CHECK(ref_beyond_bounds(ref, v),
                  "\"%s\": refused as TOO_MANY within the bounds on names "
                  "(%zu names)",
                  SHOW(v), rp.count);
        if (bad)
            REF_CHECK(bad >= v && bad <= v + len && bad_len <= len &&
                          bad + bad_len <= v + len,
                      "\"%s\": *bad outside the value", SHOW(v));
    } else {
        REF_CHECK(r == rp.result,
                  "cors_request_headers_check(\"%s\") = %d, reference says "
                  "%d%s%s",
                  SHOW(v), (int)r, (int)rp.result, rp.bad ? " at " : "",
                  rp.bad ? ref_show(rp.bad, rp.bad_len) : "");
    }
    if (r == CORS_HEADERS_ALLOWED) {
        const char *j;
        REF_CHECK(count == rp.count, "\"%s\": count %zu, reference %zu",
                  SHOW(v), count, rp.count);
        j = cors_request_headers_join(p, v);
        if (rp.count == 0)
            REF_CHECK(!j || !*j, "join of no names gave \"%s\"", SHOW(j));
        else
            REF_CHECK(j && strcmp(j, rp.joined) == 0,
                      "join(\"%s\") = \"%s\", reference \"%s\"", SHOW(v),
                      j ? SHOW(j) : "(null)", rp.joined);
    } else if (r != CORS_HEADERS_TOO_MANY) {
        REF_CHECK(bad && bad >= v && bad <= v + len && bad_len <= len &&
                      bad + bad_len <= v + len,
                  "\"%s\": *bad outside the value", SHOW(v));
        if (r == CORS_HEADERS_DENIED)
            REF_CHECK(bad == rp.bad && bad_len == rp.bad_len,
                      "\"%s\": denied element reported at offset %zd len "
                      "%zu, reference offset %zd len %zu",
                      SHOW(v), bad - v, bad_len, rp.bad - v, rp.bad_len);
        else
            REF_CHECK(bad >= rp.bad && bad <= rp.bad + rp.bad_len,
                      "\"%s\": malformed element reported at offset %zd, "
                      "reference element at %zd len %zu",
                      SHOW(v), bad - v, rp.bad - v, rp.bad_len);
    }
    /* cors_names_has on each well-formed element */
    if (set) {
        const char *s = v;
        while (*s) {
            const char *e = s;
            size_t n;
            while (*e && *e != ',')
                e++;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            n = (size_t)(e - s);
            while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
            if (n && !(n == 1 && *s == '*'))
                REF_CHECK(!!cors_names_has(set, s, n) ==
                              refnames_has_ci(ref, s, n),
                          "cors_names_has(\"%s\") disagrees",
                          ref_show(s, n));
            s = *e ? e + 1 : e;
        }
    }
    free(joinbuf);
}

/* ---- configuration values ------------------------------------------ */

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!ref_tchar((unsigned char)*s))
            return 0;
    return 1;
}

static int starts_ci(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strlen(s) >= n && ref_ieq(s, n, prefix);
}

static int forbidden_request_header(const char *s)
{
    static const char *const names[] = {
        "accept-charset", "accept-encoding", "access-control-request-headers",
        "access-control-request-method", "connection", "content-length",
        "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
        "origin", "referer", "set-cookie", "te", "trailer",
        "transfer-encoding", "upgrade", "via", "x-http-method",
        "x-http-method-override", "x-method-override"};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (ref_ieq(s, strlen(s), names[i]))
            return 1;
    return starts_ci(s, "proxy-") || starts_ci(s, "sec-") ||
           starts_ci(s, "access-control-");
}

/* The ones the project decided must be refused. */
static int surely_forbidden_request_header(const char *s)
{
    size_t n = strlen(s);
    return ref_ieq(s, n, "cookie") || ref_ieq(s, n, "host") ||
           ref_ieq(s, n, "origin") || starts_ci(s, "sec-") ||
           starts_ci(s, "proxy-");
}

static int standard_method_ci(const char *s)
{
    static const char *const m[] = {"GET", "HEAD", "POST", "PUT",
                                    "DELETE", "OPTIONS", "PATCH"};
    size_t i;
    for (i = 0; i < sizeof(m) / sizeof(*m); i++)
        if (ref_ieq(s, strlen(s), m[i]))
            return 1;
    return 0;
}

/* The methods the Fetch standard upper-cases before sending them. */
static int normalized_method_ci(const char *s)
{
    return standard_method_ci(s) && !ref_ieq(s, strlen(s), "patch");
}

static int has_lower(const char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            return 1;
    return 0;
}

static void add_names(cors_names_kind_t kind, cors_names_t *set,
                      refnames_t *ref, char **vals, int nvals, apr_pool_t *p)
{
    int i, star = 0, other = 0, dup = 0;
    char joined[4096];
    size_t jo = 0;
    joined[0] = 0;
    for (i = 0; i < nvals; i++) {
        const char *v = vals[i], *err;
        int tok = is_token(v), is_star = strcmp(v, "*") == 0;
        int seen = refnames_has_ci(ref, v, strlen(v));
        err = cors_names_add(set, p, v);
        if (err) {
            REF_CHECK(*err, "empty reason for a refused name");
            /* ordinary tokens must be accepted (names longer than 128
             * bytes may be refused: no browser sends them) */
            if (tok && !is_star && !seen && strlen(v) <= 128) {
                if (kind == CORS_NAMES_REQUEST_HEADERS)
                    REF_CHECK(forbidden_request_header(v) ||
                                  (strchr(v, '*') &&
                                   strchr(v, '*') != strrchr(v, '*')),
                              "CORSAllowHeaders refused \"%s\": %s", SHOW(v),
                              SHOW(err));
                else if (kind == CORS_NAMES_METHODS)
                    REF_CHECK(ref_ieq(v, strlen(v), "connect") ||
                                  ref_ieq(v, strlen(v), "trace") ||
                                  ref_ieq(v, strlen(v), "track") ||
                                  (standard_method_ci(v) && has_lower(v)) ||
                                  star,
                              "CORSAllowMethods refused \"%s\": %s", SHOW(v),
                              SHOW(err));
                else
                    REF_CHECK(ref_ieq(v, strlen(v), "set-cookie") ||
                                  ref_ieq(v, strlen(v), "set-cookie2") ||
                                  starts_ci(v, "access-control-") || star,
                              "CORSExposeHeaders refused \"%s\": %s", SHOW(v),
                              SHOW(err));
            }
            continue;
        }
        REF_CHECK(tok, "accepted a name that is not a token: \"%s\"", SHOW(v));
        if (kind == CORS_NAMES_REQUEST_HEADERS)
            REF_CHECK(!surely_forbidden_request_header(v),
                      "CORSAllowHeaders accepted forbidden \"%s\"", SHOW(v));
        if (kind == CORS_NAMES_METHODS) {
            REF_CHECK(!ref_ieq(v, strlen(v), "connect") &&
                          !ref_ieq(v, strlen(v), "trace") &&
                          !ref_ieq(v, strlen(v), "track"),
                      "CORSAllowMethods accepted \"%s\"", SHOW(v));
            REF_CHECK(!(normalized_method_ci(v) && has_lower(v)),
                      "CORSAllowMethods accepted \"%s\" (browsers send it "
                      "upper-case)",
                      SHOW(v));
        }
        if (kind == CORS_NAMES_RESPONSE_HEADERS)
            REF_CHECK(!ref_ieq(v, strlen(v), "set-cookie"),
                      "CORSExposeHeaders accepted Set-Cookie");
        if (kind == CORS_NAMES_REQUEST_HEADERS && !is_star && strchr(v, '*')) {
            /* a pattern: one '*', matched, never looked up */
            REF_CHECK(strchr(v, '*') == strrchr(v, '*'),
                      "CORSAllowHeaders accepted \"%s\" (two '*')", SHOW(v));
            if (ref->np < MAX_NAMES)
                ref->patterns[ref->np++] = v;
            if (jo + strlen(v) + 3 < sizeof(joined))
                jo += (size_t)snprintf(joined + jo, sizeof(joined) - jo,
                                       "%s%s", jo ? ", " : "", v);
            continue;
        }
        if (is_star)
            star = 1, ref->any = 1;
        else
            other = 1;
        if (kind != CORS_NAMES_REQUEST_HEADERS)
            REF_CHECK(!(star && other),
                      "%s accepted \"*\" together with names",
                      kind == CORS_NAMES_METHODS ? "CORSAllowMethods"
                                                 : "CORSExposeHeaders");
        if (seen)
            dup = 1;
        if (ref->n < MAX_NAMES) {
            ref->names[ref->n] = v;
            ref->lens[ref->n++] = strlen(v);
        }
        if (jo + strlen(v) + 3 < sizeof(joined))
            jo += (size_t)snprintf(joined + jo, sizeof(joined) - jo, "%s%s",
                                   jo ? ", " : "", v);
    }
    REF_CHECK(!!cors_names_any(set) == star, "cors_names_any wrong");
    if (!dup && ref->n < MAX_NAMES) {
        const char *j = cors_names_joined(set);
        if (jo == 0)
            REF_CHECK(!j || !*j, "empty set joined as \"%s\"", SHOW(j));
        else
            REF_CHECK(j && strcmp(j, joined) == 0,
                      "cors_names_joined = \"%s\", expected \"%s\"",
                      j ? SHOW(j) : "(null)", joined);
    }
    /* lookups of the accepted names and their other spellings */
    for (i = 0; i < ref->n; i++) {
        const char *v = ref->names[i];
        char up[600];
        size_t k, n = ref->lens[i];
        if (n >= sizeof(up) || (n == 1 && v[0] == '*'))
            continue;
        REF_CHECK(cors_names_has(set, v, n), "lost \"%s\"", SHOW(v));
        for (k = 0; k < n; k++)
            up[k] = (char)((v[k] >= 'a' && v[k] <= 'z') ? v[k] - 32
                           : (v[k] >= 'A' && v[k] <= 'Z') ? v[k] + 32
                                                          : v[k]);
        if (kind == CORS_NAMES_METHODS)
            REF_CHECK(!!cors_names_has(set, up, n) ==
                          refnames_has_exact(ref, up, n),
                      "method lookup of \"%s\" not byte-exact",
                      ref_show(up, n));
        else
            REF_CHECK(cors_names_has(set, up, n),
                      "header lookup of \"%s\" not case-insensitive",
                      ref_show(up, n));
    }
}

/* ---- the preflight decision ------------------------------------------- */

static cors_policy_t *g_pf_policy;
static cors_names_t *g_methods_list, *g_methods_star;
#define PF_ORIGIN "https://app.example.com"

/* The verdict and headers of a preflight from an allowed origin, with the
 * fuzzed Access-Control-Request-Headers value and a method, credentials
 * and CORSAllowMethods picked by the mode byte's upper bits. */
static void check_preflight(const cors_names_t *set, const refnames_t *ref,
                            const char *value, int flags, apr_pool_t *p)
{
    static const char *const methods[] = {"GET",   "POST", "PUT",
                                          "DELETE", "PATCH", "get",
                                          "X-CUSTOM", "OPTIONS"};
    const char *m = methods[(flags >> 4) & 7];
    int creds = (flags & 0x08) != 0, mstar = (flags & 0x80) != 0;
    int method_ok, headers_ok, allowed;
    cors_headers_result_t hr;
    char *joinbuf = malloc(2 * strlen(value) + 8);
    refparse_t rp;
    cors_policy_t pol = *g_pf_policy;
    cors_request_t req;
    cors_decision_t d;

    pol.allow_headers = (cors_names_t *)set;
    pol.credentials = creds ? CORS_ON : CORS_OFF;
    pol.methods = mstar ? g_methods_star : g_methods_list;
    memset(&req, 0, sizeof(req));
    req.method = "OPTIONS";
    req.origin = PF_ORIGIN;
    req.request_method = m;
    req.request_headers = value;
    d = *cors_decide(&pol, &req, p);

    ref_parse(ref, value, joinbuf, &rp);
    /* check_value holds the parser to the reference; here the decision is
     * held to the parser */
    {
        apr_size_t c;
        const char *b;
        apr_size_t bl;
        hr = cors_request_headers_check(set, value, &c, &b, &bl);
    }
    method_ok = !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "POST") ||
                mstar || !strcmp(m, "PUT") || !strcmp(m, "DELETE");
    headers_ok = hr == CORS_HEADERS_ALLOWED;
    if (headers_ok)
        REF_CHECK(rp.result == CORS_HEADERS_ALLOWED,
                  "preflight headers \"%s\" allowed", SHOW(value));
    allowed = method_ok && headers_ok;
    REF_CHECK(d.verdict == (allowed ? CORS_PREFLIGHT_ALLOWED
                                    : CORS_PREFLIGHT_REFUSED),
              "preflight %s with headers \"%s\" (credentials %d, methods "
              "%s): verdict %d, expected %s",
              m, SHOW(value), creds, mstar ? "*" : "PUT DELETE",
              (int)d.verdict, allowed ? "allowed" : "refused");
    REF_CHECK(d.vary && strstr(d.vary, "Origin") &&
                  strstr(d.vary, "Access-Control-Request-Method") &&
                  strstr(d.vary, "Access-Control-Request-Headers"),
              "preflight Vary \"%s\"", d.vary ? d.vary : "(none)");
    if (allowed) {
        const char *want_methods =
            mstar ? (creds ? m : "*") : "PUT, DELETE";
        REF_CHECK(d.allow_origin && !strcmp(d.allow_origin, PF_ORIGIN),
                  "preflight Access-Control-Allow-Origin");
        REF_CHECK(creds ? (d.allow_credentials &&
                           !strcmp(d.allow_credentials, "true"))
                        : !d.allow_credentials,
                  "preflight -Allow-Credentials (credentials %d)", creds);
        REF_CHECK(d.allow_methods && !strcmp(d.allow_methods, want_methods),
                  "preflight %s: -Allow-Methods \"%s\", expected \"%s\"", m,
                  d.allow_methods ? d.allow_methods : "(none)", want_methods);
        if (rp.count == 0) {
            REF_CHECK(!d.allow_headers,
                      "-Allow-Headers without requested names");
        } else if (set && cors_names_wide(set)) {
            /* never "*" (literal with credentials; WebKit lets a cached
             * "*" cover Authorization): echo the names */
            REF_CHECK(d.allow_headers && !strcmp(d.allow_headers, rp.joined),
                      "-Allow-Headers \"%s\" for \"%s\", expected \"%s\"",
                      d.allow_headers ? SHOW(d.allow_headers) : "(none)",
                      SHOW(value), rp.joined);
        } else {
            const char *j = set ? cors_names_joined(set) : NULL;
            REF_CHECK(d.allow_headers && j && !strcmp(d.allow_headers, j),
                      "-Allow-Headers \"%s\", expected the configured \"%s\"",
                      d.allow_headers ? SHOW(d.allow_headers) : "(none)",
                      j ? j : "(none)");
        }
    } else {
        REF_CHECK(!d.allow_origin && !d.allow_credentials && !d.allow_methods &&
                      !d.allow_headers && !d.max_age &&
                      !d.allow_private_network,
                  "refused preflight carries Access-Control-* values");
    }
    free(joinbuf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const sets[3][4] = {
        {"X-Foo", "Content-Type", "X-Requested-With", NULL},
        {"*", NULL},
        {"*", "Authorization", NULL},
    };
    int i, j;
    (void)argc, (void)argv;
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    for (i = 0; i < 3; i++) {
        g_fixed[i] = cors_names_make(g_pool, CORS_NAMES_REQUEST_HEADERS);
        for (j = 0; sets[i][j]; j++) {
            const char *err = cors_names_add(g_fixed[i], g_pool, sets[i][j]);
            REF_CHECK(!err, "setup: \"%s\" refused: %s", sets[i][j], err);
            if (strcmp(sets[i][j], "*") == 0)
                g_fixed_ref[i].any = 1;
            g_fixed_ref[i].names[g_fixed_ref[i].n] = sets[i][j];
            g_fixed_ref[i].lens[g_fixed_ref[i].n++] = strlen(sets[i][j]);
        }
    }
    {
        cors_origins_t *o = cors_origins_make(g_pool);
        const char *err = cors_origins_add(o, g_pool, PF_ORIGIN);
        REF_CHECK(!err, "setup: origin refused: %s", err);
        g_pf_policy = cors_policy_make(g_pool);
        g_pf_policy->engine = CORS_ON;
        g_pf_policy->origins = o;
        g_methods_list = cors_names_make(g_pool, CORS_NAMES_METHODS);
        REF_CHECK(!cors_names_add(g_methods_list, g_pool, "PUT") &&
                      !cors_names_add(g_methods_list, g_pool, "DELETE"),
                  "setup: methods refused");
        g_methods_star = cors_names_make(g_pool, CORS_NAMES_METHODS);
        REF_CHECK(!cors_names_add(g_methods_star, g_pool, "*"),
                  "setup: methods * refused");
    }
    {
        /* hand-checked answers */
        apr_pool_t *p;
        apr_size_t count, bl;
        const char *bad;
        apr_pool_create(&p, g_pool);
        REF_CHECK(cors_request_headers_check(g_fixed[0],
                                             " x-foo ,, CONTENT-type,\t",
                                             &count, &bad, &bl) ==
                          CORS_HEADERS_ALLOWED &&
                      count == 2,
                  "self-test: split/trim");
        REF_CHECK(strcmp(cors_request_headers_join(
                             p, " x-foo ,, CONTENT-type,\t"),
                         "x-foo, content-type") == 0,
                  "self-test: join");
        REF_CHECK(cors_request_headers_check(g_fixed[1], "authorization",
                                             &count, &bad, &bl) ==
                      CORS_HEADERS_DENIED,
                  "self-test: * allowed Authorization");
        REF_CHECK(cors_request_headers_check(g_fixed[2], "Authorization, x-a",
                                             &count, &bad, &bl) ==
                      CORS_HEADERS_ALLOWED,
                  "self-test: listed Authorization refused");
        REF_CHECK(cors_request_headers_check(g_fixed[0], "x-foo, x-bar",
                                             &count, &bad, &bl) ==
                          CORS_HEADERS_DENIED &&
                      bl == 5 && memcmp(bad, "x-bar", 5) == 0,
                  "self-test: denied element");
        REF_CHECK(cors_request_headers_check(g_fixed[0], "x-foo, x(y",
                                             &count, &bad, &bl) ==
                      CORS_HEADERS_MALFORMED,
                  "self-test: malformed element");
        REF_CHECK(cors_request_headers_check(NULL, "x-foo", &count, &bad,
                                             &bl) == CORS_HEADERS_DENIED,
                  "self-test: NULL set allowed a name");
        apr_pool_destroy(p);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *buf, *value;
    int mode;
    if (size < 1 || size > 8192)
        return 0;
    mode = data[0] % 5;
    buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    apr_pool_create(&p, g_pool);
    if (mode < 3) {
        check_value(g_fixed[mode], &g_fixed_ref[mode], buf, p);
        check_preflight(g_fixed[mode], &g_fixed_ref[mode], buf, data[0], p);
    } else if (mode == 4) {
        check_value(NULL, NULL, buf, p);
        check_preflight(NULL, NULL, buf, data[0], p);
    } else {
        char *nl = strchr(buf, '\n'), *vals[MAX_NAMES], *s, *save = NULL;
        int nvals = 0;
        cors_names_t *h = cors_names_make(p, CORS_NAMES_REQUEST_HEADERS);
        cors_names_t *m = cors_names_make(p, CORS_NAMES_METHODS);
        cors_names_t *x = cors_names_make(p, CORS_NAMES_RESPONSE_HEADERS);
        refnames_t hr, mr, xr;
        memset(&hr, 0, sizeof(hr));
        memset(&mr, 0, sizeof(mr));
        memset(&xr, 0, sizeof(xr));
        if (nl) {
            *nl = 0;
            value = nl + 1;
        } else {
            value = buf + strlen(buf);
        }
        for (s = strtok_r(buf, " ", &save); s && nvals < MAX_NAMES;
             s = strtok_r(NULL, " ", &save))
            vals[nvals++] = s;
        add_names(CORS_NAMES_REQUEST_HEADERS, h, &hr, vals, nvals, p);
        add_names(CORS_NAMES_METHODS, m, &mr, vals, nvals, p);
        add_names(CORS_NAMES_RESPONSE_HEADERS, x, &xr, vals, nvals, p);
        check_value(h, &hr, value, p);
        check_preflight(h, &hr, value, data[0], p);
        {
            /* the method set: a byte-exact lookup of the value as a method */
            size_t n = strlen(value);
            if (n && is_token(value) && strcmp(value, "*") != 0)
                REF_CHECK(!!cors_names_has(m, value, n) ==
                              refnames_has_exact(&mr, value, n),
                          "method lookup of \"%s\" disagrees", SHOW(value));
        }
    }
    apr_pool_destroy(p);
    free(buf);
    return 0;
}
