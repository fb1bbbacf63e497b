/*
 * cors_response.c: writing a decision into a response's header tables.
 *
 * httpd keeps a response's fields in two tables (headers_out, and
 * err_headers_out which survives error responses) and sends both, so a
 * field set in each is sent twice.  Where the module has a policy it is
 * the single authority over Access-Control-*: whatever a handler, a CGI
 * script, a proxied backend or mod_headers put in either table is removed
 * before the module's own fields are added, and Vary is merged, never
 * overwritten.
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

#include "cors_engine.h"

#define AC_PREFIX "access-control-"
#define AC_PREFIX_LEN 15

static int is_access_control(const char *name)
{
    return (name[0] == 'A' || name[0] == 'a') &&
           !strncasecmp(name, AC_PREFIX, AC_PREFIX_LEN);
}

void cors_strip_access_control(apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    int i = 0;
    while (i < arr->nelts) {
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        if (e[i].key && is_access_control(e[i].key)) {
            /* Removes every field of that name; the table shrinks, so the
             * same index is looked at again. */
            const char *key = e[i].key;
            apr_table_unset(t, key);
            continue;
        }
        i++;
    }
}

static int is_ows_or_comma(char c)
{
    return c == ' ' || c == '\t' || c == ',';
}

/* Whether a comma-separated list holds token (case-insensitive), or "*". */
static int list_has(const char *list, const char *token, apr_size_t len)
{
    while (*list) {
        const char *start, *end;
        while (is_ows_or_comma(*list)) {
            list++;
        }
        start = list;
        while (*list && *list != ',') {
            list++;
        }
        end = list;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if ((end - start == 1 && *start == '*') ||
            ((apr_size_t)(end - start) == len &&
             !strncasecmp(start, token, len))) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    const char *token;
    apr_size_t len;
    int found;
} vary_scan;

static int vary_has_cb(void *ctx, const char *key, const char *value)
{
    vary_scan *s = ctx;
    (void)key;
    if (value && list_has(value, s->token, s->len)) {
        s->found = 1;
        return 0; /* stop */
    }
    return 1;
}

static int vary_has(const apr_table_t *a, const apr_table_t *b,
                    const char *token, apr_size_t len)
{
    vary_scan s = {token, len, 0};
    apr_table_do(vary_has_cb, &s, a, "Vary", NULL);
    if (!s.found && b) {
        apr_table_do(vary_has_cb, &s, b, "Vary", NULL);
    }
    return s.found;
}

void cors_vary_merge(apr_table_t *primary, apr_table_t *other,
                     const char *tokens)
{
    const char *t = tokens;
    const char *missing = NULL;
    apr_table_t *target = primary;
    apr_pool_t *p = apr_table_elts(primary)->pool;

    /* Common case first: nothing varies yet, add the whole list as is. */
    if (!apr_table_get(primary, "Vary") &&
        !(other && apr_table_get(other, "Vary"))) {
        apr_table_setn(primary, "Vary", tokens);
        return;
    }
    while (*t) {
        const char *start;
        while (is_ows_or_comma(*t)) {
            t++;
        }
        start = t;
        while (*t && !is_ows_or_comma(*t)) {
            t++;
        }
        if (t > start &&
            !vary_has(primary, other, start, (apr_size_t)(t - start))) {
            const char *tok = apr_pstrmemdup(p, start, (apr_size_t)(t - start));
            missing = missing ? apr_pstrcat(p, missing, ", ", tok, NULL) : tok;
        }
    }
    if (!missing) {
        return;
    }
    /* Merge into the table that already varies, so the response keeps one
     * Vary field. */
    if (!apr_table_get(primary, "Vary") && other &&
        apr_table_get(other, "Vary")) {
        target = other;
    }
    apr_table_mergen(target, "Vary", missing);
}

/* Response fields a page can always read, or never. */
static int never_listed(const char *name)
{
    static const char *const names[] = {
        /* CORS-safelisted response-header names */
        "cache-control", "content-language", "content-length", "content-type",
        "expires", "last-modified", "pragma",
        /* forbidden response-header names */
        "set-cookie", "set-cookie2",
        /* hop-by-hop fields, not part of what a page sees */
        "connection", "keep-alive", "transfer-encoding", "te", "trailer",
        "upgrade", NULL};
    int i;
    if (is_access_control(name)) {
        return 1;
    }
    for (i = 0; names[i]; i++) {
        if (!strcasecmp(name, names[i])) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *names;
} expose_ctx;

static int expose_cb(void *vctx, const char *key, const char *value)
{
    expose_ctx *ctx = vctx;
    int i;
    (void)value;
    if (!key || never_listed(key)) {
        return 1;
    }
    for (i = 0; i < ctx->names->nelts; i++) {
        if (!strcasecmp(APR_ARRAY_IDX(ctx->names, i, const char *), key)) {
            return 1;
        }
    }
    APR_ARRAY_PUSH(ctx->names, const char *) = key;
    return 1;
}

const char *cors_expose_list(apr_pool_t *p, const apr_table_t *a,
                             const apr_table_t *b)
{
    expose_ctx ctx;
    ctx.p = p;
    ctx.names = apr_array_make(p, 8, sizeof(const char *));
    if (a) {
        apr_table_do(expose_cb, &ctx, a, NULL);
    }
    if (b) {
        apr_table_do(expose_cb, &ctx, b, NULL);
    }
    if (!ctx.names->nelts) {
        return NULL;
    }
    return apr_array_pstrcat(p, ctx.names, ',');
}

static void set_if(apr_table_t *t, const char *name, const char *value)
{
    if (value) {
        apr_table_setn(t, name, value);
    }
}

void cors_apply(apr_pool_t *p, const cors_decision_t *d, apr_table_t *headers,
                apr_table_t *err_headers)
{
    cors_strip_access_control(headers);
    if (err_headers) {
        cors_strip_access_control(err_headers);
    }
    set_if(headers, "Access-Control-Allow-Origin", d->allow_origin);
    set_if(headers, "Access-Control-Allow-Credentials", d->allow_credentials);
    set_if(headers, "Access-Control-Allow-Methods", d->allow_methods);
    set_if(headers, "Access-Control-Allow-Headers", d->allow_headers);
    set_if(headers, "Access-Control-Max-Age", d->max_age);
    set_if(headers, "Access-Control-Allow-Private-Network",
           d->allow_private_network);
    if (d->expose_from_response) {
        set_if(headers, "Access-Control-Expose-Headers",
               cors_expose_list(p, headers, err_headers));
    } else {
        set_if(headers, "Access-Control-Expose-Headers", d->expose_headers);
    }
    if (d->vary) {
        cors_vary_merge(headers, err_headers, d->vary);
    }
}
