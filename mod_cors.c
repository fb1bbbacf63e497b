/*
 * mod_cors.c: httpd glue for mod_cors - directives, per-directory
 * configuration and its merging, the hooks that answer preflights, and the
 * output filter that writes CORS fields on every response.
 *
 * The policy itself (origin rules, header lists, the decision) lives in
 * the engine (cors_engine.h), which knows nothing of httpd.  Everything a
 * directive says is checked and compiled when the configuration is read;
 * merging copies pointers; a request is decided once and the decision is
 * kept with the request.
 *
 * How a request flows:
 *   access_checker_ex  an allowed preflight skips authn/authz: preflights
 *                      carry no credentials, so Require valid-user would
 *                      otherwise answer 401 to every one of them.
 *   fixups             answers preflights (204 or 403) before any handler,
 *                      and publishes the verdict (note, environment).
 *   insert_filter,     add the CORS output filter where a policy applies,
 *   insert_error_filter  on normal and error responses alike.
 *   CORS filter        just before the headers are sent: removes
 *                      Access-Control-* set by anyone else, adds ours,
 *                      merges Vary.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_atomic.h"
#include "apr_strings.h"

#include "mod_cors.h"

module AP_MODULE_DECLARE_DATA cors_module;

/* Set once in register_hooks, read-only afterwards. */
static ap_filter_rec_t *cors_filter_handle;

/* The decision for a request without Origin under a policy that lists
 * origins: shared, so that such a request allocates nothing. */
static const cors_decision_t not_cors = {.verdict = CORS_NOT_CORS,
                                         .vary = "Origin"};

/* An allowed preflight that something answered before the module could
 * (mod_alias' Redirect, a mod_rewrite [R] rule, an error before fixups):
 * browsers fail a preflight whose answer is not 2xx, so the verdict is a
 * refusal and no Access-Control-* field goes out. */
static const cors_decision_t preflight_answered_elsewhere = {
    .verdict = CORS_PREFLIGHT_REFUSED,
    .reason = "answered before mod_cors, with another status",
    .vary = CORS_VARY_PREFLIGHT};

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

static void *create_dir_config(apr_pool_t *p, char *dir)
{
    (void)dir;
    return cors_policy_make(p);
}

static void *merge_dir_config(apr_pool_t *p, void *base, void *add)
{
    return cors_policy_merge(p, base, add);
}

/* Every refusal names the directive, the value and the reason. */
static const char *refuse(cmd_parms *cmd, const char *value, const char *why)
{
    return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, value, why);
}

/* On/Off as TAKE1 rather than FLAG: httpd's FLAG ignores words after the
 * first, and "CORSEngine On Off" must not pass for valid. */
static const char *parse_flag(cmd_parms *cmd, const char *arg, int *flag)
{
    if (!strcasecmp(arg, "on")) {
        *flag = CORS_ON;
    } else if (!strcasecmp(arg, "off")) {
        *flag = CORS_OFF;
    } else {
        return refuse(cmd, arg, "must be On or Off");
    }
    return NULL;
}

static const char *star_with_credentials =
    "'*' and CORSAllowCredentials On cannot share a scope: browsers refuse "
    "credentials with '*'; list the origins instead";

static cors_origins_t *scope_origins(cmd_parms *cmd, cors_policy_t *conf)
{
    /* The first origin directive of a scope starts its own rule set:
     * inherited origins are replaced, not extended. */
    if (!conf->origins) {
        conf->origins = cors_origins_make(cmd->pool);
    }
    return conf->origins;
}

static const char *cmd_allow_origin(cmd_parms *cmd, void *mconfig,
                                    const char *arg)
{
    cors_policy_t *conf = mconfig;
    const char *why =
        cors_origins_add(scope_origins(cmd, conf), cmd->pool, arg);
    if (!why && cors_origins_any(conf->origins) &&
        conf->credentials == CORS_ON) {
        why = star_with_credentials;
    }
    return why ? refuse(cmd, arg, why) : NULL;
}

static const char *cmd_allow_origin_match(cmd_parms *cmd, void *mconfig,
                                          const char *arg)
{
    cors_policy_t *conf = mconfig;
    const char *why =
        cors_origins_add_regex(scope_origins(cmd, conf), cmd->pool, arg, 1);
    return why ? refuse(cmd, arg, why) : NULL;
}

static const char *add_name(cmd_parms *cmd, cors_names_t **set,
                            cors_names_kind_t kind, const char *arg)
{
    const char *why;
    if (!*set) {
        *set = cors_names_make(cmd->pool, kind);
    }
    why = cors_names_add(*set, cmd->pool, arg);
    return why ? refuse(cmd, arg, why) : NULL;
}

static const char *cmd_allow_methods(cmd_parms *cmd, void *mconfig,
                                     const char *arg)
{
    cors_policy_t *conf = mconfig;
    return add_name(cmd, &conf->methods, CORS_NAMES_METHODS, arg);
}

static const char *cmd_allow_headers(cmd_parms *cmd, void *mconfig,
                                     const char *arg)
{
    cors_policy_t *conf = mconfig;
    return add_name(cmd, &conf->allow_headers, CORS_NAMES_REQUEST_HEADERS, arg);
}

static const char *cmd_expose_headers(cmd_parms *cmd, void *mconfig,
                                      const char *arg)
{
    cors_policy_t *conf = mconfig;
    return add_name(cmd, &conf->expose_headers, CORS_NAMES_RESPONSE_HEADERS,
                    arg);
}

static const char *cmd_allow_credentials(cmd_parms *cmd, void *mconfig,
                                         const char *arg)
{
    cors_policy_t *conf = mconfig;
    int on;
    const char *err = parse_flag(cmd, arg, &on);
    if (err) {
        return err;
    }
    if (on == CORS_ON && conf->origins && cors_origins_any(conf->origins)) {
        return refuse(cmd, arg, star_with_credentials);
    }
    conf->credentials = on;
    return NULL;
}

static const char *cmd_max_age(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *conf = mconfig;
    int seconds;
    const char *why = cors_parse_max_age(arg, &seconds);
    if (why) {
        return refuse(cmd, arg, why);
    }
    conf->max_age = seconds;
    conf->max_age_str = apr_itoa(cmd->pool, seconds);
    return NULL;
}

static const char *cmd_private_network(cmd_parms *cmd, void *mconfig,
                                       const char *arg)
{
    cors_policy_t *conf = mconfig;
    return parse_flag(cmd, arg, &conf->private_network);
}

static const char *cmd_engine(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *conf = mconfig;
    return parse_flag(cmd, arg, &conf->engine);
}

/* OR_FILEINFO: everywhere in the configuration, and in .htaccess under
 * AllowOverride FileInfo, like mod_headers' Header. */
static const command_rec cors_cmds[] = {
    AP_INIT_ITERATE("CORSAllowOrigin", cmd_allow_origin, NULL, OR_FILEINFO,
                    "Origins allowed: scheme://host[:port], "
                    "scheme://*.domain[:port], scheme://host:*, or *"),
    AP_INIT_TAKE1("CORSAllowOriginMatch", cmd_allow_origin_match, NULL,
                  OR_FILEINFO,
                  "A regular expression the whole Origin must match"),
    AP_INIT_ITERATE("CORSAllowMethods", cmd_allow_methods, NULL, OR_FILEINFO,
                    "Methods allowed in preflights (case-sensitive), or *"),
    AP_INIT_ITERATE("CORSAllowHeaders", cmd_allow_headers, NULL, OR_FILEINFO,
                    "Request header names allowed in preflights, and/or * "
                    "(every name but Authorization)"),
    AP_INIT_ITERATE("CORSExposeHeaders", cmd_expose_headers, NULL, OR_FILEINFO,
                    "Response header names a page may read, or *"),
    AP_INIT_TAKE1("CORSAllowCredentials", cmd_allow_credentials, NULL,
                  OR_FILEINFO, "On to allow cookies and HTTP authentication"),
    AP_INIT_TAKE1("CORSMaxAge", cmd_max_age, NULL, OR_FILEINFO,
                  "Seconds (0-86400) a browser may cache a preflight answer"),
    AP_INIT_TAKE1("CORSAllowPrivateNetwork", cmd_private_network, NULL,
                  OR_FILEINFO,
                  "On to answer Private Network Access preflights"),
    AP_INIT_TAKE1("CORSEngine", cmd_engine, NULL, OR_FILEINFO,
                  "Off to switch CORS handling off in this scope and below"),
    {NULL}};

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * The request whose policy applies to r, or NULL when none does.  After
 * an internal redirect (ErrorDocument, mod_rewrite) the page asked for the
 * URL the client sent, so its policy wins when it has one; otherwise the
 * policy of the redirect's target applies.  Subrequests send no headers.
 */
static request_rec *policy_owner(request_rec *r, const cors_policy_t **pol)
{
    request_rec *owner = NULL, *q;
    if (r->main) {
        return NULL;
    }
    for (q = r; q; q = q->prev) {
        const cors_policy_t *c =
            ap_get_module_config(q->per_dir_config, &cors_module);
        if (cors_policy_active(c)) {
            owner = q;
            *pol = c;
        }
    }
    return owner;
}

static void publish(request_rec *r, const cors_decision_t *d)
{
    const char *name = cors_verdict_name(d->verdict);
    apr_table_setn(r->notes, CORS_NOTE, name);
    apr_table_setn(r->subprocess_env, CORS_ENV, name);
}

static void log_decision(request_rec *r, const cors_request_t *req,
                         const cors_decision_t *d)
{
    /* Hostile values are cut and escaped before they reach the log. */
    int refused =
        d->verdict == CORS_DISALLOWED || d->verdict == CORS_PREFLIGHT_REFUSED;
    const char *origin =
        apr_pstrmemdup(r->pool, req->origin, strnlen(req->origin, 200));
    const char *detail = "";
    if (refused && d->detail && d->detail != req->origin) {
        detail = apr_pstrcat(
            r->pool, ": ",
            ap_escape_logitem(
                r->pool,
                apr_pstrmemdup(r->pool, d->detail,
                               d->detail_len > 200 ? 200 : d->detail_len)),
            NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s %s: origin '%s': %s%s",
                  r->method, cors_verdict_name(d->verdict),
                  ap_escape_logitem(r->pool, origin),
                  d->reason ? d->reason : "", detail);
}

/*
 * The decision for owner's request, made once and kept in its request
 * config, so that access checking, fixups and the filter (on a normal and
 * on an error response) agree.
 */
static const cors_decision_t *decision_for(request_rec *owner,
                                           const cors_policy_t *pol)
{
    cors_decision_t *d =
        ap_get_module_config(owner->request_config, &cors_module);
    cors_request_t req;

    if (d) {
        return d;
    }
    req.method = owner->method;
    req.origin = apr_table_get(owner->headers_in, "Origin");
    if (!req.origin && !cors_origins_any(pol->origins)) {
        ap_set_module_config(owner->request_config, &cors_module,
                             (void *)&not_cors);
        return &not_cors;
    }
    req.request_method = NULL;
    req.request_headers = NULL;
    req.request_private_network = NULL;
    if (req.origin && owner->method_number == M_OPTIONS) {
        req.request_method =
            apr_table_get(owner->headers_in, "Access-Control-Request-Method");
        if (req.request_method) {
            req.request_headers = apr_table_get(
                owner->headers_in, "Access-Control-Request-Headers");
            req.request_private_network = apr_table_get(
                owner->headers_in, "Access-Control-Request-Private-Network");
        }
    }
    d = apr_palloc(owner->pool, sizeof(*d));
    cors_decide(pol, &req, owner->pool, d);
    ap_set_module_config(owner->request_config, &cors_module, d);

    if (cors_policy_credentials_conflict(pol) &&
        apr_atomic_cas32(pol->warned, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, owner,
                      "CORSAllowOrigin * meets CORSAllowCredentials On "
                      "through merging for %s: answering '*' without "
                      "credentials (logged once per scope)",
                      owner->uri);
    }
    if (req.origin) {
        publish(owner, d);
        if (APLOG_R_IS_LEVEL(owner, APLOG_DEBUG)) {
            log_decision(owner, &req, d);
        }
    }
    return d;
}

/* Preflights carry no credentials: an allowed one skips authn/authz, which
 * would otherwise answer it 401.  A refused one gets no bypass. */
static int cors_access_checker_ex(request_rec *r)
{
    const cors_policy_t *pol = NULL;
    request_rec *owner;

    if (r->method_number != M_OPTIONS) {
        return DECLINED;
    }
    owner = policy_owner(r, &pol);
    if (owner != r) {
        return DECLINED;
    }
    return decision_for(r, pol)->verdict == CORS_PREFLIGHT_ALLOWED ? OK
                                                                   : DECLINED;
}

static int cors_fixups(request_rec *r)
{
    const cors_policy_t *pol = NULL;
    const cors_decision_t *d;
    request_rec *owner = policy_owner(r, &pol);

    if (!owner) {
        return DECLINED;
    }
    d = decision_for(owner, pol);
    if (d->verdict == CORS_NOT_CORS) {
        return DECLINED;
    }
    if (owner != r) {
        publish(r, d); /* mod_log_config reads the final request's notes */
        return DECLINED;
    }
    if (d->verdict == CORS_PREFLIGHT_ALLOWED ||
        d->verdict == CORS_PREFLIGHT_REFUSED) {
        /* Answered here: no handler (static, CGI, proxy, DAV) sees it.  A
         * refusal is a bare 403: the browser shows the page nothing of it,
         * so an ErrorDocument would be work for no reader. */
        if (ap_discard_request_body(r) != OK) {
            return HTTP_BAD_REQUEST;
        }
        ap_add_output_filter_handle(cors_filter_handle, NULL, r, r->connection);
        r->status = d->verdict == CORS_PREFLIGHT_ALLOWED ? HTTP_NO_CONTENT
                                                         : HTTP_FORBIDDEN;
        return DONE;
    }
    return DECLINED;
}

static void cors_insert_filter(request_rec *r)
{
    const cors_policy_t *pol = NULL;
    if (policy_owner(r, &pol)) {
        ap_add_output_filter_handle(cors_filter_handle, NULL, r, r->connection);
    }
}

/* Runs once, just before the response's header is sent (it sits right in
 * front of the protocol filters), on normal and error responses. */
static apr_status_t cors_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const cors_policy_t *pol = NULL;
    request_rec *owner = policy_owner(r, &pol);

    if (owner) {
        const cors_decision_t *d = decision_for(owner, pol);
        if (d->verdict == CORS_PREFLIGHT_ALLOWED &&
            (owner != r || r->status != HTTP_NO_CONTENT)) {
            d = &preflight_answered_elsewhere;
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "OPTIONS %s: %s (%d)",
                          cors_verdict_name(d->verdict), d->reason, r->status);
            publish(owner, d);
            publish(r, d);
        } else if (owner != r && d->verdict != CORS_NOT_CORS) {
            publish(r, d);
        }
        cors_apply(r->pool, d, r->headers_out, r->err_headers_out);
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    /* First, so that no authorization module answers an allowed preflight;
     * per-conf, so httpd keeps skipping access checks for subrequests and
     * redirects whose configuration is unchanged. */
    ap_hook_check_access_ex(cors_access_checker_ex, NULL, NULL, APR_HOOK_FIRST,
                            AP_AUTH_INTERNAL_PER_CONF);
    /* Before mod_rewrite's per-directory rules and every handler setup. */
    ap_hook_fixups(cors_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_filter(cors_insert_filter, NULL, NULL, APR_HOOK_LAST);
    ap_hook_insert_error_filter(cors_insert_filter, NULL, NULL, APR_HOOK_LAST);
    /* After every content filter (mod_headers, mod_deflate: they may touch
     * Access-Control-* or Vary), before the protocol's header filter. */
    cors_filter_handle = ap_register_output_filter("CORS", cors_out_filter,
                                                   NULL, AP_FTYPE_PROTOCOL - 1);
}

AP_DECLARE_MODULE(cors) = {
    STANDARD20_MODULE_STUFF,
    create_dir_config, /* per-directory config */
    merge_dir_config,  /* merge per-directory config */
    NULL,              /* per-server config */
    NULL,              /* merge per-server config */
    cors_cmds,         /* directives */
    register_hooks     /* hooks */
};
