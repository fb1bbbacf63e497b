/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_request.c: the request path of mod_cors.
 *
 * A request in a scope with a policy is decided once, by the engine, and
 * the decision is kept with the request (its state).  The configuration
 * that decides is the one of the content that is served: after an
 * internal redirect (ErrorDocument, mod_rewrite, mod_dir) the target's own
 * configuration applies, never that of the URL the client asked for, so a
 * scope never grants on content it does not configure.  An error httpd
 * generates for the request itself stays under the request's policy.
 *
 *   access_checker_ex  answers an allowed preflight without a body (204)
 *                      in the very hook that lets it skip authn/authz, so
 *                      that nothing else - type checker, fixups, handler,
 *                      ErrorDocument, backend - ever runs for it.  In
 *                      a cors-info lookup (an OPTIONS subrequest), keeps
 *                      the configuration a preflight is decided under.
 *   fixups             answers the other preflights: refused (bare 403,
 *                      after normal access control), or allowed after
 *                      access control (one that carries a body, which no
 *                      browser sends, or one admitted by 'Satisfy Any');
 *                      refuses WebSocket upgrades from disallowed origins
 *                      where CORSWebSocketOrigin is On.
 *   insert_filter,     add the CORS filter where a policy applies.
 *   insert_error_filter
 *   CORS filter        once, on the first brigade: removes Access-Control-*
 *                      fields anyone else set, adds the decision's, merges
 *                      Vary.  It is a content-set filter placed after
 *                      mod_headers' and before mod_cache's CACHE_SAVE, so
 *                      that what the cache stores is what mod_cors sends.
 */
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_strings.h"

#include "mod_cors_private.h"

APLOG_USE_MODULE(cors);

ap_filter_rec_t *cors_filter_handle;

/* What the module knows of one request.  Kept in the request's config
 * vector; a request that httpd re-points to another configuration
 * (ap_internal_fast_redirect: mod_dir, mod_negotiation) is decided again
 * under the new one. */
typedef struct {
    const void *per_dir; /* the configuration decided under */
    const cors_policy_t *policy;
    const char *origin; /* the request's Origin, or NULL */
    const cors_decision_t *decision;
    int answered;  /* the preflight answer is the module's own */
    int published; /* the note is there: set it, no longer add it */
    int report; /* CORSEngine ReportOnly: decide and publish, change nothing */
    /* A preflight's body must not be read before access control: the
     * connection's keep-alive state, saved while it is set to close. */
    int body_held;
    ap_conn_keepalive_e keepalive;
    /* Where the engine writes the decision of a request with Origin: one
     * allocation for both. */
    cors_decision_t space;
} cors_state_t;

/* Shared states, so that a request in a scope without a policy, or without
 * Origin under a policy that lists origins, allocates nothing.  Their
 * per_dir is NULL: they are cheap to find again and never written. */
static const cors_state_t no_policy;
static const cors_state_t not_cors = {.decision = &cors_not_cors};
static const cors_state_t not_cors_report = {.decision = &cors_not_cors,
                                             .report = 1};

/* An allowed preflight that something else answered (mod_alias' Redirect,
 * a mod_rewrite [R] rule, an error while reading it): browsers fail a
 * preflight whose answer is not 2xx, so the verdict is a refusal and no
 * Access-Control-* field goes out. */
static const cors_decision_t answered_elsewhere = {
    .verdict = CORS_PREFLIGHT_REFUSED,
    .reason = "answered by someone else",
    .vary = CORS_VARY_PREFLIGHT};

/* ------------------------------------------------------------------ */
/* Publishing the verdict                                              */
/* ------------------------------------------------------------------ */

/* A request's value, cut and escaped before it reaches the log. */
static const char *loggable(apr_pool_t *p, const char *s, apr_size_t len)
{
    return ap_escape_logitem(p, apr_pstrmemdup(p, s, len > 200 ? 200 : len));
}

/* The note for a verdict decided by a rule or allowed by an origin map:
 * the rule's name, the map's. */
static CORS_NOINLINE const char *
note_of(request_rec *r, const cors_decision_t *d, const char *name)
{
    const char *note = name;
    if (d->rule) {
        note = apr_pstrcat(r->pool, note, " rule=", d->rule, NULL);
    }
    if ((d->verdict == CORS_ALLOWED || d->verdict == CORS_PREFLIGHT_ALLOWED) &&
        d->reason && !strncmp(d->reason, "map ", 4)) {
        note = apr_pstrcat(r->pool, note, " map=", d->reason + 4, NULL);
    }
    return note;
}

/* The debug line of a verdict: what was asked, what was answered, why, and
 * where the scope's origins were set. */
static CORS_NOINLINE void log_verdict(request_rec *r, const cors_state_t *st,
                                      const cors_decision_t *d,
                                      const char *name)
{
    const char *origin = st->origin;
    const char *detail = "";
    const char *where = st->policy->where[CORS_SET_ORIGINS];

    if ((d->verdict == CORS_DISALLOWED ||
         d->verdict == CORS_PREFLIGHT_REFUSED) &&
        d->detail && d->detail != origin) {
        detail = apr_pstrcat(r->pool, ": ",
                             loggable(r->pool, d->detail, d->detail_len), NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  APLOGNO(99001) "%s %s %s: origin '%s': %s%s%s%s (%s)",
                  loggable(r->pool, r->method, strlen(r->method)),
                  loggable(r->pool, r->uri, strlen(r->uri)), name,
                  loggable(r->pool, origin, strlen(origin)),
                  d->reason ? d->reason : "", detail, d->rule ? ", rule " : "",
                  d->rule ? ap_escape_logitem(r->pool, d->rule) : "",
                  where ? ap_escape_logitem(r->pool, where) : "?");
}

/* The verdict of the response that goes out, for a request with Origin:
 * the request note (for mod_log_config) and one debug line.  The
 * environment variable was set when the request was decided, for the
 * handler (CGI, SSI, mod_rewrite), and is set again only when the verdict
 * changed since. */
static CORS_HOT_INLINE void publish(request_rec *r, cors_state_t *st,
                                    const cors_decision_t *d)
{
    const char *name = cors_verdict_name(d->verdict);
    /* Only the module sets the note and CORS_VERDICT: the first time for
     * a request, adding them spares a search of the table for nothing. */
    void (*put)(apr_table_t *, const char *, const char *) =
        st->published ? apr_table_setn : apr_table_addn;

    /* The note is the verdict's name, which costs nothing to build, unless
     * a rule decided or a map allowed ("map ..." is the one reason that
     * begins with 'm' where the note gets more). */
    put(r->notes, CORS_NOTE,
        d->rule || (d->reason && d->reason[0] == 'm') ? note_of(r, d, name)
                                                      : name);
    st->published = 1;
    cors_count(d->verdict);
    if (d != st->decision) {
        apr_table_setn(r->subprocess_env, CORS_ENV, name);
    }
    if (APLOGrdebug(r)) {
        log_verdict(r, st, d, name);
    }
}

/*
 * Where '*' meets CORSAllowCredentials On through merging, the warning is
 * logged once per process and CORSAllowCredentials directive.  .htaccess
 * is read on every request, so "once per scope" would be once per request
 * and any client could fill the error log.  A fixed table of atomic slots
 * holds the hashes of the directives already reported; when it is full,
 * nothing more is logged.
 */
#define REPORTED_SLOTS 64
static volatile apr_uint32_t reported[REPORTED_SLOTS];

static int first_report(const char *where)
{
    apr_ssize_t len = APR_HASH_KEY_STRING;
    apr_uint32_t h = (apr_uint32_t)apr_hashfunc_default(where, &len) | 1;
    int i;
    for (i = 0; i < REPORTED_SLOTS; i++) {
        apr_uint32_t seen =
            apr_atomic_cas32(&reported[(h + i) % REPORTED_SLOTS], h, 0);
        if (seen == 0 || seen == h) {
            return seen == 0;
        }
    }
    return 0;
}

static void warn_credentials_conflict(request_rec *r, const char *where)
{
    if (first_report(where)) {
        ap_log_rerror(
            APLOG_MARK, APLOG_WARNING, 0, r,
            APLOGNO(
                99002) "CORSAllowOrigin * meets CORSAllowCredentials On (%s) "
                       "through merging: answering '*' without credentials; "
                       "list the origins where credentials are wanted "
                       "(logged once per process)",
            where);
    }
}

/* ------------------------------------------------------------------ */
/* The state of a request                                              */
/* ------------------------------------------------------------------ */

/* Whether r is an ErrorDocument answering a preflight: httpd turns the
 * redirect into a GET, and says what the method was in
 * REDIRECT_REQUEST_METHOD.  The browser still reads the answer as the
 * preflight's, and only the module's own answer allows a preflight. */
static int answers_a_preflight(request_rec *r)
{
    const char *m = apr_table_get(r->subprocess_env, "REDIRECT_REQUEST_METHOD");
    return r->method_number != M_OPTIONS && m && !strcmp(m, "OPTIONS") &&
           apr_table_get(r->headers_in, "Access-Control-Request-Method");
}

static cors_state_t *decide(request_rec *r, const cors_policy_t *pol,
                            const char *origin, int again)
{
    cors_state_t *st;
    cors_request_t req = {r->method, origin, NULL, NULL, NULL};
    const cors_decision_t *d;
    const char *conflict;

    if (origin && r->method_number == M_OPTIONS) {
        req.request_method =
            apr_table_get(r->headers_in, "Access-Control-Request-Method");
        if (req.request_method) {
            req.request_headers =
                apr_table_get(r->headers_in, "Access-Control-Request-Headers");
            req.request_private_network = apr_table_get(
                r->headers_in, "Access-Control-Request-Private-Network");
        }
    }
    if (origin) {
        /* A request with Origin always has a state of its own. */
        st = apr_palloc(r->pool, sizeof(*st));
        d = r->prev && answers_a_preflight(r)
                ? &answered_elsewhere
                : cors_decide_in(pol, &req, r->pool, &st->space);
    } else {
        d = cors_decide(pol, &req, r->pool);
        if (d == &cors_not_cors) {
            /* shared: nothing allocated */
            return (cors_state_t *)(pol->engine == CORS_REPORT_ONLY
                                        ? &not_cors_report
                                        : &not_cors);
        }
        st = apr_palloc(r->pool, sizeof(*st));
    }
    /* Only an answer of "*" can meet credentials: the others need not
     * look. */
    if (d->allow_origin && d->allow_origin[0] == '*' &&
        (conflict = cors_policy_credentials_conflict(pol))) {
        warn_credentials_conflict(r, conflict);
    }
    st->per_dir = r->per_dir_config;
    st->policy = pol;
    st->origin = origin;
    st->decision = d;
    st->answered = 0;
    st->published = 0;
    st->report = pol->engine == CORS_REPORT_ONLY;
    st->body_held = 0;
    if (origin) {
        /* For the handler (CGI, SSI, mod_rewrite); the note and the log
         * line wait for the response, which an internal redirect may hand
         * to another request and configuration. */
        (again ? apr_table_setn : apr_table_addn)(
            r->subprocess_env, CORS_ENV, cors_verdict_name(d->verdict));
    }
    return st;
}

/* The state of r, decided under its current configuration; NULL where no
 * policy applies.  Subrequests send no response of their own. */
static cors_state_t *state_of(request_rec *r)
{
    cors_state_t *st = ap_get_module_config(r->request_config, &cors_module);
    const cors_policy_t *pol;

    if (r->main) {
        return NULL;
    }
    if (st && st->per_dir == r->per_dir_config) {
        return st;
    }
    pol = ap_get_module_config(r->per_dir_config, &cors_module);
    st = cors_policy_active(pol)
             ? decide(r, pol, apr_table_get(r->headers_in, "Origin"), !!st)
             : (cors_state_t *)&no_policy;
    ap_set_module_config(r->request_config, &cors_module, st);
    return st == &no_policy ? NULL : st;
}

/* Whether r was seen by the per-directory phases (any state, even "no
 * policy", was kept for it). */
static int seen(const request_rec *r)
{
    return ap_get_module_config(r->request_config, &cors_module) != NULL;
}

/* ------------------------------------------------------------------ */
/* Preflights and WebSocket handshakes                                 */
/* ------------------------------------------------------------------ */

/* Browsers never send a body with a preflight; a request that announces
 * one is not given the authentication bypass. */
static int has_body(const request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    return apr_table_get(r->headers_in, "Transfer-Encoding") != NULL ||
           (cl && strcmp(cl, "0"));
}

/*
 * The module's answer to a preflight: 204 when allowed, a bare 403 when
 * refused.  No handler runs.  The 204 is a success response, so the
 * insert_filter hooks run as they would before a handler (mod_headers'
 * "Header set" and "Header always"); the 403 is an error response, so the
 * insert_error_filter hooks run ("Header always") and, as httpd does for
 * errors, only the fields meant for every response stay.  No
 * ErrorDocument is fetched for a reader that never sees it.
 */
static int answer_preflight(request_rec *r, cors_state_t *st)
{
    /* Consume a body so the connection stays in step; when it cannot be
     * read, httpd has answered (413, 400): that is the one response. */
    int rc = ap_discard_request_body(r);
    if (rc != OK) {
        return rc;
    }
    st->answered = 1;
    if (st->decision->verdict == CORS_PREFLIGHT_ALLOWED ||
        st->decision->debug_answer) {
        r->status = HTTP_NO_CONTENT;
        ap_run_insert_filter(r);
        return DONE;
    }
    r->status = HTTP_FORBIDDEN;
    r->content_type = NULL;
    apr_table_clear(r->headers_out);
    ap_run_insert_error_filter(r);
    return DONE;
}

int cors_check_access(request_rec *r)
{
    cors_state_t *st;
    if (r->method_number != M_OPTIONS) {
        return DECLINED;
    }
    if (r->main) {
        /* Subrequests send no answer; one may be cors-info's lookup. */
        cors_info_preflight_lookup(r);
        return DECLINED;
    }
    if (!(st = state_of(r)) || st->report ||
        (st->decision->verdict != CORS_PREFLIGHT_ALLOWED &&
         st->decision->verdict != CORS_PREFLIGHT_REFUSED)) {
        return DECLINED;
    }
    if (has_body(r)) {
        /* No bypass.  Should access control refuse it, httpd would read
         * the body before sending the error, and a body that fails (a bad
         * chunk, LimitRequestBody, a timeout) would replace the 401: the
         * connection is closed instead, which spares reading it.  Fixups
         * restore keep-alive when access control let the request through. */
        st->body_held = 1;
        st->keepalive = r->connection->keepalive;
        r->connection->keepalive = AP_CONN_CLOSE;
        return DECLINED;
    }
    return st->decision->verdict == CORS_PREFLIGHT_ALLOWED
               ? answer_preflight(r, st)
               : DECLINED;
}

static int is_websocket_upgrade(request_rec *r)
{
    const char *upgrade = apr_table_get(r->headers_in, "Upgrade");
    return upgrade && ap_find_token(r->pool, upgrade, "websocket");
}

int cors_fixups(request_rec *r)
{
    cors_state_t *st = state_of(r);
    if (!st || st->report) {
        return DECLINED;
    }
    switch (st->decision->verdict) {
    case CORS_PREFLIGHT_ALLOWED:
    case CORS_PREFLIGHT_REFUSED:
        if (r->method_number != M_OPTIONS) {
            return DECLINED; /* an ErrorDocument answering a preflight */
        }
        if (st->body_held) {
            r->connection->keepalive = st->keepalive;
        }
        return answer_preflight(r, st);
    case CORS_DISALLOWED:
        /* Browsers apply no CORS to WebSocket handshakes: the Origin check
         * is the only defence against cross-site WebSocket hijacking, and
         * it must come before any backend is contacted. */
        if (cors_policy_websocket(st->policy) && is_websocket_upgrade(r)) {
            ap_log_rerror(
                APLOG_MARK, APLOG_DEBUG, 0, r,
                APLOGNO(99003) "WebSocket upgrade refused: origin not allowed");
            return HTTP_FORBIDDEN;
        }
        return DECLINED;
    default:
        return DECLINED;
    }
}

/* ------------------------------------------------------------------ */
/* The response                                                        */
/* ------------------------------------------------------------------ */

void cors_insert_filter(request_rec *r)
{
    /* A request the per-directory phases never saw is served by a quick
     * handler: mod_cache's stored response passed this filter when it was
     * stored, under the right configuration, and goes out as stored. */
    const cors_state_t *st =
        ap_get_module_config(r->request_config, &cors_module);
    /* Decided under this configuration (fixups did it): no need to ask
     * state_of(), which would only find it again. */
    if (st && (st->per_dir == r->per_dir_config ? !r->main : !!state_of(r))) {
        ap_add_output_filter_handle(cors_filter_handle, NULL, r, r->connection);
    }
}

void cors_insert_error_filter(request_rec *r)
{
    /* Errors may end a request before fixups (authentication, a bad
     * body): decide then.  A 304 nobody decided on is mod_cache's quick
     * handler revalidating a stored response: it goes out as stored. */
    if (r->status == HTTP_NOT_MODIFIED && !seen(r)) {
        return;
    }
    if (state_of(r)) {
        ap_add_output_filter_handle(cors_filter_handle, NULL, r, r->connection);
    }
}

static int is_access_control(const char *name)
{
    /* Byte by byte first (the terminator stops it), so that "Accept-*"
     * and the like cost no call. */
    return (name[0] | 0x20) == 'a' && (name[1] | 0x20) == 'c' &&
           (name[2] | 0x20) == 'c' && (name[3] | 0x20) == 'e' &&
           (name[4] | 0x20) == 's' &&
           !ap_cstr_casecmpn(name, "Access-Control-", 15);
}

/* apr_tables keeps with every entry its key's first four bytes, their
 * letters upper-cased (key_checksum).  Testing it first spares reading the
 * key of every field that cannot be Access-Control-* or Vary: 22
 * instructions less per response than testing the key's bytes (callgrind,
 * allowed GET).  APR has computed it so since 0.9; cors_strip_init()
 * checks at start-up that it still does, else the bytes are tested. */
#define KEY_CHECKSUM(a, b, c, d)                                               \
    ((apr_uint32_t)(a) << 24 | (apr_uint32_t)(b) << 16 |                       \
     (apr_uint32_t)(c) << 8 | (apr_uint32_t)(d))
#define CHECKSUM_ACCE KEY_CHECKSUM('A', 'C', 'C', 'E')
#define CHECKSUM_VARY KEY_CHECKSUM('V', 'A', 'R', 'Y')
static int checksum_known;

void cors_strip_init(apr_pool_t *p)
{
    static const char *const keys[] = {"Access-Control-Allow-Origin",
                                       "aCCESS-cONTROL-x", "Vary", "vArY"};
    apr_table_t *t = apr_table_make(p, 4);
    const apr_table_entry_t *e;
    int i;
    for (i = 0; i < 4; i++) {
        apr_table_addn(t, keys[i], "");
    }
    e = (const apr_table_entry_t *)apr_table_elts(t)->elts;
    checksum_known = e[0].key_checksum == CHECKSUM_ACCE &&
                     e[1].key_checksum == CHECKSUM_ACCE &&
                     e[2].key_checksum == CHECKSUM_VARY &&
                     e[3].key_checksum == CHECKSUM_VARY;
}

/* Removes every Access-Control-* field of t: where the module has a policy
 * it is the single authority over them.  Returns whether a Vary field is
 * there, which the same pass finds at no cost (apr_table_get would look
 * again: ~25 instructions per response).  by_checksum: whether the
 * key_checksum is tested first; a constant, so each caller gets its own
 * loop. */
static CORS_HOT_INLINE int strip_from(apr_table_t *t, int by_checksum)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const apr_table_entry_t *end = e + arr->nelts;
    int vary = 0;
    while (e < end) {
        if (by_checksum ? e->key_checksum == CHECKSUM_ACCE &&
                              (e->key[4] | 0x20) == 's' &&
                              !ap_cstr_casecmpn(e->key + 5, "s-Control-", 10)
                        : is_access_control(e->key)) {
            /* Removes every field of that name; the table shrinks, so the
             * same place is looked at again. */
            apr_size_t at =
                (apr_size_t)(e - (const apr_table_entry_t *)arr->elts);
            apr_table_unset(t, e->key);
            e = (const apr_table_entry_t *)arr->elts + at;
            end = (const apr_table_entry_t *)arr->elts + arr->nelts;
            continue;
        }
        vary |= by_checksum ? e->key_checksum == CHECKSUM_VARY && !e->key[4]
                            : !ap_cstr_casecmp(e->key, "Vary");
        e++;
    }
    return vary;
}

static CORS_NOINLINE int strip_by_bytes(apr_table_t *t)
{
    return strip_from(t, 0);
}

static CORS_HOT_INLINE int strip_access_control(apr_table_t *t)
{
    return checksum_known ? strip_from(t, 1) : strip_by_bytes(t);
}

static int vary_star(void *found, const char *key, const char *value)
{
    (void)key;
    if (value && strchr(value, '*')) {
        *(int *)found = 1;
        return 0;
    }
    return 1;
}

/* Merges tokens into the response's Vary, unless it varies on everything
 * already ("Vary: *").  httpd joins every Vary field and drops repeated
 * tokens before it sends them (and mod_cache reads the first Vary of
 * headers_out): merging into headers_out is all it takes.  here and there:
 * whether headers_out and err_headers_out hold a Vary field. */
static void vary_merge(request_rec *r, const char *tokens, int here, int there)
{
    int star = 0;

    if (!here && !there) {
        apr_table_addn(r->headers_out, "Vary", tokens); /* the common case */
        return;
    }
    if (here) {
        apr_table_do(vary_star, &star, r->headers_out, "Vary", NULL);
    }
    if (there && !star) {
        apr_table_do(vary_star, &star, r->err_headers_out, "Vary", NULL);
    }
    if (!star) {
        apr_table_mergen(r->headers_out, "Vary", tokens);
    }
}

/* Longest Access-Control-Expose-Headers value built from a response's
 * fields ('*' with credentials): a backend may send thousands. */
#define EXPOSE_MAX 4096

typedef struct {
    apr_pool_t *p;
    apr_hash_t *seen; /* lower-cased names already listed */
    apr_array_header_t *names;
    apr_size_t len;
} expose_ctx;

/* Response fields a page can always read, or never. */
static int never_listed(const char *name)
{
    static const char *const names[] = {
        /* CORS-safelisted response-header names */
        "Cache-Control", "Content-Language", "Content-Length", "Content-Type",
        "Expires", "Last-Modified", "Pragma",
        /* forbidden response-header names */
        "Set-Cookie", "Set-Cookie2",
        /* hop-by-hop fields, not part of what a page sees */
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer",
        "Upgrade", NULL};
    int i;
    if (is_access_control(name)) {
        return 1;
    }
    for (i = 0; names[i]; i++) {
        if (!ap_cstr_casecmp(name, names[i])) {
            return 1;
        }
    }
    return 0;
}

static int expose_one(void *vctx, const char *key, const char *value)
{
    expose_ctx *ctx = vctx;
    apr_size_t len;
    char *lower;
    (void)value;
    if (!key || never_listed(key)) {
        return 1;
    }
    len = strlen(key);
    lower = apr_pstrmemdup(ctx->p, key, len);
    ap_str_tolower(lower);
    if (apr_hash_get(ctx->seen, lower, (apr_ssize_t)len)) {
        return 1;
    }
    if (ctx->len + len + 1 > EXPOSE_MAX) {
        return 0; /* full: the rest stays unreadable */
    }
    apr_hash_set(ctx->seen, lower, (apr_ssize_t)len, lower);
    APR_ARRAY_PUSH(ctx->names, const char *) = key;
    ctx->len += len + 1;
    return 1;
}

/* The names of the response's fields a page could not read without
 * Access-Control-Expose-Headers, each once, or NULL. */
static const char *expose_list(request_rec *r)
{
    expose_ctx ctx = {r->pool, apr_hash_make(r->pool),
                      apr_array_make(r->pool, 8, sizeof(const char *)), 0};
    if (apr_table_do(expose_one, &ctx, r->headers_out, NULL)) {
        apr_table_do(expose_one, &ctx, r->err_headers_out, NULL);
    }
    return ctx.names->nelts ? apr_array_pstrcat(r->pool, ctx.names, ',') : NULL;
}

/* The value of field f that the decision calls for on this response. */
static const char *field_value(request_rec *r, const cors_decision_t *d,
                               const cors_field_t *f)
{
    return f->from_response && d->expose_from_response ? expose_list(r)
                                                       : CORS_FIELD_VALUE(d, f);
}

/* Adds a field the decision calls for.  strip_access_control() has just
 * removed every Access-Control-* field, so adding never repeats one, and
 * costs no search of the table as setting would. */
static void add_if(apr_table_t *t, const char *name, const char *value)
{
    if (value) {
        apr_table_addn(t, name, value);
    }
}

static void write_fields(request_rec *r, const cors_decision_t *d)
{
    apr_table_t *h = r->headers_out;
    int vary_here = strip_access_control(h);
    int vary_there = !apr_is_empty_table(r->err_headers_out) &&
                     strip_access_control(r->err_headers_out);

    /* cors_fields, written out: a loop over the table costs every
     * response some 70 instructions more (callgrind, allowed GET). */
    add_if(h, "Access-Control-Allow-Origin", d->allow_origin);
    add_if(h, "Access-Control-Allow-Credentials", d->allow_credentials);
    if (d->verdict == CORS_PREFLIGHT_ALLOWED ||
        d->verdict == CORS_PREFLIGHT_REFUSED) {
        /* Only the answer to a preflight has these. */
        add_if(h, "Access-Control-Allow-Methods", d->allow_methods);
        add_if(h, "Access-Control-Allow-Headers", d->allow_headers);
        add_if(h, "Access-Control-Max-Age", d->max_age);
        add_if(h, "Access-Control-Allow-Private-Network",
               d->allow_private_network);
    }
    add_if(h, "Access-Control-Expose-Headers",
           d->expose_from_response ? expose_list(r) : d->expose_headers);
    if (d->vary) {
        vary_merge(r, d->vary, vary_here, vary_there);
    }
}

/* ------------------------------------------------------------------ */
/* CORSEngine ReportOnly: what went out against what would have        */
/* ------------------------------------------------------------------ */

/* The fields of name in both tables, joined as httpd would send them. */
static const char *sent_value(request_rec *r, const char *name)
{
    const char *a = apr_table_get(r->headers_out, name);
    const char *b = apr_is_empty_table(r->err_headers_out)
                        ? NULL
                        : apr_table_get(r->err_headers_out, name);
    apr_array_header_t *all = apr_array_make(r->pool, 2, sizeof(char *));
    int i;
    const apr_table_t *t[2] = {r->headers_out, r->err_headers_out};
    if (!a && !b) {
        return NULL;
    }
    for (i = 0; i < 2; i++) {
        const apr_array_header_t *arr = apr_table_elts(t[i]);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int j;
        for (j = 0; j < arr->nelts; j++) {
            if (e[j].key && !ap_cstr_casecmp(e[j].key, name)) {
                APR_ARRAY_PUSH(all, const char *) = e[j].val;
            }
        }
    }
    return apr_array_pstrcat(r->pool, all, ',');
}

/* The elements of a list, trimmed, empty ones left out, in a hash (keys
 * lower-cased where nocase); NULL when an element repeats. */
static apr_hash_t *list_set(apr_pool_t *p, const char *value, int nocase,
                            int *count)
{
    apr_hash_t *h = apr_hash_make(p);
    char *copy = apr_pstrdup(p, value), *last, *tok;
    *count = 0;
    for (tok = apr_strtok(copy, ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last)) {
        char *end;
        while (*tok == ' ' || *tok == '\t') {
            tok++;
        }
        end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t')) {
            *--end = '\0';
        }
        if (!*tok) {
            continue;
        }
        if (nocase) {
            ap_str_tolower(tok);
        }
        apr_hash_set(h, tok, APR_HASH_KEY_STRING, tok);
        (*count)++;
    }
    return apr_hash_count(h) == (unsigned)*count ? h : NULL;
}

/* Whether what went out as field f is what the module would send. */
static int same_value(apr_pool_t *p, const cors_field_t *f, const char *want,
                      const char *sent)
{
    apr_hash_t *a, *b;
    apr_hash_index_t *hi;
    int na, nb;
    if (!want || !sent) {
        return !want && !sent;
    }
    if (!f->list) {
        return !strcmp(want, sent);
    }
    /* Lists: the same elements, in any order. */
    a = list_set(p, want, f->nocase, &na);
    b = list_set(p, sent, f->nocase, &nb);
    if (!a || !b || na != nb) {
        return 0;
    }
    for (hi = apr_hash_first(p, a); hi; hi = apr_hash_next(hi)) {
        const void *k;
        apr_hash_this(hi, &k, NULL, NULL);
        if (!apr_hash_get(b, k, APR_HASH_KEY_STRING)) {
            return 0;
        }
    }
    return 1;
}

/* The first Access-Control-* field sent that the module would not send. */
static const char *first_extra(const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i, k;
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !is_access_control(e[i].key)) {
            continue;
        }
        for (k = 0; cors_fields[k].name; k++) {
            if (!ap_cstr_casecmp(e[i].key, cors_fields[k].name)) {
                break;
            }
        }
        if (!cors_fields[k].name) {
            return e[i].key;
        }
    }
    return NULL;
}

/* Compares the Access-Control-* fields going out with the decision's and
 * records the result in the note CORS_REPORT_NOTE: "same", or "differs: "
 * and the first field that differs. */
static void report(request_rec *r, const cors_decision_t *d)
{
    const char *differs = NULL;
    const cors_field_t *f;
    for (f = cors_fields; f->name && !differs; f++) {
        if (!same_value(r->pool, f, field_value(r, d, f),
                        sent_value(r, f->name))) {
            differs = f->name;
        }
    }
    if (!differs) {
        differs = first_extra(r->headers_out);
    }
    if (!differs && !apr_is_empty_table(r->err_headers_out)) {
        differs = first_extra(r->err_headers_out);
    }
    if (!differs) {
        apr_table_setn(r->notes, CORS_REPORT_NOTE, "same");
        return;
    }
    apr_table_setn(r->notes, CORS_REPORT_NOTE,
                   apr_pstrcat(r->pool, "differs: ", differs, NULL));
    cors_count_report_differs();
}

/* The decision as it applies to a response the module did not answer
 * itself.  An allowed preflight answered by anyone else is refused;
 * CORSDebug's fields belong to the module's own 204 only: a refused
 * preflight answered by anyone else gets none. */
static CORS_NOINLINE const cors_decision_t *
answered_by_another(request_rec *r, const cors_decision_t *d)
{
    cors_decision_t *bare;
    if (d->verdict == CORS_PREFLIGHT_ALLOWED) {
        return &answered_elsewhere;
    }
    bare = apr_pcalloc(r->pool, sizeof(*bare));
    bare->verdict = d->verdict;
    bare->reason = d->reason;
    bare->detail = d->detail;
    bare->detail_len = d->detail_len;
    bare->vary = d->vary;
    bare->rule = d->rule;
    return bare;
}

/* CORSEngine ReportOnly: the verdict the module would have given, on the
 * response as the handler, a backend or mod_headers made it. */
static CORS_NOINLINE void report_only(request_rec *r, cors_state_t *st)
{
    if (st->origin) {
        publish(r, st, st->decision);
    }
    report(r, st->decision);
}

apr_status_t cors_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    cors_state_t *st;
    const cors_decision_t *d;

    /* The fields go out with the first brigade; the filter then only
     * passes the others on.  Removing it would cost every response more
     * (~20 instructions) than the later brigades of a few save. */
    if (f->ctx) {
        return ap_pass_brigade(f->next, bb);
    }
    f->ctx = f;
    st = ap_get_module_config(r->request_config, &cors_module);
    d = st->decision;
    if (st->report) {
        report_only(r, st);
    } else {
        if ((d->verdict == CORS_PREFLIGHT_ALLOWED || d->debug_answer) &&
            !st->answered) {
            d = answered_by_another(r, d);
        }
        if (st->origin) {
            publish(r, st, d);
        }
        write_fields(r, d);
    }
    return ap_pass_brigade(f->next, bb);
}
