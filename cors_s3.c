/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_s3.c: S3/HCP CORSConfiguration documents (CORSRuleFile).
 *
 * The document is read at start-up only, with APR-util's XML parser
 * (expat underneath), which httpd links already.  apr_xml tells no line
 * numbers, so the document is fed one line at a time (the feed that fails
 * names the line of a syntax error), and the lines of the elements are
 * found by counting start tags in the raw text of the (then well-formed)
 * document: their order is the order of the parse tree.
 */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_xml.h>

#include "cors_private.h"

#define S3_ID_MAX 255 /* S3: "cannot be longer than 255 characters" */

/* ---- AllowedOrigin ----------------------------------------------- */

/* The states of a small automaton for scheme "://" host [":" port], host a
 * dot-separated name or an IPv6 literal, letters of either case (S3 keeps
 * values as written).  A value with one '*' is accepted when some run of
 * bytes in place of the '*' makes an origin: the states after the text
 * before the '*', closed under every byte, then run over the text after
 * it, must reach an accepting one. */
enum {
    O_START,  /* scheme's first letter */
    O_SCHEME, /* scheme, until ':' */
    O_COLON,  /* "scheme:" */
    O_SLASH,  /* "scheme:/" */
    O_HOST,   /* a label's first byte, or '[' */
    O_LABEL,  /* in a label (accepting) */
    O_DOT,    /* after '.': a label must follow */
    O_V6,     /* inside [...] */
    O_V6_END, /* after ']' (accepting) */
    O_PORT,   /* after ':': a digit must follow */
    O_PORT_D, /* port digits (accepting) */
    O_STATES,
    O_DEAD = O_STATES
};

#define O_ACCEPTING ((1u << O_LABEL) | (1u << O_V6_END) | (1u << O_PORT_D))

static int o_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int o_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int o_label(int c)
{
    return o_alpha(c) || o_digit(c) || c == '-' || c == '_';
}

static int o_step(int state, int c)
{
    switch (state) {
    case O_START:
        return o_alpha(c) ? O_SCHEME : O_DEAD;
    case O_SCHEME:
        if (o_alpha(c) || o_digit(c) || c == '+' || c == '-' || c == '.') {
            return O_SCHEME;
        }
        return c == ':' ? O_COLON : O_DEAD;
    case O_COLON:
        return c == '/' ? O_SLASH : O_DEAD;
    case O_SLASH:
        return c == '/' ? O_HOST : O_DEAD;
    case O_HOST:
        return c == '[' ? O_V6 : o_label(c) ? O_LABEL : O_DEAD;
    case O_DOT:
        return o_label(c) ? O_LABEL : O_DEAD;
    case O_LABEL:
        return o_label(c) ? O_LABEL
               : c == '.' ? O_DOT
               : c == ':' ? O_PORT
                          : O_DEAD;
    case O_V6:
        if (o_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
            c == ':' || c == '.') {
            return O_V6;
        }
        return c == ']' ? O_V6_END : O_DEAD;
    case O_V6_END:
        return c == ':' ? O_PORT : O_DEAD;
    case O_PORT:
    case O_PORT_D:
        return o_digit(c) ? O_PORT_D : O_DEAD;
    }
    return O_DEAD;
}

/* The set of states (a bit mask) after s[0..len) from the set in. */
static unsigned o_run(unsigned in, const char *s, apr_size_t len)
{
    apr_size_t i;
    int st;
    for (i = 0; i < len && in; i++) {
        unsigned out = 0;
        for (st = 0; st < O_STATES; st++) {
            if (in & (1u << st)) {
                int next = o_step(st, (unsigned char)s[i]);
                if (next != O_DEAD) {
                    out |= 1u << next;
                }
            }
        }
        in = out;
    }
    return in;
}

/* Every state reachable from the set by any run of bytes (none
 * included): what a '*' can lead to. */
static unsigned o_closure(unsigned set)
{
    unsigned before;
    int st, c;
    do {
        before = set;
        for (st = 0; st < O_STATES; st++) {
            if (set & (1u << st)) {
                for (c = 1; c < 128; c++) {
                    int next = o_step(st, c);
                    if (next != O_DEAD) {
                        set |= 1u << next;
                    }
                }
            }
        }
    } while (set != before);
    return set;
}

/* The port of an origin without '*' (it passed the automaton): 1-65535,
 * as browsers write it. */
static int o_port_ok(const char *v)
{
    const char *host = strstr(v, "://") + 3;
    const char *colon;
    long port = 0;
    if (*host == '[') {
        host = strchr(host, ']');
    }
    colon = strchr(host, ':');
    if (!colon) {
        return 1;
    }
    /* Browsers serialize a port without leading zeros: ":08080" would
     * never match. */
    if (colon[1] == '0') {
        return 0;
    }
    for (colon++; *colon; colon++) {
        port = port * 10 + (*colon - '0');
        if (port > 65535) {
            return 0;
        }
    }
    return port > 0;
}

static int o_is_host_byte(int c)
{
    return o_label(c) || c == '.';
}

/* The warning for a value with one '*' (accepted), or NULL. */
static const char *o_wildcard_warning(apr_pool_t *p, const char *v,
                                      const char *star)
{
    const char *sep = strstr(v, "://");
    const char *after = star + 1, *host, *end, *suffix;
    int star_at_host_start;
    const char *prefix;

    prefix = apr_pstrmemdup(p, v, (apr_size_t)(star - v));
    if (!sep || sep > star) {
        /* The '*' stands for (part of) the scheme as well. */
        const char *rest = sep ? sep + 3 : after;
        if (sep) {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": the '*' stands for "
                                "part of the scheme; prefer CORSAllowOrigin "
                                "with the schemes written out "
                                "(https://%s)",
                                v, rest);
        }
        if (!o_label((unsigned char)rest[*rest == '.'])) {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": the '*' stands for the "
                                "scheme and the host; prefer listing the "
                                "origins with CORSAllowOrigin",
                                v);
        }
        if (*rest == '.') {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": the '*' stands for the "
                                "scheme too (it matches http://a%s and "
                                "ftp://a%s); prefer CORSAllowOrigin "
                                "https://*%s",
                                v, rest, rest, rest);
        }
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": the '*' stands for the "
                            "scheme and across DNS labels (it matches "
                            "http://evil%s); prefer CORSAllowOrigin "
                            "https://*.%s and https://%s",
                            v, rest, rest, rest);
    }
    host = sep + 3;
    /* A '*' in the port (after "host:" or "]:") crosses no label. */
    for (end = host; end < star; end++) {
        if (*end == ':' && (*host != '[' || end[-1] == ']')) {
            return NULL;
        }
    }
    star_at_host_start = star == host;
    /* The host's text after the '*', up to a port. */
    for (end = after; *end && *end != ':'; end++) {
    }
    suffix = apr_pstrmemdup(p, after, (apr_size_t)(end - after));
    if (star_at_host_start && *suffix == '.') {
        /* A '*' that is the host's first labels ("scheme://" star
         * ".domain"): what CORSAllowOrigin means by it too,
         * unless the domain is a public suffix. */
        const char *ps = cors_origin_public_suffix(p, v);
        if (ps) {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": %s is a public suffix: "
                                "the '*' matches every site registered "
                                "under it",
                                v, ps);
        }
        return NULL;
    }
    if (star_at_host_start && o_alpha((unsigned char)*suffix) &&
        strchr(suffix, '.')) {
        /* A '*' before the domain's first letter, as in
         * https://STARexample.com */
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": S3's '*' matches across "
                            "DNS labels (it matches %.*sevil%s); prefer "
                            "CORSAllowOrigin %.*s*.%s%s and %.*s%s%s",
                            v, (int)(host - v), v, after, (int)(host - v), v,
                            suffix, end, (int)(host - v), v, suffix, end);
    }
    if (strchr(suffix, '.')) {
        /* "https://app-*.example.com": stays under the domain, but may
         * match more than one label; only a regex says "one label". */
        char *rx = apr_palloc(p, 2 * strlen(v) + 32), *o = rx;
        const char *c;
        *o++ = '^';
        for (c = v; *c; c++) {
            if (c == star) {
                memcpy(o, "[a-z0-9-]*", 10);
                o += 10;
                continue;
            }
            if (*c == '.') {
                *o++ = '\\';
            }
            *o++ = (char)CORS_LOWER(*c);
        }
        *o++ = '$';
        *o = '\0';
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": S3's '*' matches across "
                            "DNS labels (it matches %sa.b%s); prefer "
                            "CORSAllowOriginMatch %s",
                            v, prefix, after, rx);
    }
    if (star_at_host_start && !*suffix) {
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": the '*' is the whole "
                            "host: it matches every %.*s origin",
                            v, (int)(sep - v), v);
    }
    /* The '*' is in the last label or ends the host (after
     * "https://example." or "https://example.com", or the whole host). */
    return apr_psprintf(p,
                        "AllowedOrigin \"%s\": S3's '*' matches across DNS "
                        "labels (it matches %s%sevil.example%s); no "
                        "CORSAllowOrigin pattern does this: prefer listing "
                        "the origins with CORSAllowOrigin",
                        v, prefix,
                        (star > host &&
                         o_is_host_byte((unsigned char)star[-1]) &&
                         star[-1] != '.')
                            ? "."
                            : "",
                        after);
}

const char *cors_s3_origin_check(apr_pool_t *p, const char *value,
                                 const char **warning)
{
    apr_size_t len = strlen(value);
    const char *star = strchr(value, '*');
    unsigned set;

    if (warning) {
        *warning = NULL;
    }
    if (!len) {
        return "empty AllowedOrigin";
    }
    if (len > CORS_ORIGIN_MAX) {
        return apr_psprintf(p, "AllowedOrigin longer than %d bytes",
                            CORS_ORIGIN_MAX);
    }
    if (!strcmp(value, "*")) {
        return NULL;
    }
    if (star && strchr(star + 1, '*')) {
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": more than one '*' (S3 "
                            "allows one wildcard)",
                            value);
    }
    if (star) {
        set = o_run(1u << O_START, value, (apr_size_t)(star - value));
        set = o_run(o_closure(set), star + 1, strlen(star + 1));
    } else {
        set = o_run(1u << O_START, value, len);
    }
    if (!(set & O_ACCEPTING)) {
        const char *sep = strstr(value, "://");
        if (sep && strchr(sep + 3, '/')) {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": an origin has no "
                                "path, not even \"/\": scheme://host[:port]",
                                value);
        }
        if (!sep && !star &&
            o_run(1u << O_START, value, len) == (1u << O_SCHEME)) {
            return apr_psprintf(p,
                                "AllowedOrigin \"%s\": not an origin; for "
                                "every origin of a scheme, write %s://*",
                                value, value);
        }
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": not an origin "
                            "(scheme://host[:port], or \"*\"; at most one "
                            "'*' inside)",
                            value);
    }
    if (!star && !o_port_ok(value)) {
        return apr_psprintf(p,
                            "AllowedOrigin \"%s\": not a port (1-65535, no "
                            "leading zero)",
                            value);
    }
    if (star && warning) {
        *warning = o_wildcard_warning(p, value, star);
    }
    return NULL;
}

/* ---- the document -------------------------------------------------- */

typedef struct {
    apr_pool_t *p;   /* results and reasons */
    const int *tags; /* line of each start tag, in document order */
    int ntags;
    int idx; /* index of the element being looked at, in document order */
} s3_walk_t;

static int s3_line(const s3_walk_t *w, int idx)
{
    return idx < w->ntags ? w->tags[idx] : 0;
}

static int s3_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Lines of the start tags of a well-formed document, in order, into an
 * array of int; the line of a DOCTYPE in *doctype (0 when none).  In a
 * well-formed document a '<' outside comments, CDATA sections and
 * processing instructions starts a tag (attribute values and text cannot
 * hold one), and '>' ends it outside quotes. */
static apr_array_header_t *s3_tag_lines(apr_pool_t *p, const char *d,
                                        apr_size_t len, int *doctype)
{
    apr_array_header_t *tags = apr_array_make(p, 64, sizeof(int));
    apr_size_t i = 0;
    int line = 1;
    char quote;

    *doctype = 0;
#define SKIP_TO(end)                                                           \
    do {                                                                       \
        apr_size_t n_ = strlen(end);                                           \
        while (i < len && (len - i < n_ || memcmp(d + i, end, n_))) {          \
            line += d[i++] == '\n';                                            \
        }                                                                      \
        i += n_;                                                               \
    } while (0)
    while (i < len) {
        if (d[i] != '<') {
            line += d[i++] == '\n';
            continue;
        }
        if (len - i >= 4 && !memcmp(d + i, "<!--", 4)) {
            i += 4;
            SKIP_TO("-->");
        } else if (len - i >= 9 && !memcmp(d + i, "<![CDATA[", 9)) {
            i += 9;
            SKIP_TO("]]>");
        } else if (len - i >= 2 && !memcmp(d + i, "<?", 2)) {
            i += 2;
            SKIP_TO("?>");
        } else if (len - i >= 2 && d[i + 1] == '!') {
            *doctype = line;
            return tags;
        } else {
            if (i + 1 < len && d[i + 1] != '/') {
                APR_ARRAY_PUSH(tags, int) = line;
            }
            for (i++, quote = 0; i < len && (quote || d[i] != '>'); i++) {
                line += d[i] == '\n';
                if (quote ? d[i] == quote : (d[i] == '"' || d[i] == '\'')) {
                    quote = quote ? 0 : d[i];
                }
            }
            i++;
        }
    }
#undef SKIP_TO
    return tags;
}

/* Whether a text list holds anything but XML white space. */
static int s3_has_text(const apr_text_header *h)
{
    const apr_text *t;
    const char *c;
    for (t = h->first; t; t = t->next) {
        for (c = t->text; *c; c++) {
            if (!s3_space((unsigned char)*c)) {
                return 1;
            }
        }
    }
    return 0;
}

/* The text of a value element, trimmed, copied into p. */
static char *s3_text(apr_pool_t *p, const apr_xml_elem *e)
{
    const apr_text *t;
    apr_size_t n = 0, b, en;
    char *s;
    for (t = e->first_cdata.first; t; t = t->next) {
        n += strlen(t->text);
    }
    s = apr_palloc(p, n + 1);
    n = 0;
    for (t = e->first_cdata.first; t; t = t->next) {
        apr_size_t l = strlen(t->text);
        memcpy(s + n, t->text, l);
        n += l;
    }
    for (b = 0; b < n && s3_space((unsigned char)s[b]); b++) {
    }
    for (en = n; en > b && s3_space((unsigned char)s[en - 1]); en--) {
    }
    s[en] = '\0';
    return s + b;
}

static const char *s3_rule_name(apr_pool_t *p, int n, const char *id)
{
    return id ? apr_psprintf(p, "<CORSRule> %d (ID \"%s\")", n, id)
              : apr_psprintf(p, "<CORSRule> %d", n);
}

static const char *const s3_methods[] = {"GET",    "PUT",  "POST",
                                         "DELETE", "HEAD", NULL};

/* Checks and stores one value element of a rule.  Returns NULL or the
 * reason. */
static const char *s3_value(s3_walk_t *w, cors_s3_rule_t *r,
                            const apr_xml_elem *e, int *seen_id,
                            int *seen_max_age)
{
    apr_pool_t *p = w->p;
    const char *name = e->name;
    char *v = s3_text(p, e);
    apr_size_t len = strlen(v);
    const char *why;
    int i;

    if (!strcmp(name, "ID")) {
        if ((*seen_id)++) {
            return "more than one <ID> in a <CORSRule>";
        }
        if (len > S3_ID_MAX) {
            return apr_psprintf(p,
                                "<ID> longer than %d characters (S3's "
                                "limit)",
                                S3_ID_MAX);
        }
        for (i = 0; v[i]; i++) {
            if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
                return "<ID> holds a control character";
            }
        }
        /* An empty <ID/> names nothing: the rule is named by file and
         * line, as one without <ID>. */
        r->id = len ? v : NULL;
        return NULL;
    }
    if (!strcmp(name, "AllowedOrigin")) {
        if ((why = cors_s3_origin_check(p, v, NULL))) {
            return why;
        }
        APR_ARRAY_PUSH(r->origins, const char *) = v;
        return NULL;
    }
    if (!strcmp(name, "AllowedMethod")) {
        for (i = 0; s3_methods[i]; i++) {
            if (!strcmp(v, s3_methods[i])) {
                APR_ARRAY_PUSH(r->methods, const char *) = v;
                return NULL;
            }
        }
        if (!len) {
            return "empty <AllowedMethod>";
        }
        return apr_psprintf(
            p,
            "<AllowedMethod> \"%s\": S3 allows GET, PUT, "
            "POST, DELETE and HEAD, written in upper case",
            len > 64 ? apr_pstrcat(p, apr_pstrndup(p, v, 64), "...", NULL) : v);
    }
    if (!strcmp(name, "AllowedHeader") || !strcmp(name, "ExposeHeader")) {
        int allowed = name[0] == 'A';
        const char *star = strchr(v, '*');
        if (!len) {
            return apr_psprintf(p, "empty <%s>", name);
        }
        if (len > CORS_NAME_MAX) {
            return apr_psprintf(p, "<%s> longer than %d bytes", name,
                                CORS_NAME_MAX);
        }
        if (!cors_is_token(v, len)) {
            return apr_psprintf(p,
                                "<%s> \"%s\": not a header name (an HTTP "
                                "token%s)",
                                name, v,
                                allowed ? ", with at most one '*'" : "");
        }
        if (star && !allowed) {
            return apr_psprintf(p,
                                "<ExposeHeader> \"%s\": names a header, "
                                "'*' is no pattern here",
                                v);
        }
        if (star && strchr(star + 1, '*')) {
            return apr_psprintf(p,
                                "<AllowedHeader> \"%s\": more than one '*' "
                                "(S3 allows one)",
                                v);
        }
        APR_ARRAY_PUSH(allowed ? r->allowed_headers : r->expose_headers,
                       const char *) = v;
        return NULL;
    }
    if (!strcmp(name, "MaxAgeSeconds")) {
        apr_int64_t n = 0;
        if ((*seen_max_age)++) {
            return "more than one <MaxAgeSeconds> in a <CORSRule>";
        }
        if (!len) {
            return "empty <MaxAgeSeconds>";
        }
        for (i = 0; v[i]; i++) {
            if (v[i] < '0' || v[i] > '9') {
                return apr_psprintf(p,
                                    "<MaxAgeSeconds> \"%s\": not a number of "
                                    "seconds (digits only)",
                                    len > 32 ? "..." : v);
            }
            /* S3 reads an integer: refuse what would not fit in one
             * rather than wrap. */
            n = n * 10 + (v[i] - '0');
            if (n > 2147483647) {
                return "<MaxAgeSeconds> too large (over 2147483647)";
            }
        }
        r->max_age = n > CORS_S3_MAX_AGE_CAP ? CORS_S3_MAX_AGE_CAP : (int)n;
        return NULL;
    }
    return apr_psprintf(p,
                        "unknown element <%s> in a <CORSRule> (S3 knows ID, "
                        "AllowedOrigin, AllowedMethod, AllowedHeader, "
                        "ExposeHeader, MaxAgeSeconds)",
                        name);
}

/* Walks the tree: root, rules, values; elements are visited in document
 * order and the walk stops at the first fault, so w->idx is the index of
 * the element a reason is about. */
static const char *s3_walk(s3_walk_t *w, const apr_xml_doc *doc,
                           apr_array_header_t *rules, int *line)
{
    apr_pool_t *p = w->p;
    const apr_xml_elem *root = doc->root, *re, *ve;
    int n = 0;

    w->idx = 0;
    *line = s3_line(w, 0);
    if (strcmp(root->name, "CORSConfiguration")) {
        return apr_psprintf(p,
                            "the document is a <%s>, not a "
                            "<CORSConfiguration>",
                            root->name);
    }
    if (s3_has_text(&root->first_cdata)) {
        return "text inside <CORSConfiguration>, outside a <CORSRule>";
    }
    for (re = root->first_child; re; re = re->next) {
        cors_s3_rule_t *r;
        int rule_idx = ++w->idx, seen_id = 0, seen_max_age = 0;
        const char *why;

        *line = s3_line(w, rule_idx);
        if (strcmp(re->name, "CORSRule")) {
            return apr_psprintf(p,
                                "unknown element <%s> in "
                                "<CORSConfiguration> (only <CORSRule>)",
                                re->name);
        }
        if (++n > CORS_S3_RULES_MAX) {
            return apr_psprintf(p,
                                "more than %d <CORSRule> elements (S3's "
                                "limit)",
                                CORS_S3_RULES_MAX);
        }
        r = apr_array_push(rules);
        r->id = NULL;
        r->line = *line;
        r->origins = apr_array_make(p, 2, sizeof(const char *));
        r->methods = apr_array_make(p, 5, sizeof(const char *));
        r->allowed_headers = apr_array_make(p, 2, sizeof(const char *));
        r->expose_headers = apr_array_make(p, 2, sizeof(const char *));
        r->max_age = -1;
        if (s3_has_text(&re->first_cdata)) {
            return "text inside <CORSRule>, outside its elements";
        }
        for (ve = re->first_child; ve; ve = ve->next) {
            *line = s3_line(w, ++w->idx);
            if (ve->first_child) {
                *line = s3_line(w, ++w->idx);
                return apr_psprintf(p,
                                    "element <%s> inside <%s>: a value "
                                    "holds text only",
                                    ve->first_child->name, ve->name);
            }
            if ((why = s3_value(w, r, ve, &seen_id, &seen_max_age))) {
                return why;
            }
            if (s3_has_text(&ve->following_cdata)) {
                return "text inside <CORSRule>, outside its elements";
            }
        }
        *line = r->line;
        if (!r->origins->nelts) {
            return apr_psprintf(p, "%s has no <AllowedOrigin>",
                                s3_rule_name(p, n, r->id));
        }
        if (!r->methods->nelts) {
            return apr_psprintf(p, "%s has no <AllowedMethod>",
                                s3_rule_name(p, n, r->id));
        }
        if (s3_has_text(&re->following_cdata)) {
            *line = s3_line(w, 0);
            return "text inside <CORSConfiguration>, outside a <CORSRule>";
        }
    }
    if (!n) {
        *line = s3_line(w, 0);
        return "no <CORSRule> in the <CORSConfiguration>";
    }
    *line = 0;
    return NULL;
}

/* Expat's message without apr_xml's "XML parser error code: " prefix. */
static const char *s3_xml_error(apr_pool_t *p, apr_xml_parser *parser)
{
    char buf[256];
    const char *msg = apr_xml_parser_geterror(parser, buf, sizeof(buf));
    const char *prefix = "XML parser error code: ";
    if (!strncmp(msg, prefix, strlen(prefix))) {
        msg += strlen(prefix);
    }
    /* apr_xml stops the parser at an entity declaration (which could
     * expand without bound): expat then says "parsing aborted". */
    if (strstr(msg, "parsing aborted")) {
        return "malformed XML: an entity declaration (<!ENTITY>), which "
               "is not allowed";
    }
    return apr_pstrcat(p, "malformed XML: ", msg, NULL);
}

const char *cors_s3_parse(apr_pool_t *p, const char *doc, apr_size_t len,
                          apr_array_header_t **rules, int *line)
{
    apr_pool_t *tmp;
    apr_xml_parser *parser;
    apr_xml_doc *xdoc = NULL;
    apr_array_header_t *tags;
    const char *nul, *why = NULL;
    apr_size_t i = 0;
    int ln = 0, doctype;
    s3_walk_t w;

    *rules = NULL;
    *line = 0;
    if (len > CORS_S3_DOC_MAX) {
        return apr_psprintf(p,
                            "larger than %d bytes (S3's limit for a CORS "
                            "configuration)",
                            CORS_S3_DOC_MAX);
    }
    if ((nul = memchr(doc, '\0', len))) {
        for (ln = 1; doc < nul; doc++) {
            ln += *doc == '\n';
        }
        *line = ln;
        return "a NUL byte: the document is not UTF-8 text";
    }
    /* The parse tree, expat's parser and the tag lines go in a subpool:
     * only the rules stay. */
    apr_pool_create(&tmp, p);
    parser = apr_xml_parser_create(tmp);
    /* Line by line: the feed that fails holds the syntax error (expat
     * reports a token as soon as it is complete). */
    while (i < len) {
        const char *nl = memchr(doc + i, '\n', len - i);
        apr_size_t n = nl ? (apr_size_t)(nl - (doc + i)) + 1 : len - i;
        ln++;
        if (apr_xml_parser_feed(parser, doc + i, n) != APR_SUCCESS) {
            *line = ln;
            why = s3_xml_error(p, parser);
            goto done;
        }
        i += n;
    }
    if (apr_xml_parser_done(parser, &xdoc) != APR_SUCCESS || !xdoc->root) {
        /* Known only at the end: an unclosed element, no element. */
        *line = ln;
        why = apr_pstrcat(p, "at the end of the document: ",
                          xdoc ? "no element found" : s3_xml_error(p, parser),
                          NULL);
        goto done;
    }
    tags = s3_tag_lines(tmp, doc, len, &doctype);
    if (doctype) {
        *line = doctype;
        why = "a DOCTYPE, which a CORS configuration does not have";
        goto done;
    }
    w.p = p;
    w.tags = (const int *)tags->elts;
    w.ntags = tags->nelts;
    *rules = apr_array_make(p, 4, sizeof(cors_s3_rule_t));
    why = s3_walk(&w, xdoc, *rules, line);
    if (why) {
        *rules = NULL;
    }
done:
    apr_pool_destroy(tmp);
    return why;
}

const char *cors_s3_read(apr_pool_t *p, const char *path,
                         apr_array_header_t **rules, int *line)
{
    apr_pool_t *tmp;
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t got = 0, n;
    char err[128], *buf;
    const char *why;

    *rules = NULL;
    *line = 0;
    /* The file's bytes are needed only while parsing. */
    apr_pool_create(&tmp, p);
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_FPROT_OS_DEFAULT, tmp);
    if (rv != APR_SUCCESS) {
        why = apr_psprintf(p, "cannot open %s: %s", path,
                           apr_strerror(rv, err, sizeof(err)));
        goto done;
    }
    /* One byte more than the limit tells a file that is too large
     * without reading it all. */
    buf = apr_palloc(tmp, CORS_S3_DOC_MAX + 1);
    do {
        n = CORS_S3_DOC_MAX + 1 - got;
        rv = apr_file_read(f, buf + got, &n);
        got += n;
    } while (rv == APR_SUCCESS && got <= CORS_S3_DOC_MAX);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        why = apr_psprintf(p, "cannot read %s: %s", path,
                           apr_strerror(rv, err, sizeof(err)));
        goto done;
    }
    why = cors_s3_parse(p, buf, got, rules, line);
done:
    apr_pool_destroy(tmp);
    return why;
}

/* One origin of an imported rule.  A value S3 accepts that no browser
 * sends as written (a default port, say) is kept, compared byte for byte
 * as S3 does - so it never matches - and reported. */
static void s3_origin_add(apr_pool_t *p, cors_origins_t *o, const char *v,
                          apr_array_header_t *warnings)
{
    const char *warning = NULL, *why;
    if (strchr(v, '*') && strcmp(v, "*")) {
        cors_origins_add_wildcard(o, p, v);
        cors_s3_origin_check(p, v, &warning);
    } else if ((why = cors_origins_add(o, p, v)) != NULL) {
        cors_origins_add_wildcard(o, p, v);
        warning = apr_psprintf(p,
                               "AllowedOrigin '%s' never equals an Origin a "
                               "browser sends (%s): it matches nothing",
                               v, why);
    }
    if (warning) {
        APR_ARRAY_PUSH(warnings, const char *) = warning;
    }
}

static const char *s3_names(apr_pool_t *p, apr_array_header_t *values,
                            cors_names_kind_t kind, const char *element,
                            cors_names_t **out)
{
    int i;
    if (!values->nelts) {
        return NULL;
    }
    *out = cors_names_make(p, kind);
    for (i = 0; i < values->nelts; i++) {
        const char *v = APR_ARRAY_IDX(values, i, const char *);
        const char *why = cors_names_add(*out, p, v);
        if (why) {
            return apr_psprintf(p, "%s '%s': %s", element, v, why);
        }
    }
    return NULL;
}

const char *cors_s3_rule_policy(apr_pool_t *p, const cors_s3_rule_t *r,
                                const char *where, apr_array_header_t *warnings,
                                cors_policy_t **out)
{
    cors_policy_t *rule = cors_policy_make(p);
    const char *why;
    int i;

    rule->set = 1;
    rule->s3 = 1;
    rule->name = r->id ? r->id : where;
    rule->origins = cors_origins_make(p);
    rule->origin_values = apr_array_make(p, r->origins->nelts, sizeof(char *));
    for (i = 0; i < r->origins->nelts; i++) {
        const char *v = APR_ARRAY_IDX(r->origins, i, const char *);
        s3_origin_add(p, rule->origins, v, warnings);
        APR_ARRAY_PUSH(rule->origin_values, const char *) =
            apr_pstrcat(p, "o", v, NULL);
    }
    rule->where[CORS_SET_ORIGINS] = where;
    if ((why = s3_names(p, r->methods, CORS_NAMES_METHODS, "AllowedMethod",
                        &rule->methods)) ||
        (why = s3_names(p, r->allowed_headers, CORS_NAMES_S3_HEADERS,
                        "AllowedHeader", &rule->allow_headers)) ||
        (why = s3_names(p, r->expose_headers, CORS_NAMES_RESPONSE_HEADERS,
                        "ExposeHeader", &rule->expose_headers))) {
        return why;
    }
    rule->where[CORS_SET_METHODS] = where;
    if (rule->allow_headers) {
        rule->where[CORS_SET_ALLOW_HEADERS] = where;
    }
    if (rule->expose_headers) {
        rule->where[CORS_SET_EXPOSE_HEADERS] = where;
    }
    if (r->max_age >= 0) {
        rule->max_age_str = apr_itoa(p, r->max_age);
        rule->where[CORS_SET_MAX_AGE] = where;
    }
    *out = rule;
    return NULL;
}
