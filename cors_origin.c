/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_origin.c: origin rules - parsing CORSAllowOrigin values, compiling
 * them into hash tables, and matching a request's Origin against them.
 *
 * A request's Origin is parsed once, strictly (browsers send the
 * lower-case serialization of an origin and nothing else), and then looked
 * up, never scanned against the rules: the exact origins are one hash
 * table; "*.domain" and "host:*" patterns (any scheme, port or none) live in
 * per-scheme tables keyed by what follows the wildcard, so a match costs
 * one lookup per label of the request's host, whatever the number of rules.
 * Regular expressions run last, only when no table decided.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_strings.h>
#include <apr_tables.h> /* apr_array_header_t */
#include <apr_lib.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <libpsl.h>

#include "cors_private.h"

typedef struct {
    const char *scheme;
    apr_size_t scheme_len;
    apr_hash_t *subdomains;          /* "domain" or "domain:port" */
    apr_hash_t *any_port;            /* "host" */
    apr_hash_t *subdomains_any_port; /* "domain" */
} cors_scheme_rules_t;

typedef struct {
    pcre2_code *code;
    const char *source;
    int jit; /* runs as JIT code: bounded by the JIT match context */
} cors_regex_t;

struct cors_origins {
    int any;
    int count;
    apr_pool_t *pool;            /* the object's own, for its match contexts */
    apr_hash_t *exact;           /* full serialized origin */
    apr_hash_t *schemes;         /* scheme -> cors_scheme_rules_t */
    apr_array_header_t *regexes; /* cors_regex_t */
    apr_array_header_t *wildcards; /* const char *: S3's "a*b" origins */
    apr_array_header_t *maps;      /* cors_map_t *, or NULL */
    /* The bounds of a regex run (see CORS_REGEX_MATCH_LIMIT), created with
     * the first regex and read-only afterwards, shared by every thread. */
    pcre2_match_context *mc_jit;
    pcre2_match_context *mc_interp;
    /* For the configuration-time check of each regex against "null";
     * never used by requests. */
    pcre2_match_data *probe;
    /* The first "*.domain" (scheme://, star, dot, domain) value whose domain is
     * a public suffix (cors_origin_public_suffix), or NULL. */
    const char *over_public_suffix;
};

/* The parts of a serialized origin, as offsets into the string. */
typedef struct {
    apr_size_t len;
    apr_size_t scheme_len; /* before "://" */
    apr_size_t host;       /* offset of the host */
    apr_size_t host_len;
    apr_size_t port; /* offset of ":port", == len when none */
    int ipv6;
    int numeric_tail; /* last label is all digits: an IPv4 address */
} cors_origin_parts_t;

/* The default port of the schemes that have one (the Fetch standard's
 * special schemes); browsers never serialize it. */
static int default_port(const char *scheme, apr_size_t len)
{
    if ((len == 4 && !memcmp(scheme, "http", 4)) ||
        (len == 2 && !memcmp(scheme, "ws", 2))) {
        return 80;
    }
    if ((len == 5 && !memcmp(scheme, "https", 5)) ||
        (len == 3 && !memcmp(scheme, "wss", 3))) {
        return 443;
    }
    if (len == 3 && !memcmp(scheme, "ftp", 3)) {
        return 21;
    }
    return 0;
}

/*
 * Parses a lower-case serialized origin "scheme://host[:port]" where host
 * is a DNS name, a dotted IPv4 address or a bracketed IPv6 address.  Used
 * for requests (strictly as browsers send) and, after lower-casing, for
 * configuration values.  A port must be 1-65535 without leading zeros and
 * not the scheme's default.  Returns 1 when well-formed.
 */
static int parse_origin(const char *s, apr_size_t len, cors_origin_parts_t *o)
{
    apr_size_t i = 0, label = 0;

    if (len == 0 || len > CORS_ORIGIN_MAX) {
        return 0;
    }
    memset(o, 0, sizeof(*o));
    o->len = len;
    if (!(s[0] >= 'a' && s[0] <= 'z')) {
        return 0;
    }
    while (i < len && CORS_IS(s[i], CORS_C_SCHEME)) {
        i++;
    }
    if (len - i < 4 || memcmp(s + i, "://", 3)) {
        return 0;
    }
    o->scheme_len = i;
    i += 3;
    o->host = i;
    if (s[i] == '[') {
        /* Bracketed IPv6: the characters of its textual form only; whether
         * it is canonical matters for configuration values only (a request
         * that differs from a rule byte for byte does not match it). */
        i++;
        while (i < len && CORS_IS(s[i], CORS_C_IPV6)) {
            i++;
        }
        if (i < len && s[i] != ']') {
            return 0;
        }
        if (i >= len || i - o->host < 3) {
            return 0;
        }
        i++;
        o->ipv6 = 1;
    } else {
        int digits_only = 1;
        label = i;
        for (; i < len; i++) {
            unsigned char k = cors_char_class[(unsigned char)s[i]];
            if (k & CORS_C_HOST) {
                digits_only &= (k & CORS_C_DIGIT) != 0;
            } else if (s[i] == '.') {
                if (i == label || i - label > 63) {
                    return 0; /* empty or overlong label */
                }
                label = i + 1;
                digits_only = 1;
            } else if (s[i] == ':') {
                break;
            } else {
                return 0;
            }
        }
        if (i == label || i - label > 63 || i - o->host > 253) {
            return 0; /* empty host, trailing dot, overlong */
        }
        o->numeric_tail = digits_only;
    }
    o->host_len = i - o->host;
    o->port = i;
    if (i < len) {
        apr_size_t start;
        long port = 0;
        if (s[i] != ':') {
            return 0;
        }
        start = ++i;
        if (i >= len || s[i] == '0' || len - i > 5) {
            return 0;
        }
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return 0;
            }
            port = port * 10 + (s[i] - '0');
        }
        if (port < 1 || port > 65535 ||
            port == default_port(s, o->scheme_len)) {
            return 0;
        }
        (void)start;
    }
    if (o->numeric_tail && !o->ipv6) {
        /* A host whose last label is numeric is an IPv4 address to a
         * browser: only the canonical dotted quad is ever serialized. */
        struct in_addr a;
        char buf[16];
        if (o->host_len > 15) {
            return 0;
        }
        memcpy(buf, s + o->host, o->host_len);
        buf[o->host_len] = '\0';
        if (inet_pton(AF_INET, buf, &a) != 1) {
            return 0;
        }
    }
    return 1;
}

int cors_origin_is_well_formed(const char *origin, apr_size_t len)
{
    cors_origin_parts_t o;
    return parse_origin(origin, len, &o);
}

cors_origins_t *cors_origins_make(apr_pool_t *p)
{
    cors_origins_t *o = apr_pcalloc(p, sizeof(*o));
    o->pool = p;
    o->exact = cors_hash_make(p);
    o->schemes = cors_hash_make(p);
    o->regexes = apr_array_make(p, 1, sizeof(cors_regex_t));
    return o;
}

int cors_origins_any(const cors_origins_t *o)
{
    return o->any;
}

int cors_origins_count(const cors_origins_t *o)
{
    return o->count;
}

int cors_origins_empty(const cors_origins_t *o)
{
    return o->count == 0;
}

const char *cors_origins_over_public_suffix(const cors_origins_t *o)
{
    return o->over_public_suffix;
}

/* The Public Suffix List, as Debian's publicsuffix package keeps it
 * (psl_latest: the newest of the system's file and libpsl's built-in
 * copy).  Loaded once per configuration, in the parent, before any thread
 * runs; a caller that did not load it (a unit test) loads it on first use. */
static psl_ctx_t *psl;

static apr_status_t psl_unload(void *unused)
{
    (void)unused;
    psl_free(psl);
    psl = NULL;
    return APR_SUCCESS;
}

void cors_public_suffixes_load(apr_pool_t *p)
{
    if (!psl && (psl = psl_latest(NULL)) != NULL) {
        apr_pool_cleanup_register(p, NULL, psl_unload, apr_pool_cleanup_null);
    }
}

const char *cors_origin_public_suffix(apr_pool_t *p, const char *value)
{
    const char *sep = strstr(value, "://");
    const char *domain, *end;
    char *d;
    if (!sep || strncmp(sep + 3, "*.", 2)) {
        return NULL;
    }
    domain = sep + 5;
    end = strchr(domain, ':');
    d = cors_lower_dup(p, domain,
                       end ? (apr_size_t)(end - domain) : strlen(domain));
    if (!psl) {
        psl = psl_latest(NULL);
    }
    /* The list's own rules only: without NO_STAR_RULE every unknown name
     * ("localhost", "corp") would count as a suffix. */
    return psl && psl_is_public_suffix2(psl, d,
                                        PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE)
               ? d
               : NULL;
}

/* The pattern rules of a scheme: a lookup, not a scan, so that neither
 * building the rules nor matching a request grows with the number of
 * schemes the configuration names. */
static cors_scheme_rules_t *scheme_rules(const cors_origins_t *o,
                                         const char *scheme, apr_size_t len)
{
    return apr_hash_get(o->schemes, scheme, (apr_ssize_t)len);
}

static cors_scheme_rules_t *scheme_rules_add(cors_origins_t *o, apr_pool_t *p,
                                             const char *scheme, apr_size_t len)
{
    cors_scheme_rules_t *r = scheme_rules(o, scheme, len);
    if (!r) {
        r = apr_palloc(p, sizeof(*r));
        r->scheme = apr_pstrmemdup(p, scheme, len);
        r->scheme_len = len;
        r->subdomains = cors_hash_make(p);
        r->any_port = cors_hash_make(p);
        r->subdomains_any_port = cors_hash_make(p);
        apr_hash_set(o->schemes, r->scheme, (apr_ssize_t)len, r);
    }
    return r;
}

/* Serializes 8 IPv6 pieces as the URL standard does: lower-case hex, no
 * leading zeros, the first longest run of two or more zero pieces as "::". */
/* out holds at least 40 bytes: eight groups of four hex digits, seven
 * colons and the terminator. */
#define IPV6_TEXT 40

static void ipv6_serialize(const unsigned char *a, char *out)
{
    char *end = out + IPV6_TEXT;
    int i, best = -1, best_len = 1, run = -1, run_len = 0;
    unsigned int piece[8];
    for (i = 0; i < 8; i++) {
        piece[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
        if (piece[i] == 0) {
            if (run < 0) {
                run = i;
                run_len = 0;
            }
            if (++run_len > best_len) {
                best = run;
                best_len = run_len;
            }
        } else {
            run = -1;
        }
    }
    for (i = 0; i < 8; i++) {
        if (i == best) {
            out += apr_snprintf(out, (apr_size_t)(end - out), "%s",
                                i == 0 ? "::" : ":");
            i += best_len - 1;
            continue;
        }
        out += apr_snprintf(out, (apr_size_t)(end - out), "%x%s", piece[i],
                            i < 7 ? ":" : "");
    }
    *out = '\0';
}

static const char *check_ipv6(apr_pool_t *p, const char *host, apr_size_t len)
{
    char buf[64], canon[64];
    unsigned char addr[16];
    if (len < 3 || len - 2 >= sizeof(buf)) {
        return "not an IPv6 address";
    }
    memcpy(buf, host + 1, len - 2);
    buf[len - 2] = '\0';
    if (inet_pton(AF_INET6, buf, addr) != 1) {
        return "not an IPv6 address";
    }
    ipv6_serialize(addr, canon);
    if (strcmp(canon, buf)) {
        return apr_psprintf(p,
                            "browsers send this IPv6 address as '[%s]': "
                            "write it that way",
                            canon);
    }
    return NULL;
}

/* Explains why a lower-cased configuration value is not an origin. */
static const char *explain_bad_origin(apr_pool_t *p, const char *v)
{
    const char *sep = strstr(v, "://");
    const char *rest, *host_end;
    if (!sep) {
        return "not an origin: expected scheme://host[:port]";
    }
    if (sep == v) {
        return "missing scheme";
    }
    rest = sep + 3;
    if (strchr(rest, '@')) {
        return "an origin has no user information (no '@')";
    }
    if (strchr(rest, '/') || strchr(rest, '?') || strchr(rest, '#')) {
        return "an origin has no path, query or fragment (not even a "
               "trailing '/')";
    }
    host_end = rest[0] == '[' ? strchr(rest, ']') : strchr(rest, ':');
    if (host_end && rest[0] == '[') {
        host_end++;
    }
    if (host_end && *host_end == ':') {
        const char *port = host_end + 1;
        long n;
        char *end;
        if (*port == '\0') {
            return "empty port";
        }
        if (*port == '0') {
            return "a port is 1-65535 without leading zeros";
        }
        n = strtol(port, &end, 10);
        if (*end || n < 1 || n > 65535) {
            return "a port is a number from 1 to 65535";
        }
        if (n == default_port(v, (apr_size_t)(sep - v))) {
            return apr_psprintf(p,
                                "explicit default port %ld: browsers never "
                                "send it; write the origin without ':%ld'",
                                n, n);
        }
    }
    {
        const char *c;
        for (c = v; *c; c++) {
            if ((unsigned char)*c >= 0x80) {
                return "host is not ASCII: write an internationalized "
                       "domain name in punycode (xn--...)";
            }
        }
    }
    if (strlen(v) > CORS_ORIGIN_MAX) {
        return "too long";
    }
    return "not a serialized origin: scheme://host[:port] with a DNS name, "
           "a dotted IPv4 address or a bracketed IPv6 address";
}

/* A wildcard's domain must have two labels at least ("*.com" would allow
 * every site under a top-level domain); "localhost" is the exception, its
 * subdomains being the developer's own machine. */
static int wildcard_domain_ok(const char *domain, apr_size_t len)
{
    return memchr(domain, '.', len) != NULL ||
           (len == 9 && !memcmp(domain, "localhost", 9));
}

const char *cors_origins_add(cors_origins_t *o, apr_pool_t *p,
                             const char *value)
{
    char *v = cors_lower_dup(p, value, strlen(value));
    char *sep, *host, *port_star = NULL;
    int wildcard_sub = 0;
    cors_origin_parts_t parts;
    apr_size_t len;

    if (!strcmp(v, "*")) {
        o->any = 1;
        o->count++;
        return NULL;
    }
    if (strchr(v, ',')) {
        return "origins are separated by spaces, not commas: write "
               "'CORSAllowOrigin https://a.example https://b.example' "
               "(no comma, no quotes around the list)";
    }
    if (!strcmp(v, "null")) {
        return "the 'null' origin is sent by sandboxed iframes, file: pages "
               "and redirects from any site: allowing it allows everyone";
    }
    sep = strstr(v, "://");
    if (sep && sep - v == 4 && !memcmp(v, "file", 4)) {
        return "file: URLs have no origin a server can trust";
    }
    if (sep) {
        host = sep + 3;
        if (!strncmp(host, "*.", 2)) {
            wildcard_sub = 1;
            /* Remove "*." so that what remains parses as an origin. */
            memmove(host, host + 2, strlen(host + 2) + 1);
        }
        len = strlen(v);
        if (len > 2 && !strcmp(v + len - 2, ":*")) {
            port_star = v + len - 2;
            *port_star = '\0';
        }
    }
    if (strchr(v, '*')) {
        return "'*' may stand alone, as the first label ('scheme://*.domain') "
               "or as the port ('scheme://host:*'); use CORSAllowOriginMatch "
               "for other patterns";
    }
    len = strlen(v);
    if (!parse_origin(v, len, &parts)) {
        const char *why;
        if (port_star) {
            *port_star = ':';
        }
        why = explain_bad_origin(p, v);
        return why;
    }
    if (parts.ipv6) {
        const char *why = check_ipv6(p, v + parts.host, parts.host_len);
        if (why) {
            return why;
        }
    }
    if (port_star && parts.port != len) {
        return "a port may be a number or '*', not both";
    }
    if (wildcard_sub) {
        cors_scheme_rules_t *r;
        const char *domain = v + parts.host;
        if (parts.ipv6 || parts.numeric_tail) {
            return "'*.' applies to DNS names, not IP addresses";
        }
        if (!wildcard_domain_ok(domain, parts.host_len)) {
            return "'*.' over a top-level domain allows every site under it: "
                   "name a registrable domain ('https://*.example.com')";
        }
        if (!o->over_public_suffix && cors_origin_public_suffix(p, value)) {
            o->over_public_suffix = apr_pstrdup(p, value);
        }
        r = scheme_rules_add(o, p, v, parts.scheme_len);
        if (port_star) {
            apr_hash_set(r->subdomains_any_port, domain, parts.host_len, v);
        } else {
            /* Key: "domain[:port]", the tail of a matching request. */
            apr_hash_set(r->subdomains, domain, (apr_ssize_t)(len - parts.host),
                         v);
        }
    } else if (port_star) {
        cors_scheme_rules_t *r = scheme_rules_add(o, p, v, parts.scheme_len);
        apr_hash_set(r->any_port, v + parts.host, parts.host_len, v);
    } else {
        apr_hash_set(o->exact, v, (apr_ssize_t)len, v);
    }
    o->count++;
    return NULL;
}

/*
 * The bounds of one regular expression run.  "^https://(.+\.)*example\.com$"
 * backtracks exponentially on a crafted Origin that almost matches
 * ("https://a.a.a.....a.example.co"): PCRE2's default limit (10 million
 * steps) lets that cost 10-50 ms per request with JIT, 110-190 ms without.
 * PCRE2 counts backtracking steps (calls of the interpreter's internal
 * match(), a similar count in JIT code); past the limit a run ends with
 * PCRE2_ERROR_MATCHLIMIT and the regex grants nothing.  A step costs ~25-80
 * instructions in JIT code and ~150-280 in the interpreter, hence one limit
 * each.  A pattern's own (*LIMIT_MATCH=n) can only lower them.
 *
 * Measured with callgrind (PCRE2 10.42, x86-64, gcc -O2): instructions of
 * one cors_origins_match() call, one regex, the worst crafted Origin found
 * (of at most 512 bytes: 63-byte labels, 121 one-byte labels, ...):
 *
 *                                       JIT (300 steps)  interpreter (120)
 *   ^https://(a+)+\.example\.com$            12,600          30,300
 *   ^https://(.+\.)*example\.com$            32,100          28,900
 *   ^https://(.*)*\.example\.com$            13,500          32,000
 *
 * Legitimate regexes, steps needed and instructions of a grant:
 *
 *                                                JIT          interpreter
 *   ^https://(foo|bar|baz)\.example\.com$
 *     https://baz.example.com                    1 /  2,000     5 /  3,600
 *   ^https://([a-z0-9-]+\.)*example\.com(:[0-9]+)?$
 *     3 labels of 63 bytes, port (216 bytes)     9 /  8,100    15 / 11,400
 *     50 labels of 1 byte                       56 /  6,900   109 / 22,800
 *     121 labels of 1 byte (266 bytes)         127 / 13,400   251: refused
 *   ^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+example\.com$
 *     121 labels of 1 byte                     267 / 15,200   379: refused
 *   ^https://(.+\.)?example\.com(:[0-9]+)?$
 *     121 labels of 1 byte                       6 /  9,900    25 / 16,400
 *   ^[a-z][a-z0-9+.-]*://([a-z0-9-]+\.)*example\.com(:[0-9]+)?$
 *     240-byte scheme, 3 labels of 63 (451 B)   10 / 14,200    15 / 17,800
 *   ^.+://(.+\.)?example\.com(:\d+)?$
 *     https://pr-1234.preview.example.com        6 /  2,900    50 /  9,900
 *     3 labels of 63 bytes (216 bytes)           8 / 10,700   236: refused
 *
 * So JIT code grants every one of them (the hardest needs 267 steps).  In
 * the interpreter (.htaccess, or no JIT) a legitimate match of a 121-label
 * host costs 26,000-60,000 instructions by itself, as much as an attack
 * may: 120 steps grants hosts of up to ~55 labels to a pattern with a group
 * per label, and up to ~90 bytes after "://" to a leading ".+://"; real
 * origins have a handful of labels.  A refusal at the limit is logged as
 * such (CORS_RULE_REGEX_LIMIT).  The depth limit (interpreter only: JIT
 * ignores it) bounds the backtracking frames a run allocates from the
 * request's pool; each frame is a step, so it never binds first.
 */
#define CORS_REGEX_MATCH_LIMIT_JIT 300
#define CORS_REGEX_MATCH_LIMIT 120
#define CORS_REGEX_DEPTH_LIMIT 120

/*
 * A pathological pattern such as "(.*)*" needs thousands of backtracking
 * steps even for "https://a.example.com", so the limits above alone would
 * make it grant nothing.  Where a run gives up, an Origin of at most
 * CORS_DFA_ORIGIN_MAX bytes gets a second answer from PCRE2's DFA matcher,
 * which never backtracks: its cost is linear in the length times the
 * pattern's active states, and the workspace bounds those (a run that
 * needs more ends with PCRE2_ERROR_DFA_WSSIZE: still no grant).  Crafted
 * Origins that defeat backtracking are long; real ones are short.  DFA
 * matching has no back-references and no verbs: such a pattern gets no
 * second answer.
 */
#define CORS_DFA_ORIGIN_MAX 64
#define CORS_DFA_WORKSPACE 200

/* PCRE2 allocates through these, from the pool that owns the data. */
static void *pool_malloc(size_t size, void *pool)
{
    return apr_palloc((apr_pool_t *)pool, size);
}

static void pool_free(void *block, void *pool)
{
    (void)block;
    (void)pool;
}

static apr_status_t regex_cleanup(void *data)
{
    pcre2_code_free((pcre2_code *)data); /* releases JIT memory */
    return APR_SUCCESS;
}

/* A grant needs the match to cover the origin from its first byte to its
 * last, whatever the pattern's verbs did to the anchors. */
static int whole_match(pcre2_match_data *md, apr_size_t len)
{
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    return ov[0] == 0 && ov[1] == len;
}

typedef enum {
    REGEX_NO_MATCH = 0,
    REGEX_MATCH,
    REGEX_LIMIT /* gave up at a bound: not a match */
} regex_result_t;

static regex_result_t regex_result(int rc)
{
    if (rc >= 0) {
        return REGEX_MATCH;
    }
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        return REGEX_LIMIT;
    default:
        return REGEX_NO_MATCH;
    }
}

/* One run of one regex.  md is shared by the runs of one match: the
 * interpreter keeps its backtracking frames (20 KiB at first) in it, so a
 * new one per regex would cost that much per regex. */
static regex_result_t regex_matches(const cors_origins_t *o,
                                    const cors_regex_t *re, const char *s,
                                    apr_size_t len, pcre2_match_data *md)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md,
                         re->jit ? o->mc_jit : o->mc_interp);
    if (rc >= 0 && !whole_match(md, len)) {
        /* PCRE2 10.42's JIT lets (*ACCEPT) and (*SKIP) move the start of
         * an ANCHORED match, so it can report a match of part of the
         * origin.  The interpreter honours both anchors; ask it, and
         * still insist on the whole string. */
        rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_JIT, md,
                         o->mc_interp);
        if (rc >= 0 && !whole_match(md, len)) {
            rc = PCRE2_ERROR_NOMATCH;
        }
    }
    if (regex_result(rc) == REGEX_LIMIT && len <= CORS_DFA_ORIGIN_MAX) {
        int ws[CORS_DFA_WORKSPACE];
        /* The longest match comes first: a grant still needs it whole. */
        int drc = pcre2_dfa_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md,
                                  o->mc_interp, ws, CORS_DFA_WORKSPACE);
        if (drc >= 0 || drc == PCRE2_ERROR_NOMATCH) {
            rc = drc >= 0 && whole_match(md, len) ? 0 : PCRE2_ERROR_NOMATCH;
        }
    }
    return regex_result(rc);
}

/* The match contexts of an origins object, from its own pool. */
static void match_contexts_make(cors_origins_t *o, pcre2_general_context *gc)
{
    o->mc_jit = pcre2_match_context_create(gc);
    o->mc_interp = pcre2_match_context_create(gc);
    if (o->mc_jit) {
        pcre2_set_match_limit(o->mc_jit, CORS_REGEX_MATCH_LIMIT_JIT);
    }
    if (o->mc_interp) {
        pcre2_set_match_limit(o->mc_interp, CORS_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(o->mc_interp, CORS_REGEX_DEPTH_LIMIT);
    }
}

const char *cors_origins_add_regex(cors_origins_t *o, apr_pool_t *p,
                                   const char *regex, int jit)
{
    pcre2_general_context *gc;
    pcre2_compile_context *cc;
    cors_regex_t re;
    int err;
    PCRE2_SIZE off;
    size_t jit_size = 0;

    gc = pcre2_general_context_create(pool_malloc, pool_free, p);
    if (!o->mc_jit) {
        match_contexts_make(o, p == o->pool
                                   ? gc
                                   : pcre2_general_context_create(
                                         pool_malloc, pool_free, o->pool));
        if (!o->mc_jit || !o->mc_interp) {
            return "out of memory for the regular expression's match limits";
        }
    }
    cc = pcre2_compile_context_create(gc);
    /* Anchored at both ends: the whole Origin must match, so that
     * "^https://a\.example\.org" cannot be satisfied by
     * "https://a.example.org.evil.net". */
    re.code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                            PCRE2_ANCHORED | PCRE2_ENDANCHORED, &err, &off, cc);
    if (!re.code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof(msg));
        return apr_psprintf(p,
                            "regular expression does not compile at "
                            "offset %lu: %s",
                            (unsigned long)off, (const char *)msg);
    }
    apr_pool_cleanup_register(p, re.code, regex_cleanup, apr_pool_cleanup_null);
    /* JIT is an optimization: without it (not asked for, no JIT on this
     * platform, no executable memory, or "(*NO_JIT)" in the pattern) the
     * interpreter gives the same answers.  Whether the code runs as JIT
     * code decides which limit bounds it. */
    if (jit && pcre2_jit_compile(re.code, PCRE2_JIT_COMPLETE) == 0 &&
        pcre2_pattern_info(re.code, PCRE2_INFO_JITSIZE, &jit_size) == 0) {
        re.jit = jit_size > 0;
    } else {
        re.jit = 0;
    }
    re.source = apr_pstrdup(p, regex);
    /* One match data for every regex of the object: an .htaccess file with
     * many of them is compiled on every request. */
    if (!o->probe && !(o->probe = pcre2_match_data_create(1, gc))) {
        return "out of memory for the regular expression";
    }
    switch (regex_matches(o, &re, "null", 4, o->probe)) {
    case REGEX_MATCH:
        return "the regular expression matches the 'null' origin, which "
               "sandboxed iframes and file: pages send: allowing it allows "
               "everyone";
    case REGEX_LIMIT:
        return "the regular expression hits its match limit on the 4-byte "
               "origin 'null': it backtracks too much to run on requests";
    case REGEX_NO_MATCH:
        break;
    }
    *(cors_regex_t *)apr_array_push(o->regexes) = re;
    o->count++;
    return NULL;
}

void cors_origins_add_wildcard(cors_origins_t *o, apr_pool_t *p,
                               const char *value)
{
    char *lower = cors_lower_dup(p, value, strlen(value));
    if (!o->wildcards) {
        o->wildcards = apr_array_make(p, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(o->wildcards, const char *) = lower;
    o->count++;
}

const char *cors_origins_add_map(cors_origins_t *o, apr_pool_t *p,
                                 cors_map_t *map)
{
    if (!o->maps) {
        o->maps = apr_array_make(p, 1, sizeof(cors_map_t *));
    }
    APR_ARRAY_PUSH(o->maps, cors_map_t *) = map;
    o->count++;
    return NULL;
}

cors_origin_result_t cors_origins_match(const cors_origins_t *o,
                                        const char *origin, apr_pool_t *scratch,
                                        const char **rule)
{
    if (o->any) {
        if (rule) {
            *rule = "*";
        }
        return CORS_ORIGIN_ALLOWED;
    }
    return cors_origins_match_listed(o, origin, scratch, rule);
}

/* Everything but the exact origins, for an origin of len bytes (at most
 * CORS_ORIGIN_MAX + 1) that is not one of them.  Apart from
 * cors_origins_match_listed() so that the common exact match does not pay
 * for this function's registers and stack. */
static CORS_NOINLINE cors_origin_result_t
match_patterns(const cors_origins_t *o, const char *origin, apr_size_t len,
               apr_pool_t *scratch, const char **rule)
{
    cors_origin_parts_t parts;
    const char *why = NULL;

    if (!parse_origin(origin, len, &parts)) {
        return CORS_ORIGIN_MALFORMED;
    }
    if (apr_hash_count(o->schemes)) {
        const cors_scheme_rules_t *r =
            scheme_rules(o, origin, parts.scheme_len);
        if (r) {
            const char *host = origin + parts.host;
            apr_size_t i;
            if (apr_hash_count(r->any_port) &&
                apr_hash_get(r->any_port, host, parts.host_len)) {
                why = "host with any port";
            }
            /* Each proper suffix after a dot: "*." needs one label at
             * least in front of the domain, and labels are never empty. */
            for (i = 0; !why && !parts.ipv6 && i < parts.host_len; i++) {
                const char *suffix;
                if (host[i] != '.') {
                    continue;
                }
                suffix = host + i + 1;
                if (apr_hash_get(r->subdomains, suffix,
                                 (apr_ssize_t)(len - (parts.host + i + 1)))) {
                    why = "subdomain pattern";
                } else if (apr_hash_get(
                               r->subdomains_any_port, suffix,
                               (apr_ssize_t)(parts.host_len - i - 1))) {
                    why = "subdomain pattern with any port";
                }
            }
        }
    }
    if (!why && o->wildcards) {
        /* S3's wildcards: a handful per rule at most (100 rules). */
        int i;
        for (i = 0; !why && i < o->wildcards->nelts; i++) {
            const char *w = APR_ARRAY_IDX(o->wildcards, i, const char *);
            if (cors_wildcard_match(w, strlen(w), origin, len, 0)) {
                why = "origin wildcard";
            }
        }
    }
    if (!why && o->maps) {
        int i;
        for (i = 0; i < o->maps->nelts; i++) {
            cors_map_t *m = APR_ARRAY_IDX(o->maps, i, cors_map_t *);
            if (cors_map_lookup(m, origin, len, scratch)) {
                why = cors_map_rule(m);
                break;
            }
        }
    }
    if (!why && o->regexes->nelts) {
        pcre2_general_context *gc =
            pcre2_general_context_create(pool_malloc, pool_free, scratch);
        pcre2_match_data *md = gc ? pcre2_match_data_create(1, gc) : NULL;
        const cors_regex_t *re = (const cors_regex_t *)o->regexes->elts;
        int i, limited = 0;
        for (i = 0; md && !why && i < o->regexes->nelts; i++) {
            switch (regex_matches(o, &re[i], origin, len, md)) {
            case REGEX_MATCH:
                why = "regular expression";
                break;
            case REGEX_LIMIT:
                limited = 1;
                break;
            case REGEX_NO_MATCH:
                break;
            }
        }
        if (!why && limited) {
            /* Denied, but say why: a regex gave up, not just failed. */
            if (rule) {
                *rule = CORS_RULE_REGEX_LIMIT;
            }
            return CORS_ORIGIN_DENIED;
        }
    }
    if (rule) {
        *rule = why;
    }
    return why ? CORS_ORIGIN_ALLOWED : CORS_ORIGIN_DENIED;
}

cors_origin_result_t cors_origins_lookup(const cors_origins_t *o,
                                         const char *origin, apr_size_t len,
                                         apr_pool_t *scratch, const char **rule)
{
    if (len <= CORS_ORIGIN_MAX &&
        apr_hash_get(o->exact, origin, (apr_ssize_t)len)) {
        /* Byte-equal to a stored origin, hence well-formed: no parsing. */
        if (rule) {
            *rule = "exact origin";
        }
        return CORS_ORIGIN_ALLOWED;
    }
    return match_patterns(o, origin, len, scratch, rule);
}

cors_origin_result_t cors_origins_match_listed(const cors_origins_t *o,
                                               const char *origin,
                                               apr_pool_t *scratch,
                                               const char **rule)
{
    return cors_origins_lookup(o, origin, cors_origin_len(origin), scratch,
                               rule);
}
