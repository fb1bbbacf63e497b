/*
 * cors_names.c: sets of methods and header names, and the one-pass check
 * of an Access-Control-Request-Headers value against them.
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

#include "cors_engine.h"

/* Longest header name kept in a set; longer names are refused at
 * configuration time, so a longer request name is never allowed and can be
 * refused without a lookup. */
#define CORS_NAME_MAX 128

struct cors_names {
    cors_names_kind_t kind;
    int any;
    int authorization; /* request headers: Authorization listed */
    apr_hash_t *set;   /* header names lower-cased; methods as written */
    const char *joined;
};

int cors_is_tchar(unsigned char c)
{
    return CORS_IS(c, CORS_C_TCHAR) != 0;
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

cors_names_t *cors_names_make(apr_pool_t *p, cors_names_kind_t kind)
{
    cors_names_t *n = apr_pcalloc(p, sizeof(*n));
    n->kind = kind;
    n->set = apr_hash_make(p);
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
    if (!strcasecmp(v, "CONNECT") || !strcasecmp(v, "TRACE") ||
        !strcasecmp(v, "TRACK")) {
        return "is a forbidden method: browsers refuse to send it";
    }
    for (i = 0; standard[i]; i++) {
        if (!strcasecmp(v, standard[i]) && strcmp(v, standard[i])) {
            return apr_psprintf(p,
                                "methods are case-sensitive and browsers "
                                "send this one as '%s': write it that way",
                                standard[i]);
        }
    }
    v = apr_pstrdup(p, v);
    apr_hash_set(n->set, v, APR_HASH_KEY_STRING, v);
    return NULL;
}

const char *cors_names_add(cors_names_t *n, apr_pool_t *p, const char *value)
{
    const char *why = NULL;
    char *lower, *c;

    if (!strcmp(value, "*")) {
        if (n->kind != CORS_NAMES_REQUEST_HEADERS && apr_hash_count(n->set)) {
            return "'*' stands alone: it cannot be mixed with names";
        }
        n->any = 1;
    } else if (n->kind != CORS_NAMES_REQUEST_HEADERS && n->any) {
        return "'*' stands alone: it cannot be mixed with names";
    } else if (!cors_is_token(value, strlen(value))) {
        return n->kind == CORS_NAMES_METHODS
                   ? "not a method: a method is an HTTP token"
                   : "not a header name: a header name is an HTTP token";
    } else if (strlen(value) > CORS_NAME_MAX) {
        return "longer than any header a browser would send";
    } else if (n->kind == CORS_NAMES_METHODS) {
        why = add_method(n, p, value);
    } else {
        lower = apr_pstrdup(p, value);
        for (c = lower; *c; c++) {
            *c = apr_tolower(*c);
        }
        if (n->kind == CORS_NAMES_REQUEST_HEADERS) {
            why = forbidden_request_header(lower);
            if (!strcmp(lower, "authorization")) {
                n->authorization = 1;
            }
        } else if (!strcmp(lower, "set-cookie") ||
                   !strcmp(lower, "set-cookie2")) {
            why = "is a forbidden response-header name: browsers never "
                  "expose it to a page";
        }
        if (!why) {
            apr_hash_set(n->set, lower, APR_HASH_KEY_STRING, lower);
        }
    }
    if (why) {
        return why;
    }
    n->joined = n->joined ? apr_pstrcat(p, n->joined, ", ", value, NULL)
                          : apr_pstrdup(p, value);
    return NULL;
}

int cors_names_has(const cors_names_t *n, const char *name, apr_size_t len)
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

static int is_ows(char c)
{
    return CORS_IS(c, CORS_C_OWS) != 0;
}

/*
 * Walks a comma-separated list of header names, calling visit for each
 * non-empty element (without its surrounding white space).  Stops when
 * visit returns non-zero and returns that.  Every byte is read once.
 */
typedef int (*name_visitor)(void *ctx, const char *name, apr_size_t len);

static int each_name(const char *v, name_visitor visit, void *ctx)
{
    while (*v) {
        const char *start, *end;
        int rc;
        while (is_ows(*v) || *v == ',') {
            v++;
        }
        if (!*v) {
            break;
        }
        start = v;
        while (*v && *v != ',') {
            v++;
        }
        end = v;
        while (end > start && is_ows(end[-1])) {
            end--;
        }
        rc = visit(ctx, start, (apr_size_t)(end - start));
        if (rc) {
            return rc;
        }
    }
    return 0;
}

typedef struct {
    const cors_names_t *allowed;
    apr_size_t count;
    const char *bad;
    apr_size_t bad_len;
} check_ctx;

static int check_name(void *vctx, const char *name, apr_size_t len)
{
    check_ctx *ctx = vctx;
    const cors_names_t *allowed = ctx->allowed;
    char lower[CORS_NAME_MAX];
    int fits = len <= CORS_NAME_MAX;
    apr_size_t i;

    ctx->count++;
    /* One pass: check the token and lower-case it for the lookup (a name
     * longer than any configured one cannot be listed). */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!CORS_IS(c, CORS_C_TCHAR)) {
            ctx->bad = name;
            ctx->bad_len = len;
            return CORS_HEADERS_MALFORMED;
        }
        if (fits) {
            lower[i] = CORS_LOWER(c);
        }
    }
    if (allowed) {
        if (fits && apr_hash_get(allowed->set, lower, (apr_ssize_t)len)) {
            return 0;
        }
        /* "*" covers every name but Authorization, which must be listed
         * (the Fetch standard's CORS non-wildcard request-header name). */
        if (allowed->any &&
            !(len == 13 && !memcmp(lower, "authorization", 13))) {
            return 0;
        }
    }
    ctx->bad = name;
    ctx->bad_len = len;
    return CORS_HEADERS_DENIED;
}

cors_headers_result_t cors_request_headers_check(const cors_names_t *allowed,
                                                 const char *value,
                                                 apr_size_t *count,
                                                 const char **bad,
                                                 apr_size_t *bad_len)
{
    check_ctx ctx = {allowed, 0, NULL, 0};
    int rc = each_name(value, check_name, &ctx);
    if (count) {
        *count = ctx.count;
    }
    if (bad) {
        *bad = ctx.bad;
    }
    if (bad_len) {
        *bad_len = ctx.bad_len;
    }
    return (cors_headers_result_t)rc;
}

typedef struct {
    char *out;
    apr_size_t used;
} join_ctx;

static int join_name(void *vctx, const char *name, apr_size_t len)
{
    join_ctx *ctx = vctx;
    apr_size_t i;
    if (ctx->used) {
        ctx->out[ctx->used++] = ',';
        ctx->out[ctx->used++] = ' ';
    }
    for (i = 0; i < len; i++) {
        ctx->out[ctx->used++] = CORS_LOWER(name[i]);
    }
    return 0;
}

const char *cors_request_headers_join(apr_pool_t *p, const char *value)
{
    /* Each element grows by at most ", " while separators and white space
     * shrink: twice the input bounds the output. */
    join_ctx ctx;
    ctx.out = apr_palloc(p, 2 * strlen(value) + 1);
    ctx.used = 0;
    each_name(value, join_name, &ctx);
    ctx.out[ctx.used] = '\0';
    return ctx.out;
}
