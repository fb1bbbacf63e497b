/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_names.c: sets of methods and header names, and the one-pass check
 * of an Access-Control-Request-Headers value against them.
 */
#include <apr_strings.h>
#include <apr_cstr.h>
#include <apr_lib.h>
#include <string.h>

#include "cors_private.h"

/* Separator and white-space bytes an Access-Control-Request-Headers value
 * may hold beyond four per listed name (", " and some space), without "*". */
#define CORS_LIST_SLACK 256

/* A set of names: a hash table with the engine's hash function, keyed by
 * the names as compared (header names lower-cased, methods as written),
 * built at configuration time and read-only afterwards. */
struct cors_names {
    cors_names_kind_t kind;
    int any;
    unsigned int count;
    apr_size_t name_bytes; /* the lengths of the names, summed */
    apr_hash_t *set;
    /* Request header name patterns with one '*' ("x-amz-*"), lower-cased,
     * tried when the set does not hold a name; NULL when none. */
    apr_array_header_t *patterns;
    /* The values joined with ", ", in a buffer that doubles when full, so
     * that N values cost O(their bytes) to join, not O(N^2). */
    char *joined;
    apr_size_t joined_len;
    apr_size_t joined_size;
};

static void name_insert(cors_names_t *n, const char *name)
{
    apr_size_t len = strlen(name);
    if (apr_hash_get(n->set, name, (apr_ssize_t)len)) {
        return;
    }
    apr_hash_set(n->set, name, (apr_ssize_t)len, name);
    n->count++;
    n->name_bytes += len;
}

/* Whether the set holds len bytes of a request, lower-cased first where
 * the set holds header names. */
static int name_listed(const cors_names_t *n, const char *name, apr_size_t len)
{
    char lower[CORS_NAME_MAX];
    apr_size_t i;
    if (n->kind == CORS_NAMES_METHODS) {
        return apr_hash_get(n->set, name, (apr_ssize_t)len) != NULL;
    }
    if (len > CORS_NAME_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        lower[i] = CORS_LOWER(name[i]);
    }
    return apr_hash_get(n->set, lower, (apr_ssize_t)len) != NULL;
}

int cors_is_token(const char *s, apr_size_t len)
{
    apr_size_t i;
    for (i = 0; i < len; i++) {
        if (!CORS_IS(s[i], CORS_C_TCHAR)) {
            return 0;
        }
    }
    return len > 0;
}

int cors_method_is_safelisted(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "POST");
}

/* Whether a and b are one edit apart: one byte inserted, removed, replaced,
 * or two neighbours swapped (case-sensitive: case mistakes are refused). */
static int one_edit(const char *a, const char *b)
{
    apr_size_t la = strlen(a), lb = strlen(b), i = 0;
    if (la < lb) {
        const char *t = a;
        apr_size_t tl = la;
        a = b, la = lb, b = t, lb = tl;
    }
    if (la - lb > 1) {
        return 0;
    }
    while (i < lb && a[i] == b[i]) {
        i++;
    }
    if (la == lb) {
        return i == la || !strcmp(a + i + 1, b + i + 1) ||
               (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                !strcmp(a + i + 2, b + i + 2));
    }
    return !strcmp(a + i + 1, b + i);
}

const char *cors_method_near_miss(const char *method)
{
    static const char *const standard[] = {"GET",    "HEAD",  "POST",    "PUT",
                                           "DELETE", "PATCH", "OPTIONS", NULL};
    int i;
    if (strlen(method) < 3) {
        return NULL;
    }
    for (i = 0; standard[i]; i++) {
        if (strcmp(method, standard[i]) && one_edit(method, standard[i])) {
            return standard[i];
        }
    }
    return NULL;
}

cors_names_t *cors_names_make(apr_pool_t *p, cors_names_kind_t kind)
{
    cors_names_t *n = apr_pcalloc(p, sizeof(*n));
    n->kind = kind;
    n->set = cors_hash_make(p);
    return n;
}

int cors_names_any(const cors_names_t *n)
{
    return n->any;
}

const char *cors_names_joined(const cors_names_t *n)
{
    return n->joined;
}

static void joined_append(cors_names_t *n, apr_pool_t *p, const char *value)
{
    apr_size_t len = strlen(value);
    apr_size_t sep = n->joined_len ? 2 : 0;
    if (n->joined_len + sep + len + 1 > n->joined_size) {
        apr_size_t size = n->joined_size ? 2 * n->joined_size : 64;
        char *buf;
        while (size < n->joined_len + sep + len + 1) {
            size *= 2;
        }
        buf = apr_palloc(p, size);
        if (n->joined_len) {
            memcpy(buf, n->joined, n->joined_len);
        }
        n->joined = buf;
        n->joined_size = size;
    }
    if (sep) {
        memcpy(n->joined + n->joined_len, ", ", 2);
        n->joined_len += 2;
    }
    memcpy(n->joined + n->joined_len, value, len + 1);
    n->joined_len += len;
}

/* The Fetch standard's forbidden request-header names: a script can never
 * set them, so allowing them has no effect and suggests a misunderstanding
 * (credentials travel as cookies and Authorization, not as these). */
static const char *forbidden_request_header(const char *lower)
{
    static const char *const names[] = {"accept-charset",
                                        "accept-encoding",
                                        "access-control-request-headers",
                                        "access-control-request-method",
                                        "connection",
                                        "content-length",
                                        "cookie",
                                        "cookie2",
                                        "date",
                                        "dnt",
                                        "expect",
                                        "host",
                                        "keep-alive",
                                        "origin",
                                        "referer",
                                        "set-cookie",
                                        "te",
                                        "trailer",
                                        "transfer-encoding",
                                        "upgrade",
                                        "via",
                                        NULL};
    int i;
    for (i = 0; names[i]; i++) {
        if (!strcmp(lower, names[i])) {
            return "is a forbidden request-header name: browsers never let "
                   "a page set it, so allowing it has no effect";
        }
    }
    if (!strncmp(lower, "proxy-", 6) || !strncmp(lower, "sec-", 4)) {
        return "starts with a forbidden prefix (Proxy-, Sec-): browsers "
               "never let a page set it, so allowing it has no effect";
    }
    return NULL;
}

static const char *add_method(cors_names_t *n, apr_pool_t *p, const char *v)
{
    static const char *const standard[] = {"DELETE", "GET", "HEAD", "OPTIONS",
                                           "POST",   "PUT", NULL};
    int i;
    if (!apr_cstr_casecmp(v, "CONNECT") || !apr_cstr_casecmp(v, "TRACE") ||
        !apr_cstr_casecmp(v, "TRACK")) {
        return "is a forbidden method: browsers refuse to send it";
    }
    for (i = 0; standard[i]; i++) {
        if (!apr_cstr_casecmp(v, standard[i]) && strcmp(v, standard[i])) {
            return apr_psprintf(p,
                                "methods are case-sensitive and browsers "
                                "send this one as '%s': write it that way",
                                standard[i]);
        }
    }
    name_insert(n, apr_pstrdup(p, v));
    return NULL;
}

/* A request header name pattern: one '*' standing for any run of name
 * bytes, as S3's AllowedHeader has it.  One only, so that matching is a
 * prefix and a suffix comparison: linear in the name. */
static const char *add_pattern(cors_names_t *n, apr_pool_t *p,
                               const char *value)
{
    char *lower;
    if (strchr(value, '*') != strrchr(value, '*')) {
        return "a name pattern holds one '*' at most (as on S3)";
    }
    lower = cors_lower_dup(p, value, strlen(value));
    if (n->kind == CORS_NAMES_REQUEST_HEADERS &&
        (!strncmp(lower, "proxy-", 6) || !strncmp(lower, "sec-", 4))) {
        /* Every name it matches is forbidden, as "Sec-Fetch-Mode" is. */
        return forbidden_request_header(lower);
    }
    if (!n->patterns) {
        n->patterns = apr_array_make(p, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(n->patterns, const char *) = lower;
    return NULL;
}

/* Whether a request header name (any case, any length) matches one of
 * the set's patterns.  Under CORSAllowHeaders no pattern covers
 * Authorization, as '*' does not; S3's AllowedHeader patterns do. */
static int pattern_listed(const cors_names_t *n, const char *name,
                          apr_size_t len)
{
    int i;
    if (!n->patterns || (n->kind != CORS_NAMES_S3_HEADERS &&
                         cors_is_authorization(name, len))) {
        return 0;
    }
    for (i = 0; i < n->patterns->nelts; i++) {
        const char *pat = APR_ARRAY_IDX(n->patterns, i, const char *);
        if (cors_wildcard_match(pat, strlen(pat), name, len, 1)) {
            return 1;
        }
    }
    return 0;
}

int cors_names_wide(const cors_names_t *n)
{
    return n->any || n->patterns;
}

const char *cors_names_add(cors_names_t *n, apr_pool_t *p, const char *value)
{
    const char *why = NULL;
    char *lower;

    int headers = n->kind == CORS_NAMES_REQUEST_HEADERS ||
                  n->kind == CORS_NAMES_S3_HEADERS;

    if (!strcmp(value, "*")) {
        if (!headers && n->count) {
            return "'*' stands alone: it cannot be mixed with names";
        }
        n->any = 1;
    } else if (!headers && n->any) {
        return "'*' stands alone: it cannot be mixed with names";
    } else if (strchr(value, ',')) {
        return "names are separated by spaces, not commas: write "
               "'GET POST' or 'X-A X-B' (no comma, no quotes around the "
               "list)";
    } else if (!cors_is_token(value, strlen(value))) {
        return n->kind == CORS_NAMES_METHODS
                   ? "not a method: a method is an HTTP token"
                   : "not a header name: a header name is an HTTP token";
    } else if (strlen(value) > CORS_NAME_MAX) {
        return "longer than any header a browser would send";
    } else if (n->kind == CORS_NAMES_METHODS) {
        why = add_method(n, p, value);
    } else if (headers && strchr(value, '*')) {
        why = add_pattern(n, p, value);
    } else {
        lower = cors_lower_dup(p, value, strlen(value));
        if (n->kind == CORS_NAMES_REQUEST_HEADERS) {
            why = forbidden_request_header(lower);
        } else if (n->kind == CORS_NAMES_S3_HEADERS) {
            /* As S3 takes them: a name no page can set is harmless. */
        } else if (!strcmp(lower, "set-cookie") ||
                   !strcmp(lower, "set-cookie2")) {
            why = "is a forbidden response-header name: browsers never "
                  "expose it to a page";
        }
        if (!why) {
            name_insert(n, lower);
        }
    }
    if (why) {
        return why;
    }
    joined_append(n, p, value);
    return NULL;
}

int cors_names_has(const cors_names_t *n, const char *name, apr_size_t len)
{
    return name_listed(n, name, len);
}

cors_headers_result_t cors_request_headers_check(const cors_names_t *allowed,
                                                 const char *value,
                                                 apr_size_t *count,
                                                 const char **bad,
                                                 apr_size_t *bad_len)
{
    /* One pass, every byte read once: each name is checked as a token as
     * it is read, then looked up.  Nothing is allocated, whatever the value
     * holds.  Without "*" the policy bounds the work: no more names than it
     * lists (the next one is refused once read), no more name bytes than
     * its names hold plus one name as long as a set may list (so that an
     * unlisted name is reported whole), and no more separator and white
     * space bytes than CORS_LIST_SLACK plus a few per listed name - which
     * empty elements (httpd joins empty header lines as ", , ,") and spaces
     * never reach, but a flood of commas does at once. */
    const char *p = value;
    char lower[CORS_NAME_MAX]; /* the name being read, lower-cased */
    apr_size_t n = 0;
    cors_headers_result_t rc = CORS_HEADERS_ALLOWED;
    const char *start = NULL;
    apr_size_t len = 0;
    /* '*' or patterns: any number of names may be allowed. */
    int any = allowed && (allowed->any || allowed->patterns);
    apr_size_t room = any ? (apr_size_t)-1
                          : (allowed ? allowed->name_bytes : 0) + CORS_NAME_MAX;
    /* Separator bytes left: once past, whatever follows is refused. */
    apr_size_t gap = any ? (apr_size_t)-1
                         : CORS_LIST_SLACK + 4 * (allowed ? allowed->count : 0);

    /* Every byte is a name's, a separator's or white space, or malformed:
     * a value longer than both bounds together must pass one of them, and
     * is refused without looking up any name (an 8 KB list of listed names
     * would cost a lookup for each name up to one past the count). */
    if (!any && strnlen(value, room + gap + 1) > room + gap) {
        start = value;
        rc = CORS_HEADERS_TOO_MANY;
    }

    while (rc == CORS_HEADERS_ALLOWED) {
        const char *sep = p;
        while (CORS_IS(*p, CORS_C_LISTSEP) && (apr_size_t)(p - sep) <= gap) {
            p++;
        }
        if ((apr_size_t)(p - sep) > gap) {
            /* More separators than any list the policy allows. */
            start = p;
            len = 0;
            rc = CORS_HEADERS_TOO_MANY;
            break;
        }
        gap -= (apr_size_t)(p - sep);
        if (!*p) {
            break;
        }
        start = p;
        for (;; p++) {
            unsigned char c = (unsigned char)*p;
            unsigned char k = cors_char_class[c];
            len = (apr_size_t)(p - start);
            if (!(k & CORS_C_TCHAR) || len == room) {
                break;
            }
            if (len < CORS_NAME_MAX) {
                lower[len] = (char)(c | (k & CORS_C_UPPER)); /* lower-cased */
            }
        }
        if (len == room && CORS_IS(*p, CORS_C_TCHAR)) {
            /* More name bytes than the policy could allow. */
            rc = CORS_HEADERS_TOO_MANY;
            break;
        }
        room -= len;
        for (sep = p; CORS_IS(*p, CORS_C_OWS) && gap; gap--) {
            p++;
        }
        if (CORS_IS(*p, CORS_C_OWS)) {
            rc = CORS_HEADERS_TOO_MANY; /* past the separator bytes */
            break;
        }
        n++;
        if (len == 0 || (*p && *p != ',')) {
            /* A byte that is neither a token's, white space nor a comma. */
            while (*p && *p != ',') {
                p++;
            }
            len = (apr_size_t)(p - start);
            rc = CORS_HEADERS_MALFORMED;
            break;
        }
        if (!allowed) {
            rc = CORS_HEADERS_DENIED;
            break;
        }
        if (len <= CORS_NAME_MAX &&
            apr_hash_get(allowed->set, lower, (apr_ssize_t)len)) {
            if (n > allowed->count && !any) {
                /* Listed, but one name too many: a repetition. */
                rc = CORS_HEADERS_TOO_MANY;
                break;
            }
            continue;
        }
        /* "*" covers every name but Authorization, which must be listed
         * (the Fetch standard's CORS non-wildcard request-header name);
         * on S3, '*' covers it too. */
        if (allowed->any && (allowed->kind == CORS_NAMES_S3_HEADERS ||
                             !cors_is_authorization(start, len))) {
            continue;
        }
        if (pattern_listed(allowed, start, len)) {
            continue;
        }
        rc = CORS_HEADERS_DENIED;
        break;
    }
    if (count) {
        *count = n;
    }
    if (bad) {
        *bad = rc == CORS_HEADERS_ALLOWED ? NULL : start;
    }
    if (bad_len) {
        *bad_len = rc == CORS_HEADERS_ALLOWED ? 0 : len;
    }
    return rc;
}

const char *cors_request_headers_join(apr_pool_t *p, const char *value)
{
    /* Each element grows by at most ", " while separators and white space
     * shrink: twice the input bounds the output. */
    char *out = apr_palloc(p, 2 * strlen(value) + 1);
    apr_size_t used = 0;
    const char *v = value;
    while (*v) {
        while (CORS_IS(*v, CORS_C_OWS) || *v == ',') {
            v++;
        }
        if (!*v) {
            break;
        }
        if (used) {
            out[used++] = ',';
            out[used++] = ' ';
        }
        while (*v && *v != ',' && !CORS_IS(*v, CORS_C_OWS)) {
            out[used++] = CORS_LOWER(*v);
            v++;
        }
        while (CORS_IS(*v, CORS_C_OWS)) {
            v++;
        }
    }
    out[used] = '\0';
    return out;
}
