/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_s3_import: cors_s3_parse (CORSRuleFile's S3/HCP CORSConfiguration
 * documents) on arbitrary bytes, and cors_s3_origin_check on the same
 * bytes taken as one AllowedOrigin value.
 *
 * Invariants (abort on violation):
 *  - never a crash, leak or undefined behaviour (ASan/UBSan/LSan), and no
 *    more work than the document's size allows (libFuzzer's -timeout and
 *    -rss_limit_mb; entity expansion is refused);
 *  - a refused document comes with a reason, no rules, and a line between
 *    0 and the document's number of lines;
 *  - an accepted document has 1 to 100 rules and line 0; each rule
 *    starts on a line (increasing from rule to rule) whose text holds
 *    "CORSRule"; it has at least one AllowedOrigin, each passing
 *    cors_s3_origin_check and the reference below; at least one
 *    AllowedMethod, each GET, PUT, POST, DELETE or HEAD; AllowedHeader
 *    values that are tokens of at most 128 bytes with at most one '*';
 *    ExposeHeader values that are tokens without '*'; max_age -1 or
 *    0..86400; an ID of 1..255 bytes without control characters, or none;
 *    no value starts or ends with XML white space;
 *  - an accepted AllowedOrigin is "*", or at most 512 bytes with at most
 *    one '*' and nothing but origin bytes; without '*' the reference
 *    splits it as scheme "://" host [":" port] (scheme a letter then
 *    letters, digits, '+', '-', '.'; host labels or an IPv6 literal;
 *    port 1-65535); it matches itself (cors_wildcard_match);
 *  - a '*' that comes with no warning cannot cross a DNS label: it is the
 *    whole first labels ("scheme://" '*' "." ...) or in the port.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem (APR's flags define it already) */
#endif
#include "cors_private.h"
#include "ref.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <stdint.h>

static apr_pool_t *g_pool;

static int ref_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static int is_xml_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_trimmed(const char *what, const char *v)
{
    size_t n = strlen(v);
    REF_CHECK(n > 0, "empty %s accepted", what);
    REF_CHECK(!is_xml_space((unsigned char)v[0]) &&
                  !is_xml_space((unsigned char)v[n - 1]),
              "%s \"%s\" not trimmed", what, SHOW(v));
}

static int ref_token(const char *v)
{
    size_t i, n = strlen(v);
    if (!n)
        return 0;
    for (i = 0; i < n; i++)
        if (!ref_tchar((unsigned char)v[i]))
            return 0;
    return 1;
}

static size_t count_char(const char *v, int c)
{
    size_t n = 0;
    for (; *v; v++)
        n += *v == c;
    return n;
}

/* The reference's view of an accepted AllowedOrigin value (and of the
 * warning it came with). */
static void ref_check_origin(const char *v, const char *warning)
{
    size_t n = strlen(v), i;
    const char *sep, *host, *star;
    if (!strcmp(v, "*")) {
        REF_CHECK(warning == NULL, "warning for \"*\"");
        return;
    }
    REF_CHECK(n <= 512, "AllowedOrigin of %zu bytes accepted", n);
    REF_CHECK(count_char(v, '*') <= 1, "AllowedOrigin \"%s\": two '*'",
              SHOW(v));
    for (i = 0; i < n; i++) {
        int c = (unsigned char)v[i];
        REF_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || strchr("+-._:/[]*", c),
                  "AllowedOrigin \"%s\": byte 0x%02x", SHOW(v), c);
    }
    REF_CHECK(cors_wildcard_match(v, n, v, n, 1),
              "AllowedOrigin \"%s\" does not match itself", SHOW(v));
    star = strchr(v, '*');
    sep = strstr(v, "://");
    if (!star) {
        const char *port = NULL;
        size_t k;
        REF_CHECK(warning == NULL, "warning without '*' for \"%s\"",
                  SHOW(v));
        REF_CHECK(sep != NULL && sep > v, "AllowedOrigin \"%s\": no scheme",
                  SHOW(v));
        REF_CHECK((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z'),
                  "AllowedOrigin \"%s\": scheme", SHOW(v));
        for (k = 1; v + k < sep; k++)
            REF_CHECK(ref_alnum((unsigned char)v[k]) || strchr("+-.", v[k]),
                      "AllowedOrigin \"%s\": scheme", SHOW(v));
        host = sep + 3;
        REF_CHECK(!strchr(host, '/'), "AllowedOrigin \"%s\": a path",
                  SHOW(v));
        if (*host == '[') {
            const char *end = strchr(host, ']');
            REF_CHECK(end != NULL, "AllowedOrigin \"%s\": IPv6", SHOW(v));
            if (end[1])
                port = end + 1;
        } else {
            const char *c = strchr(host, ':');
            size_t hl = c ? (size_t)(c - host) : strlen(host);
            REF_CHECK(hl > 0 && host[0] != '.' && host[hl - 1] != '.',
                      "AllowedOrigin \"%s\": host", SHOW(v));
            for (k = 0; k < hl; k++)
                REF_CHECK(ref_alnum((unsigned char)host[k]) ||
                              strchr("-_.", host[k]),
                          "AllowedOrigin \"%s\": host", SHOW(v));
            REF_CHECK(!strstr(host, ".."), "AllowedOrigin \"%s\": label",
                      SHOW(v));
            port = c;
        }
        if (port) {
            REF_CHECK(port[0] == ':' &&
                          ref_port_value(port + 1, strlen(port + 1)) > 0,
                      "AllowedOrigin \"%s\": port", SHOW(v));
        }
        return;
    }
    if (warning) {
        REF_CHECK(strstr(warning, v) != NULL,
                  "warning \"%s\" does not name \"%s\"", SHOW(warning),
                  SHOW(v));
        return;
    }
    /* No warning: the '*' is the host's first labels, or in the port. */
    REF_CHECK(sep != NULL && sep < star,
              "AllowedOrigin \"%s\": '*' in the scheme without warning",
              SHOW(v));
    host = sep + 3;
    if (star == host) {
        REF_CHECK(star[1] == '.',
                  "AllowedOrigin \"%s\": '*' not followed by '.' and no "
                  "warning",
                  SHOW(v));
    } else {
        const char *c;
        int in_port = 0;
        for (c = host; c < star; c++)
            if (*c == ':' && (host[0] != '[' || c[-1] == ']'))
                in_port = 1;
        REF_CHECK(in_port,
                  "AllowedOrigin \"%s\": '*' inside a label and no "
                  "warning",
                  SHOW(v));
    }
}

static void check_list(const apr_array_header_t *a, const char *what,
                       int star_max)
{
    int i;
    for (i = 0; i < a->nelts; i++) {
        const char *v = APR_ARRAY_IDX(a, i, const char *);
        check_trimmed(what, v);
        REF_CHECK(ref_token(v), "%s \"%s\" not a token", what, SHOW(v));
        REF_CHECK(strlen(v) <= 128, "%s of %zu bytes", what, strlen(v));
        REF_CHECK(count_char(v, '*') <= (size_t)star_max,
                  "%s \"%s\": too many '*'", what, SHOW(v));
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
    apr_array_header_t *rules = (void *)1;
    const char *doc = (const char *)data, *why, *warning;
    int line = -1, nlines = 1, prev = 0, i, j;
    size_t k;

    if (size > CORS_S3_DOC_MAX + 16)
        return 0;
    for (k = 0; k < size; k++)
        nlines += doc[k] == '\n';
    apr_pool_create(&p, g_pool);

    why = cors_s3_parse(p, doc, size, &rules, &line);
    if (why) {
        REF_CHECK(*why, "empty reason");
        REF_CHECK(rules == NULL, "refused with rules: %s", why);
        REF_CHECK(line >= 0 && line <= nlines, "line %d of %d: %s", line,
                  nlines, why);
    } else {
        REF_CHECK(size <= CORS_S3_DOC_MAX, "%zu bytes accepted", size);
        REF_CHECK(line == 0, "accepted with line %d", line);
        REF_CHECK(rules && rules->nelts >= 1 && rules->nelts <= 100,
                  "accepted with %d rules", rules ? rules->nelts : -1);
        for (i = 0; i < rules->nelts; i++) {
            const cors_s3_rule_t *r = &APR_ARRAY_IDX(rules, i, cors_s3_rule_t);
            const char *l;
            size_t ll;
            int n;
            /* The rule's line holds its start tag. */
            REF_CHECK(r->line > prev && r->line <= nlines,
                      "rule %d on line %d (previous %d, of %d)", i + 1,
                      r->line, prev, nlines);
            prev = r->line;
            for (l = doc, n = 1; n < r->line; l++)
                n += *l == '\n';
            for (ll = 0; l + ll < doc + size && l[ll] != '\n'; ll++) {
            }
            REF_CHECK(memmem(l, ll, "CORSRule", 8) != NULL,
                      "rule %d: line %d \"%s\" holds no CORSRule", i + 1,
                      r->line, ref_show(l, ll));
            REF_CHECK(r->origins->nelts >= 1, "rule %d without origin",
                      i + 1);
            REF_CHECK(r->methods->nelts >= 1, "rule %d without method",
                      i + 1);
            for (j = 0; j < r->origins->nelts; j++) {
                const char *o = APR_ARRAY_IDX(r->origins, j, const char *);
                const char *w2;
                check_trimmed("AllowedOrigin", o);
                REF_CHECK(cors_s3_origin_check(p, o, &w2) == NULL,
                          "AllowedOrigin \"%s\" accepted in a document, "
                          "refused alone",
                          SHOW(o));
                ref_check_origin(o, w2);
            }
            for (j = 0; j < r->methods->nelts; j++) {
                const char *m = APR_ARRAY_IDX(r->methods, j, const char *);
                REF_CHECK(!strcmp(m, "GET") || !strcmp(m, "PUT") ||
                              !strcmp(m, "POST") || !strcmp(m, "DELETE") ||
                              !strcmp(m, "HEAD"),
                          "AllowedMethod \"%s\"", SHOW(m));
            }
            check_list(r->allowed_headers, "AllowedHeader", 1);
            check_list(r->expose_headers, "ExposeHeader", 0);
            REF_CHECK(r->max_age >= -1 && r->max_age <= 86400, "max_age %d",
                      r->max_age);
            if (r->id) {
                size_t n2 = strlen(r->id);
                check_trimmed("ID", r->id);
                REF_CHECK(n2 <= 255, "ID of %zu bytes", n2);
                for (k = 0; k < n2; k++)
                    REF_CHECK((unsigned char)r->id[k] >= 0x20 &&
                                  r->id[k] != 0x7f,
                              "ID \"%s\": control byte", SHOW(r->id));
            }
        }
    }

    /* The same bytes as one AllowedOrigin value. */
    if (size <= 600 && !memchr(doc, 0, size)) {
        char *v = apr_pstrmemdup(p, doc, size);
        why = cors_s3_origin_check(p, v, &warning);
        if (why) {
            REF_CHECK(*why && warning == NULL, "refused origin: warning %s",
                      warning ? warning : "-");
        } else {
            ref_check_origin(v, warning);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
