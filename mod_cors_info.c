/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_info.c: the cors-info handler, like mod_info's server-info.
 *
 *   <Location /cors-info>
 *       SetHandler cors-info
 *       Require ip 127.0.0.1
 *   </Location>
 *
 *   GET /cors-info?uri=/api/items&origin=https://app.example.com&method=PUT
 *
 * answers, for that URI as httpd resolves it (a subrequest lookup: every
 * <Location>, <Directory>, <Files>, <If> and .htaccess merges as for a
 * real request), the effective policy (every setting, with the file and
 * line that set it), and the verdict a request with those fields gets from
 * the engine: the reason, the setting that decided, the fields sent.
 * Where a real request would be redirected internally (DirectoryIndex, a
 * per-directory RewriteRule, a local ErrorDocument) the target is looked
 * up and its configuration decides; where the lookup cannot tell (it ended
 * with a status it cannot follow, or a CGI script may redirect), the
 * answer says so.
 *
 * JSON by default; plain text with format=text or an Accept that prefers
 * text/plain.  Every echoed value is escaped in both forms.
 */
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_core.h" /* ap_response_code_string: ErrorDocument */

#include "apr_strings.h"

#include "mod_cors_private.h"

APLOG_USE_MODULE(cors);

#define INFO_HANDLER "cors-info"
/* Longest parameter value, decoded. */
#define PARAM_MAX 2048
/* Internal redirects followed, at most. */
#define FOLLOW_MAX 8
/* The main request's note that marks its lookups. */
#define LOOKUP_NOTE "cors-info-lookup"
/* Where a lookup keeps the configuration its preflight is decided under. */
#define PREFLIGHT_CONF_KEY "cors-info-preflight-conf"

/* ------------------------------------------------------------------ */
/* Output: one buffer, JSON or text, every echoed byte escaped          */
/* ------------------------------------------------------------------ */

typedef struct {
    request_rec *r;
    int text;
    apr_array_header_t *out; /* of const char * pieces */
} info_out;

static void put(info_out *o, const char *s)
{
    APR_ARRAY_PUSH(o->out, const char *) = s;
}

/* An echoed value: in JSON a string with \uXXXX for control characters,
 * bytes past ASCII, < > & " and ' (and \\ for the backslash); in text
 * the same bytes and the backslash as \xHH.  NULL is JSON's null, "-" in
 * text. */
static const char *esc(info_out *o, const char *s)
{
    const unsigned char *c;
    char *buf, *b;
    apr_size_t n = 0;

    if (!s) {
        return o->text ? "-" : "null";
    }
    for (c = (const unsigned char *)s; *c; c++) {
        n++;
    }
    b = buf = apr_palloc(o->r->pool, n * 6 + 3);
    if (!o->text) {
        *b++ = '"';
    }
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c == '\\' && !o->text) {
            *b++ = '\\';
            *b++ = '\\';
        } else if (*c < 0x20 || *c >= 0x7f || *c == '<' || *c == '>' ||
                   *c == '&' || *c == '"' || *c == '\'' || *c == '\\') {
            b += apr_snprintf(b, 7, o->text ? "\\x%02x" : "\\u%04x", *c);
        } else {
            *b++ = (char)*c;
        }
    }
    if (!o->text) {
        *b++ = '"';
    }
    *b = '\0';
    return buf;
}

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *uri;
    const char *origin;
    const char *method;
    const char *headers;
    const char *private_network;
    int preflight; /* -1: as a browser would */
    int text;      /* -1: from Accept */
} info_params;

/* The q value Accept gives a media type (the most specific range that
 * matches it), or -1 when none does. */
static double accept_q(apr_pool_t *p, const char *accept, const char *type)
{
    const char *slash = strchr(type, '/');
    double best = -1;
    int best_spec = -1;
    char *copy = apr_pstrdup(p, accept), *tok, *last;

    for (tok = apr_strtok(copy, ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last)) {
        char *semi = strchr(tok, ';');
        char *range = tok, *end;
        double q = 1;
        int spec;
        if (semi) {
            const char *qp = strstr(semi, "q=");
            *semi = '\0';
            if (qp) {
                q = atof(qp + 2);
            }
        }
        while (*range == ' ' || *range == '\t') {
            range++;
        }
        end = range + strlen(range);
        while (end > range && (end[-1] == ' ' || end[-1] == '\t')) {
            *--end = '\0';
        }
        if (!strcmp(range, "*/*")) {
            spec = 0;
        } else if (!ap_cstr_casecmp(range, type)) {
            spec = 2;
        } else if (end - range >= 2 && !strcmp(end - 2, "/*") &&
                   (apr_size_t)(end - range - 2) ==
                       (apr_size_t)(slash - type) &&
                   !ap_cstr_casecmpn(range, type, (apr_size_t)(slash - type))) {
            spec = 1;
        } else {
            continue;
        }
        if (spec > best_spec) {
            best_spec = spec;
            best = q;
        }
    }
    return best > 0 ? best : -1; /* q=0: not acceptable */
}

/* Reads the query string.  Returns NULL or why it is refused. */
static const char *read_params(request_rec *r, info_params *pr)
{
    char *args, *pair, *last;
    const char *format = NULL, *preflight = NULL;

    memset(pr, 0, sizeof(*pr));
    pr->preflight = -1;
    pr->text = -1;
    if (!r->args || !*r->args) {
        return "missing parameter uri";
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair);
        const char **slot;
        if (eq) {
            *eq = '\0';
        }
        if (strlen(value) > PARAM_MAX * 3 ||
            ap_unescape_urlencoded(pair) != OK ||
            ap_unescape_urlencoded(value) != OK) {
            return apr_pstrcat(r->pool, "parameter ", pair,
                               ": malformed or too long", NULL);
        }
        if (strlen(value) > PARAM_MAX) {
            return apr_psprintf(r->pool, "parameter %s: longer than %d bytes",
                                pair, PARAM_MAX);
        }
        if (!strcmp(pair, "uri")) {
            slot = &pr->uri;
        } else if (!strcmp(pair, "origin")) {
            slot = &pr->origin;
        } else if (!strcmp(pair, "method")) {
            slot = &pr->method;
        } else if (!strcmp(pair, "headers")) {
            slot = &pr->headers;
        } else if (!strcmp(pair, "private_network")) {
            slot = &pr->private_network;
        } else if (!strcmp(pair, "preflight")) {
            slot = &preflight;
        } else if (!strcmp(pair, "format")) {
            slot = &format;
        } else {
            return apr_pstrcat(r->pool, "unknown parameter ", pair, NULL);
        }
        if (*slot) {
            return apr_pstrcat(r->pool, "parameter ", pair, " given twice",
                               NULL);
        }
        *slot = value;
    }
    if (format) {
        if (strcmp(format, "json") && strcmp(format, "text")) {
            return "format: json or text";
        }
        pr->text = !strcmp(format, "text");
    }
    if (preflight) {
        if (strcmp(preflight, "0") && strcmp(preflight, "1")) {
            return "preflight: 0 or 1";
        }
        pr->preflight = preflight[0] == '1';
    }
    if (!pr->uri || pr->uri[0] != '/') {
        return "uri: a URL-path beginning with /";
    }
    if (strpbrk(pr->uri, " \t\r\n#") || strchr(pr->uri, '\x7f')) {
        return "uri: white space, control characters or # in the URL-path";
    }
    if (!pr->method || !*pr->method) {
        pr->method = "GET";
    }
    if (*ap_scan_http_token(pr->method)) {
        return "method: not a token";
    }
    if (pr->origin && !*pr->origin) {
        pr->origin = NULL;
    }
    if (pr->headers && !*pr->headers) {
        pr->headers = NULL;
    }
    if (pr->preflight < 0) {
        /* As a browser: a method other than GET, HEAD and POST, or
         * request headers named, call for a preflight first. */
        pr->preflight = pr->origin && (!cors_method_is_safelisted(pr->method) ||
                                       pr->headers || pr->private_network);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The lookup                                                          */
/* ------------------------------------------------------------------ */

/* A preflight lookup of ours reached the access checks, where a real
 * preflight is decided (cors_check_access): keep the configuration there,
 * before the type checkers (mod_negotiation's) and fixups (mod_dir's,
 * mod_rewrite's) change it.  Called for OPTIONS subrequests only, so
 * that no other request pays for cors-info. */
void cors_info_preflight_lookup(request_rec *r)
{
    if (!r->main->main && apr_table_get(r->main->notes, LOOKUP_NOTE)) {
        apr_pool_userdata_setn(r->per_dir_config, PREFLIGHT_CONF_KEY, NULL,
                               r->pool);
    }
}

/* The error a real request for what rr looked up meets: the lookup's
 * status, or 404 for a file that does not exist and that no handler
 * serves; 0 for none. */
static int error_of(const request_rec *rr)
{
    if (rr->status != HTTP_OK) {
        return ap_is_HTTP_ERROR(rr->status) ? rr->status : 0;
    }
    return rr->finfo.filetype == APR_NOFILE && !rr->handler ? HTTP_NOT_FOUND
                                                            : 0;
}

/* Looks uri up with the request's fields, as a request with them would
 * be resolved (<If> sees them). */
static request_rec *lookup(request_rec *r, const char *method, const char *uri,
                           const cors_request_t *req)
{
    apr_table_t *saved = r->headers_in;
    apr_table_t *h = apr_table_copy(r->pool, r->headers_in);
    request_rec *rr;

    apr_table_unset(h, "Origin");
    apr_table_unset(h, "Access-Control-Request-Method");
    apr_table_unset(h, "Access-Control-Request-Headers");
    apr_table_unset(h, "Access-Control-Request-Private-Network");
    if (req->origin) {
        apr_table_setn(h, "Origin", req->origin);
    }
    if (req->request_method) {
        apr_table_setn(h, "Access-Control-Request-Method", req->request_method);
    }
    if (req->request_headers) {
        apr_table_setn(h, "Access-Control-Request-Headers",
                       req->request_headers);
    }
    if (req->request_private_network) {
        apr_table_setn(h, "Access-Control-Request-Private-Network",
                       req->request_private_network);
    }
    r->headers_in = h;
    apr_table_setn(r->notes, LOOKUP_NOTE, "1");
    rr = ap_sub_req_method_uri(method, uri, r, NULL);
    apr_table_unset(r->notes, LOOKUP_NOTE);
    r->headers_in = saved;
    return rr;
}

/* ------------------------------------------------------------------ */
/* The answer                                                          */
/* ------------------------------------------------------------------ */

static const char *const directive_of[CORS_SETTINGS] = {
    "CORSEngine",       "CORSAllowOrigin",         "CORSAllowCredentials",
    "CORSAllowMethods", "CORSAllowHeaders",        "CORSExposeHeaders",
    "CORSMaxAge",       "CORSAllowPrivateNetwork", "CORSWebSocketOrigin",
    "CORSDebug"};

static const char *flag_name(int v, const char *dflt)
{
    return v == CORS_ON            ? "On"
           : v == CORS_OFF         ? "Off"
           : v == CORS_REPORT_ONLY ? "ReportOnly"
                                   : dflt;
}

/* The setting a verdict's reason names. */
static cors_setting_t deciding_setting(const cors_decision_t *d)
{
    const char *why = d->reason ? d->reason : "";
    if (strstr(why, "Request-Method") || !strcmp(why, "method not allowed")) {
        return CORS_SET_METHODS;
    }
    if (strstr(why, "Request-Headers") || strstr(why, "header")) {
        return CORS_SET_ALLOW_HEADERS;
    }
    if (strstr(why, "private network") || strstr(why, "Private-Network")) {
        return CORS_SET_PRIVATE_NETWORK;
    }
    return CORS_SET_ORIGINS;
}

/* Where the setting that decided was written: in the rule that decided,
 * or the scope's. */
static const char *where_decided(const cors_policy_t *pol,
                                 const cors_decision_t *d, cors_setting_t s)
{
    int i;
    for (i = 0; d->rule && pol->rules && i < pol->rules->nelts; i++) {
        const cors_policy_t *r = APR_ARRAY_IDX(pol->rules, i, cors_policy_t *);
        if (r->name == d->rule) {
            cors_policy_t eff;
            cors_rule_resolve(r, pol, &eff);
            return eff.where[s];
        }
    }
    return pol->where[s];
}

/* One setting: its value (already escaped or a JSON array) and where. */
static void setting_out(info_out *o, int *first, cors_setting_t s,
                        const char *value, int is_default,
                        const cors_policy_t *pol)
{
    const char *where = pol ? pol->where[s] : NULL;
    if (o->text) {
        put(o, apr_psprintf(o->r->pool, "    %-24s %s%s%s%s\n", directive_of[s],
                            value, is_default ? " (default)" : "",
                            where ? "  at " : "", where ? esc(o, where) : ""));
        return;
    }
    put(o, apr_psprintf(o->r->pool,
                        "%s\n    {\"directive\": \"%s\", \"value\": %s, "
                        "\"default\": %s, \"where\": %s}",
                        *first ? "" : ",", directive_of[s], value,
                        is_default ? "true" : "false", esc(o, where)));
    *first = 0;
}

static const char *names_value(info_out *o, const cors_names_t *n,
                               const char *dflt)
{
    const char *j = n ? cors_names_joined(n) : NULL;
    return esc(o, j ? j : dflt);
}

static void settings_out(info_out *o, const cors_policy_t *pol);

/* A scope with rules: each rule, as it applies (its settings or the
 * scope's), in order. */
static void rules_out(info_out *o, const cors_policy_t *pol)
{
    int i;
    put(o, o->text ? "rules:\n" : ",\n  \"rules\": [");
    for (i = 0; i < pol->rules->nelts; i++) {
        const cors_policy_t *r = APR_ARRAY_IDX(pol->rules, i, cors_policy_t *);
        cors_policy_t eff;
        cors_rule_resolve(r, pol, &eff);
        if (o->text) {
            put(o,
                apr_psprintf(o->r->pool, "  rule %d: %s%s\n", i + 1,
                             esc(o, r->name), r->s3 ? " (S3 CORSRule)" : ""));
        } else {
            put(o, apr_psprintf(o->r->pool,
                                "%s\n  {\"name\": %s, \"s3\": %s, "
                                "\"settings\": ",
                                i ? "," : "", esc(o, r->name),
                                r->s3 ? "true" : "false"));
        }
        settings_out(o, &eff);
        if (!o->text) {
            put(o, "}");
        }
    }
    if (!o->text) {
        put(o, "\n  ]");
    }
}

static void policy_out(info_out *o, const cors_policy_t *pol)
{
    cors_policy_t none;
    if (!pol) {
        none = *cors_policy_make(o->r->pool);
        pol = &none;
    }
    settings_out(o, pol);
    if (pol->rules) {
        rules_out(o, pol);
    }
}

static void settings_out(info_out *o, const cors_policy_t *pol)
{
    int first = 1;
    const char *origins;

    if (pol->origin_values) {
        /* CORSAllowOrigin values as written, "match <regex>" for
         * CORSAllowOriginMatch, "map <source>" for CORSAllowOriginMap */
        apr_array_header_t *v = apr_array_make(
            o->r->pool, pol->origin_values->nelts, sizeof(char *));
        int i;
        for (i = 0; i < pol->origin_values->nelts; i++) {
            const char *one =
                APR_ARRAY_IDX(pol->origin_values, i, const char *);
            APR_ARRAY_PUSH(v, const char *) =
                esc(o, one[0] == 'm'
                           ? apr_pstrcat(o->r->pool, "match ", one + 1, NULL)
                       : one[0] == 'p'
                           ? apr_pstrcat(o->r->pool, "map ", one + 1, NULL)
                           : one + 1);
        }
        origins = apr_array_pstrcat(o->r->pool, v, o->text ? ' ' : ',');
        if (!o->text) {
            origins = apr_pstrcat(o->r->pool, "[", origins, "]", NULL);
        }
    } else {
        origins = o->text ? (pol->rules ? "(in the rules below)"
                                        : "(none: no policy)")
                          : "[]";
    }
    if (!o->text) {
        put(o, "[");
    }
    setting_out(o, &first, CORS_SET_ENGINE,
                esc(o, flag_name(pol->engine, "On")), pol->engine == CORS_UNSET,
                pol);
    setting_out(o, &first, CORS_SET_ORIGINS, origins, 0, pol);
    setting_out(o, &first, CORS_SET_CREDENTIALS,
                esc(o, flag_name(pol->credentials, "Off")),
                pol->credentials == CORS_UNSET, pol);
    setting_out(o, &first, CORS_SET_METHODS,
                names_value(o, pol->methods, "GET, HEAD, POST"), !pol->methods,
                pol);
    setting_out(o, &first, CORS_SET_ALLOW_HEADERS,
                names_value(o, pol->allow_headers, NULL), !pol->allow_headers,
                pol);
    setting_out(o, &first, CORS_SET_EXPOSE_HEADERS,
                names_value(o, pol->expose_headers, NULL), !pol->expose_headers,
                pol);
    setting_out(o, &first, CORS_SET_MAX_AGE, esc(o, pol->max_age_str),
                !pol->max_age_str, pol);
    setting_out(o, &first, CORS_SET_PRIVATE_NETWORK,
                esc(o, flag_name(pol->private_network, "Off")),
                pol->private_network == CORS_UNSET, pol);
    setting_out(o, &first, CORS_SET_WEBSOCKET,
                esc(o, flag_name(pol->websocket, "Off")),
                pol->websocket == CORS_UNSET, pol);
    setting_out(o, &first, CORS_SET_DEBUG, esc(o, flag_name(pol->debug, "Off")),
                pol->debug == CORS_UNSET, pol);
    if (!o->text) {
        put(o, "\n  ]");
    }
}

static void field_out(info_out *o, int *first, const char *name,
                      const char *value)
{
    if (!value) {
        return;
    }
    if (o->text) {
        put(o, apr_psprintf(o->r->pool, "    %s: %s\n", name, esc(o, value)));
    } else {
        put(o, apr_psprintf(o->r->pool, "%s\n    \"%s\": %s", *first ? "" : ",",
                            name, esc(o, value)));
    }
    *first = 0;
}

static void fields_out(info_out *o, const cors_decision_t *d)
{
    int first = 1;
    if (!o->text) {
        put(o, "{");
    }
    if (d) {
        const cors_field_t *f;
        for (f = cors_fields; f->name; f++) {
            field_out(o, &first, f->name,
                      f->from_response && d->expose_from_response
                          ? "(the names of the response's own fields)"
                          : CORS_FIELD_VALUE(d, f));
        }
        field_out(o, &first, "Vary", d->vary);
    }
    if (o->text && first) {
        put(o, "    (none)\n");
    }
    if (!o->text) {
        put(o, first ? "}" : "\n  }");
    }
}

/* The error answer: 400 with the reason, in the form asked for. */
static void bad_request(request_rec *r, info_out *o, const char *why)
{
    r->status = HTTP_BAD_REQUEST;
    if (o->text) {
        put(o, apr_pstrcat(r->pool, "cors-info: ", esc(o, why), "\n", NULL));
    } else {
        put(o, apr_pstrcat(r->pool, "{\"error\": ", esc(o, why), "}\n", NULL));
    }
}

static int send_out(request_rec *r, info_out *o)
{
    int i;
    ap_set_content_type(r, o->text ? "text/plain; charset=utf-8"
                                   : "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    for (i = 0; i < o->out->nelts; i++) {
        ap_rputs(APR_ARRAY_IDX(o->out, i, const char *), r);
    }
    return OK;
}

static CORS_NOINLINE int info_answer(request_rec *r);

/* Every request passes here: only the name is compared before anything
 * else is set up. */
static int info_handler(request_rec *r)
{
    if (!r->handler || r->handler[0] != INFO_HANDLER[0] ||
        strcmp(r->handler, INFO_HANDLER)) {
        return DECLINED;
    }
    return info_answer(r);
}

static CORS_NOINLINE int info_answer(request_rec *r)
{
    info_out o = {r, 0, NULL};
    info_params pr;
    const char *why, *accept;
    cors_request_t req = {NULL, NULL, NULL, NULL, NULL};
    request_rec *rr;
    const cors_policy_t *pol = NULL;
    const cors_decision_t *d = NULL;
    const char *verdict, *note = NULL, *lookup_method;
    apr_array_header_t *chain, *notes;
    const char *uri;
    int status, i, followed = 1, errdoc = 0, err;
    void *preflight_conf = NULL;

    o.out = apr_array_make(r->pool, 64, sizeof(const char *));
    accept = apr_table_get(r->headers_in, "Accept");
    o.text = accept && accept_q(r->pool, accept, "text/plain") >
                           accept_q(r->pool, accept, "application/json");
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        int rc = ap_discard_request_body(r);
        if (rc != OK) {
            return rc;
        }
        r->status = HTTP_METHOD_NOT_ALLOWED;
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        put(&o, o.text ? "cors-info: only GET and HEAD\n"
                       : "{\"error\": \"only GET and HEAD\"}\n");
        return send_out(r, &o);
    }
    why = read_params(r, &pr);
    if (pr.text >= 0) {
        o.text = pr.text;
    }
    if (why) {
        bad_request(r, &o, why);
        return send_out(r, &o);
    }

    req.origin = pr.origin;
    if (pr.preflight) {
        req.method = "OPTIONS";
        req.request_method = pr.method;
        req.request_headers = pr.headers;
        req.request_private_network = pr.private_network;
    } else {
        req.method = pr.method;
    }
    lookup_method = req.method;

    /* The lookup, and the internal redirects a real request would take. */
    chain = apr_array_make(r->pool, 4, sizeof(const char *));
    notes = apr_array_make(r->pool, 4, sizeof(const char *));
    uri = pr.uri;
    for (i = 0;; i++) {
        APR_ARRAY_PUSH(chain, const char *) = uri;
        rr = lookup(r, lookup_method, uri, &req);
        status = rr->status;
        pol = ap_get_module_config(rr->per_dir_config, &cors_module);
        if (pr.preflight) {
            /* Answered in the access checks, before the type checkers and
             * fixups: under the configuration the walks gave, never a
             * redirect's target.  Where httpd skipped the access checks
             * (the lookup's configuration is this request's own), the
             * lookup's. */
            apr_pool_userdata_get(&preflight_conf, PREFLIGHT_CONF_KEY,
                                  rr->pool);
            if (preflight_conf) {
                pol = ap_get_module_config(preflight_conf, &cors_module);
            }
            break;
        }
        if (status == HTTP_OK && rr->filename &&
            !strncmp(rr->filename, "redirect:", 9)) {
            if (i == FOLLOW_MAX) {
                followed = 0;
                APR_ARRAY_PUSH(notes, const char *) =
                    "too many internal redirects: a real request ends in an "
                    "error";
                break;
            }
            uri = apr_pstrdup(r->pool, rr->filename + 9);
            continue;
        }
        if (!errdoc && (err = error_of(rr)) != 0) {
            /* httpd answers an error with a local ErrorDocument by an
             * internal redirect (a GET): the document's configuration
             * decides.  Once: an error there is answered as it is. */
            const char *doc =
                ap_response_code_string(rr, ap_index_of_response(err));
            if (doc && doc[0] == '/') {
                errdoc = 1;
                APR_ARRAY_PUSH(notes, const char *) = apr_psprintf(
                    r->pool,
                    "the lookup ended with status %d%s; httpd answers it "
                    "with ErrorDocument %s, whose configuration decides",
                    err, status == HTTP_OK ? " (no such file)" : "", doc);
                uri = apr_pstrdup(r->pool, doc);
                lookup_method = "GET";
                continue;
            }
        }
        break;
    }
    if (pr.preflight && status == HTTP_UNAUTHORIZED) {
        APR_ARRAY_PUSH(notes, const char *) =
            "the URI asks for authentication (401): an allowed preflight is "
            "answered before it, a refused one gets the 401 with this "
            "verdict";
    } else if (status != HTTP_OK) {
        followed = 0;
        APR_ARRAY_PUSH(notes, const char *) = apr_psprintf(
            r->pool,
            "the lookup ended with status %d; a real request may be "
            "redirected (ErrorDocument, Redirect) or answered otherwise, and "
            "its verdict may differ from this one, which is that of the "
            "configuration the lookup reached",
            status);
    } else if (!pr.preflight && rr->handler &&
               (!strcmp(rr->handler, "cgi-script") ||
                !strcmp(rr->handler, "application/x-httpd-cgi"))) {
        APR_ARRAY_PUSH(notes, const char *) =
            "a CGI script serves this URI: should it redirect internally "
            "(Location: /path), the target's configuration decides instead";
    } else if (!pr.preflight && !errdoc && error_of(rr)) {
        APR_ARRAY_PUSH(notes, const char *) =
            "no such file: a real request gets 404 (answered under this "
            "configuration: no local ErrorDocument 404 applies)";
    }

    if (!cors_policy_active(pol)) {
        verdict = "none";
    } else {
        d = cors_decide(pol, &req, r->pool);
        verdict = cors_verdict_name(d->verdict);
        note = !pr.origin ? NULL
               : d->rule
                   ? apr_pstrcat(r->pool, verdict, " rule=", d->rule, NULL)
                   : verdict;
    }

    /* JSON or text */
    if (o.text) {
        put(&o, apr_psprintf(r->pool, "cors-info: %s %s%s%s\n", req.method,
                             esc(&o, pr.uri), pr.origin ? " from " : "",
                             pr.origin ? esc(&o, pr.origin) : ""));
        if (pr.preflight) {
            put(&o, apr_psprintf(
                        r->pool, "  preflight for %s, request headers %s%s%s\n",
                        esc(&o, pr.method), esc(&o, pr.headers),
                        pr.private_network ? ", private network " : "",
                        pr.private_network ? esc(&o, pr.private_network) : ""));
        }
        for (i = 1; i < chain->nelts; i++) {
            put(&o,
                apr_psprintf(r->pool, "  redirected internally to %s\n",
                             esc(&o, APR_ARRAY_IDX(chain, i, const char *))));
        }
        put(&o,
            apr_psprintf(r->pool, "  lookup: status %d, file %s, handler %s\n",
                         status, esc(&o, rr->filename), esc(&o, rr->handler)));
        put(&o, apr_psprintf(r->pool, "verdict: %s%s%s\n", verdict,
                             d && d->reason ? ": " : "",
                             d && d->reason ? esc(&o, d->reason) : ""));
        if (!d) {
            put(&o, "  no policy here: mod_cors changes nothing\n");
        } else if (d->detail && d->detail_len) {
            put(&o, apr_psprintf(r->pool, "  detail: %s\n",
                                 esc(&o, apr_pstrmemdup(r->pool, d->detail,
                                                        d->detail_len))));
        }
        if (d && d->rule) {
            put(&o, apr_psprintf(r->pool, "  rule: %s\n", esc(&o, d->rule)));
        }
        if (d && d->verdict != CORS_NOT_CORS) {
            cors_setting_t s = deciding_setting(d);
            put(&o, apr_psprintf(r->pool, "  decided by: %s at %s\n",
                                 directive_of[s],
                                 esc(&o, where_decided(pol, d, s))));
        }
        put(&o, apr_psprintf(r->pool, "  logged as: %%{cors}n = %s\n",
                             note ? note : "-"));
        for (i = 0; i < notes->nelts; i++) {
            put(&o,
                apr_psprintf(r->pool, "  note: %s\n",
                             esc(&o, APR_ARRAY_IDX(notes, i, const char *))));
        }
        put(&o, "fields sent:\n");
        fields_out(&o, d);
        put(&o, "policy:\n");
        policy_out(&o,
                   cors_policy_active(pol) || (pol && pol->set) ? pol : NULL);
        return send_out(r, &o);
    }

    put(&o,
        apr_psprintf(r->pool,
                     "{\n  \"uri\": %s,\n  \"preflight\": %s,\n"
                     "  \"request\": {\"method\": %s, \"origin\": %s, "
                     "\"access_control_request_method\": %s, "
                     "\"access_control_request_headers\": %s, "
                     "\"access_control_request_private_network\": %s},\n",
                     esc(&o, pr.uri), pr.preflight ? "true" : "false",
                     esc(&o, req.method), esc(&o, req.origin),
                     esc(&o, req.request_method), esc(&o, req.request_headers),
                     esc(&o, req.request_private_network)));
    put(&o, "  \"lookup\": {\"uris\": [");
    for (i = 0; i < chain->nelts; i++) {
        put(&o,
            apr_pstrcat(r->pool, i ? ", " : "",
                        esc(&o, APR_ARRAY_IDX(chain, i, const char *)), NULL));
    }
    put(&o, apr_psprintf(r->pool,
                         "], \"status\": %d, \"filename\": %s, \"handler\": "
                         "%s, \"followed\": %s},\n",
                         status, esc(&o, rr->filename), esc(&o, rr->handler),
                         followed ? "true" : "false"));
    put(&o,
        apr_psprintf(r->pool,
                     "  \"verdict\": \"%s\",\n  \"note\": %s,\n"
                     "  \"reason\": %s,\n  \"detail\": %s,\n",
                     verdict, esc(&o, note),
                     esc(&o, d ? d->reason
                               : "no policy here: mod_cors "
                                 "changes nothing"),
                     esc(&o, d && d->detail ? apr_pstrmemdup(r->pool, d->detail,
                                                             d->detail_len)
                                            : NULL)));
    put(&o, apr_psprintf(r->pool, "  \"rule\": %s,\n",
                         esc(&o, d ? d->rule : NULL)));
    if (d && d->verdict != CORS_NOT_CORS) {
        cors_setting_t s = deciding_setting(d);
        put(&o,
            apr_psprintf(r->pool,
                         "  \"decided_by\": {\"directive\": \"%s\", "
                         "\"where\": %s},\n",
                         directive_of[s], esc(&o, where_decided(pol, d, s))));
    } else {
        put(&o, "  \"decided_by\": null,\n");
    }
    put(&o, "  \"notes\": [");
    for (i = 0; i < notes->nelts; i++) {
        put(&o,
            apr_pstrcat(r->pool, i ? ", " : "",
                        esc(&o, APR_ARRAY_IDX(notes, i, const char *)), NULL));
    }
    put(&o, "],\n  \"fields\": ");
    fields_out(&o, d);
    put(&o, apr_psprintf(r->pool, ",\n  \"policy_active\": %s,\n  \"policy\": ",
                         cors_policy_active(pol) ? "true" : "false"));
    policy_out(&o, pol && pol->set ? pol : NULL);
    put(&o, "\n}\n");
    return send_out(r, &o);
}

void cors_info_register_hooks(void)
{
    ap_hook_handler(info_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
