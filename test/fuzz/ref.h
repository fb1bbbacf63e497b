/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref.h: slow, simple reference implementations of the manual's rules, written
 * independently of the engine, for the fuzz targets to check it against.
 *
 * Two well-formedness predicates for a request's Origin value:
 *
 *   ref_origin_plausible()  lenient: fails only what the manual (docs/mod_cors.md) and the project
 *                           decisions call malformed (upper case, path,
 *                           userinfo, query, fragment, trailing dot or slash,
 *                           default port, "null", a joined "a, b" value,
 *                           over 512 bytes, white space, control or binary
 *                           bytes, a bad port, an IPv6 literal that is not
 *                           one; a non-canonical one is plausible here, as
 *                           it never equals a configured one).
 *                           The engine must never grant what this fails.
 *   ref_origin_canonical()  strict: what the URL standard serializes for an
 *                           ordinary host (DNS labels of [a-z0-9-], 1-63
 *                           bytes, dotted-quad IPv4, canonical IPv6) with a
 *                           port 1-65535 that is not the scheme's default.
 *                           The engine must grant what this passes when a
 *                           rule matches it.
 *
 * Everything here is deliberately naive: loops over bytes, no tables.
 */
#ifndef CORS_FUZZ_REF_H
#define CORS_FUZZ_REF_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_ORIGIN_MAX 512

static void ref_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static void ref_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("\n==== INVARIANT VIOLATED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    fflush(stderr);
    abort();
}

#define REF_CHECK(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            ref_fail(__VA_ARGS__);                                             \
    } while (0)

/* Printable, escaped copy of s[0..len) for messages (static buffer). */
static inline const char *ref_show(const char *s, size_t len)
{
    static char bufs[4][4 * 600 + 16];
    static int next;
    char *buf = bufs[next++ & 3];
    size_t i, o = 0;
    for (i = 0; i < len && o < sizeof(bufs[0]) - 8; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
    }
    if (i < len)
        buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
    buf[o] = 0;
    return buf;
}
#define SHOW(s) ref_show((s), strlen(s))

static inline int ref_is_lower_alpha(int c) { return c >= 'a' && c <= 'z'; }
static inline int ref_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int ref_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static inline int ref_ieq(const char *a, size_t alen, const char *b)
{
    size_t i;
    if (alen != strlen(b))
        return 0;
    for (i = 0; i < alen; i++)
        if (ref_lower((unsigned char)a[i]) != ref_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static inline int ref_ieqn(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ref_lower((unsigned char)a[i]) != ref_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* RFC 9110 tchar. */
static inline int ref_tchar(int c)
{
    if (c >= 'a' && c <= 'z')
        return 1;
    if (c >= 'A' && c <= 'Z')
        return 1;
    if (c >= '0' && c <= '9')
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ---- pieces of an origin ------------------------------------------- */

typedef struct {
    const char *scheme;
    size_t scheme_len;
    const char *host; /* including the brackets of an IPv6 literal */
    size_t host_len;
    const char *port; /* digits (or "*" in a pattern), NULL when absent */
    size_t port_len;
} ref_parts_t;

/* Splits s[0..len) as scheme "://" host [":" port], with no other
 * punctuation checks than what is needed to find the parts. */
static inline int ref_split(const char *s, size_t len, ref_parts_t *p)
{
    size_t i = 0, h, e;
    memset(p, 0, sizeof(*p));
    while (i < len && s[i] != ':')
        i++;
    if (i == 0 || i + 3 > len || memcmp(s + i, "://", 3) != 0)
        return 0;
    p->scheme = s;
    p->scheme_len = i;
    h = i + 3;
    if (h < len && s[h] == '[') {
        e = h;
        while (e < len && s[e] != ']')
            e++;
        if (e == len)
            return 0;
        e++;
    } else {
        e = h;
        while (e < len && s[e] != ':')
            e++;
    }
    p->host = s + h;
    p->host_len = e - h;
    if (e < len) {
        if (s[e] != ':')
            return 0;
        p->port = s + e + 1;
        p->port_len = len - e - 1;
    }
    return 1;
}

static inline int ref_scheme_ok(const char *s, size_t len)
{
    size_t i;
    if (len == 0 || !ref_is_lower_alpha((unsigned char)s[0]))
        return 0;
    for (i = 1; i < len; i++) {
        int c = (unsigned char)s[i];
        if (!ref_is_lower_alpha(c) && !ref_is_digit(c) && c != '+' &&
            c != '-' && c != '.')
            return 0;
    }
    return 1;
}

static inline int ref_scheme_is(const ref_parts_t *p, const char *name)
{
    return p->scheme_len == strlen(name) &&
           memcmp(p->scheme, name, p->scheme_len) == 0;
}

/* Decimal port without leading zero; returns the value or -1. */
static inline long ref_port_value(const char *s, size_t len)
{
    long v = 0;
    size_t i;
    if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (!ref_is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535 ? v : -1;
}

/* Default port of a scheme in the URL standard, or -1.  The lenient check
 * knows http and https only (what the manual names); the strict one all. */
static inline long ref_default_port(const ref_parts_t *p, int strict)
{
    if (ref_scheme_is(p, "http"))
        return 80;
    if (ref_scheme_is(p, "https"))
        return 443;
    if (strict) {
        if (ref_scheme_is(p, "ws"))
            return 80;
        if (ref_scheme_is(p, "wss"))
            return 443;
        if (ref_scheme_is(p, "ftp"))
            return 21;
    }
    return -1;
}

/* Whether the bracketed literal b[0..len) ("[...]") holds an IPv6 address
 * written exactly as the URL standard serializes it: lower-case hex, no
 * leading zeros, the first longest run of two or more zero pieces
 * compressed, no embedded IPv4. */
static inline int ref_ipv6_canonical(const char *b, size_t len)
{
    char in[64], out[64];
    unsigned char a[16];
    unsigned pieces[8];
    int i, best = -1, bestlen = 0, o = 0;
    if (len < 4 || len - 2 >= sizeof(in) || b[0] != '[' || b[len - 1] != ']')
        return 0;
    memcpy(in, b + 1, len - 2);
    in[len - 2] = 0;
    if (inet_pton(AF_INET6, in, a) != 1)
        return 0;
    for (i = 0; i < 8; i++)
        pieces[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    for (i = 0; i < 8;) {
        int j = i;
        while (j < 8 && pieces[j] == 0)
            j++;
        if (j - i > bestlen && j - i >= 2)
            best = i, bestlen = j - i;
        i = (j == i) ? i + 1 : j;
    }
    for (i = 0; i < 8; i++) {
        if (i == best) {
            o += snprintf(out + o, sizeof(out) - (size_t)o, "%s",
                          i == 0 ? "::" : ":");
            i += bestlen - 1;
            continue;
        }
        o += snprintf(out + o, sizeof(out) - (size_t)o, "%x%s", pieces[i],
                      i < 7 ? ":" : "");
    }
    return strcmp(in, out) == 0;
}

/* Dotted-quad IPv4 as the URL standard serializes it. */
static inline int ref_ipv4_canonical(const char *s, size_t len)
{
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        size_t st = i;
        long v = 0;
        while (i < len && ref_is_digit((unsigned char)s[i])) {
            if (v <= 255)
                v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == st || i - st > 3 || (i - st > 1 && s[st] == '0') || v > 255)
            return 0;
        if (part < 3) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == len;
}

/* Code points the URL standard forbids in a domain (plus upper case, which
 * a browser never serializes, and anything outside printable ASCII). */
static inline int ref_host_byte_ok(int c)
{
    if (c <= 0x20 || c >= 0x7f)
        return 0;
    if (c >= 'A' && c <= 'Z')
        return 0;
    return strchr("#/:<>?@[\\]^|%", c) == NULL;
}

/* Whether the bracketed literal b[0..len) holds some IPv6 address (in
 * lower case, without a zone), canonical or not. */
static inline int ref_ipv6_any(const char *b, size_t len)
{
    char in[64];
    unsigned char a[16];
    size_t i;
    if (len < 3 || b[0] != '[' || b[len - 1] != ']')
        return 0;
    for (i = 1; i < len - 1; i++)
        if (!ref_is_digit((unsigned char)b[i]) && !(b[i] >= 'a' && b[i] <= 'f') &&
            b[i] != ':' && b[i] != '.')
            return 0;
    (void)a, (void)in;
#ifdef REF_STRICT_IPV6
    if (len - 2 >= sizeof(in))
        return 0;
    memcpy(in, b + 1, len - 2);
    in[len - 2] = 0;
    return inet_pton(AF_INET6, in, a) == 1;
#else
    /* The engine does not validate a request's IPv6 literal beyond its
     * characters (a non-address equals no configured one byte for byte):
     * so neither does this lenient check. */
    return 1;
#endif
}

/* Lenient host check (see the top of this file).  A request's IPv6
 * literal need not be canonical (it then equals no rule byte for byte);
 * a configured one must be (canonical_ipv6). */
static inline int ref_host_plausible_ex(const char *h, size_t len,
                                        int canonical_ipv6)
{
    size_t i;
    if (len == 0)
        return 0;
    if (h[0] == '[')
        return canonical_ipv6 ? ref_ipv6_canonical(h, len)
                              : ref_ipv6_any(h, len);
    for (i = 0; i < len; i++)
        if (!ref_host_byte_ok((unsigned char)h[i]))
            return 0;
    return h[len - 1] != '.';
}

static inline int ref_host_plausible(const char *h, size_t len)
{
    return ref_host_plausible_ex(h, len, 0);
}

/* Strict DNS name: labels [a-z0-9-]{1,63}, no hyphen at either end, at
 * most 253 bytes, and a last label that is not numeric unless the whole
 * name is a dotted quad (browsers parse such a host as IPv4). */
static inline int ref_dns_canonical(const char *h, size_t len)
{
    size_t i = 0, last = 0;
    int all_digits_last = 0;
    if (len == 0 || len > 253)
        return 0;
    if (ref_ipv4_canonical(h, len))
        return 1;
    while (i < len) {
        size_t st = i;
        int digits = 1;
        while (i < len && h[i] != '.') {
            int c = (unsigned char)h[i];
            if (!ref_is_lower_alpha(c) && !ref_is_digit(c) && c != '-')
                return 0;
            if (!ref_is_digit(c))
                digits = 0;
            i++;
        }
        if (i == st || i - st > 63 || h[st] == '-' || h[i - 1] == '-')
            return 0;
        last = st;
        all_digits_last = digits;
        if (i < len) {
            i++;
            if (i == len)
                return 0; /* trailing dot */
        }
    }
    (void)last;
    return !all_digits_last;
}

static inline int ref_host_canonical(const char *h, size_t len)
{
    if (len && h[0] == '[')
        return ref_ipv6_canonical(h, len);
    return ref_dns_canonical(h, len);
}

/* ---- request Origin -------------------------------------------------- */

static inline int ref_origin_plausible(const char *o, size_t len)
{
    ref_parts_t p;
    size_t i;
    if (len == 0 || len > REF_ORIGIN_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)o[i];
        if (c <= 0x20 || c >= 0x7f || (c >= 'A' && c <= 'Z') || c == ',')
            return 0;
    }
    if (!ref_split(o, len, &p) || !ref_scheme_ok(p.scheme, p.scheme_len))
        return 0;
    if (!ref_host_plausible(p.host, p.host_len))
        return 0;
    if (p.port) {
        long v = ref_port_value(p.port, p.port_len);
        if (v < 0 || v == ref_default_port(&p, 0))
            return 0;
    }
    return 1;
}

static inline int ref_origin_canonical(const char *o, size_t len)
{
    ref_parts_t p;
    if (!ref_origin_plausible(o, len))
        return 0;
    ref_split(o, len, &p);
    if (ref_scheme_is(&p, "file"))
        return 0;
    if (!ref_host_canonical(p.host, p.host_len))
        return 0;
    if (p.port) {
        long v = ref_port_value(p.port, p.port_len);
        if (v < 1 || v == ref_default_port(&p, 1))
            return 0;
    }
    return 1;
}

/* ---- origin rules ------------------------------------------------------ */

typedef enum {
    REF_ANY,      /* "*" */
    REF_EXACT,    /* scheme://host[:port] */
    REF_SUBDOMAIN, /* scheme "://" "*." domain [":" port] */
    REF_ANY_PORT, /* scheme://host:* */
    REF_FUNC,     /* a hand-written matcher standing for a regex */
    REF_PCRE      /* a fuzzed regex, checked with PCRE2 separately */
} ref_kind_t;

typedef struct {
    ref_kind_t kind;
    char scheme[REF_ORIGIN_MAX + 8];
    char host[REF_ORIGIN_MAX + 8]; /* host; REF_SUBDOMAIN: the domain */
    char port[16];    /* "" when none */
    char text[2100]; /* the lower-cased value, or the regex */
    int (*func)(const char *o, size_t len);
    void *code;       /* REF_PCRE: pcre2_code* */
} ref_rule_t;

/* Parses a (lower-cased) pattern the way the manual (docs/mod_cors.md) describes them.  Returns
 * 1 and fills r when it is one of the allowed forms, else 0.  This is the
 * lenient config check: the engine must refuse what it refuses. */
static inline int ref_parse_pattern(const char *v, ref_rule_t *r)
{
    size_t len = strlen(v), i;
    ref_parts_t p;
    memset(r, 0, sizeof(*r));
    if (len >= sizeof(r->text))
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 || c >= 0x7f || (c >= 'A' && c <= 'Z'))
            return 0;
    }
    memcpy(r->text, v, len + 1);
    if (strcmp(v, "*") == 0) {
        r->kind = REF_ANY;
        return 1;
    }
    if (strcmp(v, "null") == 0)
        return 0;
    if (!ref_split(v, len, &p) || !ref_scheme_ok(p.scheme, p.scheme_len) ||
        p.scheme_len >= sizeof(r->scheme) || ref_scheme_is(&p, "file"))
        return 0;
    memcpy(r->scheme, p.scheme, p.scheme_len);
    if (p.port) {
        if (p.port_len == 1 && p.port[0] == '*') {
            r->kind = REF_ANY_PORT;
        } else {
            long pv = ref_port_value(p.port, p.port_len);
            if (pv < 1 || pv == ref_default_port(&p, 0))
                return 0;
            memcpy(r->port, p.port, p.port_len);
        }
    }
    if (p.host_len > 2 && p.host[0] == '*' && p.host[1] == '.') {
        const char *d = p.host + 2;
        size_t dl = p.host_len - 2;
        if (r->kind == REF_ANY_PORT)
            memcpy(r->port, "*", 2); /* "*.domain:*": any port */
        r->kind = REF_SUBDOMAIN;
        if (memchr(d, '*', dl) || d[0] == '[')
            return 0;
        /* more than one label, except "localhost" */
        if (!memchr(d, '.', dl) && !(dl == 9 && memcmp(d, "localhost", 9) == 0))
            return 0;
        if (!ref_host_plausible_ex(d, dl, 1) || d[0] == '.' || strstr(d, ".."))
            return 0;
        memcpy(r->host, d, dl);
        return 1;
    }
    if (memchr(p.host, '*', p.host_len))
        return 0;
    if (!ref_host_plausible_ex(p.host, p.host_len, 1))
        return 0;
    if (r->kind != REF_ANY_PORT)
        r->kind = REF_EXACT;
    memcpy(r->host, p.host, p.host_len);
    return 1;
}

/* Whether prefix[0..len) is one or more non-empty dot-separated labels
 * (the part a "*." wildcard stands for). */
static inline int ref_labels(const char *s, size_t len)
{
    size_t i, st = 0;
    if (len == 0)
        return 0;
    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (i == st)
                return 0;
            st = i + 1;
        }
    }
    return 1;
}

/* Whether one rule matches an Origin already known to be plausible. */
static inline int ref_rule_matches(const ref_rule_t *r, const char *o, size_t len)
{
    ref_parts_t p;
    size_t sl = strlen(r->scheme), hl = strlen(r->host), pl = strlen(r->port);
    switch (r->kind) {
    case REF_ANY:
        return 1;
    case REF_EXACT:
        return strlen(r->text) == len && memcmp(r->text, o, len) == 0;
    case REF_FUNC:
        return r->func(o, len);
    case REF_PCRE:
        return 0; /* decided by the caller */
    default:
        break;
    }
    if (!ref_split(o, len, &p) || p.scheme_len != sl ||
        memcmp(p.scheme, r->scheme, sl) != 0)
        return 0;
    if (r->kind == REF_ANY_PORT) {
        if (p.host_len != hl || memcmp(p.host, r->host, hl) != 0)
            return 0;
        return p.port == NULL || ref_port_value(p.port, p.port_len) >= 0;
    }
    /* REF_SUBDOMAIN: labels "." domain, same port (or none; "*": any) */
    if (pl == 1 && r->port[0] == '*') {
        if (p.port && ref_port_value(p.port, p.port_len) < 0)
            return 0;
    } else if (pl ? (!p.port || p.port_len != pl ||
                     memcmp(p.port, r->port, pl))
                  : p.port != NULL)
        return 0;
    if (p.host_len < hl + 2)
        return 0;
    if (memcmp(p.host + p.host_len - hl, r->host, hl) != 0 ||
        p.host[p.host_len - hl - 1] != '.')
        return 0;
    return ref_labels(p.host, p.host_len - hl - 1);
}

/* ---- '*' patterns (S3's AllowedOrigin and AllowedHeader) ----------- */

#define REF_WILD_MAX 1024

/* Whether s[0..slen) matches pattern[0..plen), where '*' is any run of
 * bytes (none included) and every other byte stands for itself (ASCII
 * letters of either case when nocase).  Dynamic programming over
 * prefixes, one row per pattern byte: row[j] says whether the pattern so
 * far matches s[0..j).  slen must not exceed REF_WILD_MAX. */
static inline int ref_wildcard(const char *pattern, size_t plen,
                               const char *s, size_t slen, int nocase)
{
    static unsigned char row[REF_WILD_MAX + 1], next[REF_WILD_MAX + 1];
    size_t i, j;
    if (slen > REF_WILD_MAX)
        abort();
    memset(row, 0, slen + 1);
    row[0] = 1; /* the empty pattern matches the empty string */
    for (i = 0; i < plen; i++) {
        int c = (unsigned char)pattern[i];
        memset(next, 0, slen + 1);
        for (j = 0; j <= slen; j++) {
            if (c == '*') {
                /* '*' takes nothing (row[j]) or one more byte */
                next[j] = row[j] || (j > 0 && next[j - 1]);
            } else if (j > 0) {
                int d = (unsigned char)s[j - 1];
                int same = nocase ? ref_lower(c) == ref_lower(d) : c == d;
                next[j] = row[j - 1] && same;
            }
        }
        memcpy(row, next, slen + 1);
    }
    return row[slen];
}

#endif /* CORS_FUZZ_REF_H */
