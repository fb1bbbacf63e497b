/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors.c: the module record of mod_cors - its directives, the
 * per-directory configuration and its merging, and every hook it
 * registers.  The request path those hooks run is in mod_cors_request.c;
 * the policy itself (origin rules, name sets, the decision) is the engine's
 * (cors_engine.h), which knows nothing of httpd.
 *
 * Everything a directive says is checked and compiled when the
 * configuration is read, and immutable afterwards: merging copies pointers.
 */
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include "mod_cors_private.h"

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

/* "file:line" of the directive being read, or NULL. */
static const char *where(cmd_parms *cmd)
{
    return cmd->directive
               ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                              cmd->directive->line_num)
               : NULL;
}

/* The scope's configuration, which a directive is about to set. */
static cors_policy_t *setting(void *mconfig)
{
    cors_policy_t *conf = mconfig;
    conf->set = 1;
    return conf;
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
    if (!ap_cstr_casecmp(arg, "on")) {
        *flag = CORS_ON;
    } else if (!ap_cstr_casecmp(arg, "off")) {
        *flag = CORS_OFF;
    } else {
        return refuse(cmd, arg, "must be On or Off");
    }
    return NULL;
}

static const char *star_with_credentials =
    "'*' and CORSAllowCredentials On cannot share a scope: browsers refuse "
    "credentials with '*'; list the origins instead";

/* "*.suffix" origin with credentials: every tenant of the suffix could
 * read the user's data. */
static const char *public_suffix_with_credentials(cmd_parms *cmd,
                                                  const char *value)
{
    return apr_psprintf(
        cmd->pool,
        "'%s' allows every site under the public suffix '%s' (anyone can "
        "register one) and CORSAllowCredentials On is set in the same "
        "scope: list your own origins, or wildcard a domain you own",
        value, cors_origin_public_suffix(cmd->pool, value));
}

static const char *origins_outside_rules =
    "this scope has <CORSRule> sections (or CORSRuleFile): put the origins "
    "inside a <CORSRule>";

/* Before an origin directive adds its value: refused (with the reason)
 * where the scope has rules, which hold its origins; else the scope's
 * origins made if this is its first origin directive, and the value
 * recorded as written, after a letter saying which directive, for the
 * cors-info handler. */
static const char *scope_origins(cmd_parms *cmd, cors_policy_t *conf,
                                 char directive, const char *arg)
{
    if (conf->rules) {
        return refuse(cmd, arg, origins_outside_rules);
    }
    /* The first origin directive of a scope starts its own rule set:
     * inherited origins are replaced, not extended. */
    if (!conf->origins) {
        conf->origins = cors_origins_make(cmd->pool);
        conf->origin_values = apr_array_make(cmd->pool, 4, sizeof(char *));
        conf->where[CORS_SET_ORIGINS] = where(cmd);
    }
    APR_ARRAY_PUSH(conf->origin_values, const char *) =
        apr_psprintf(cmd->pool, "%c%s", directive, arg);
    return NULL;
}

static const char *cmd_allow_origin(cmd_parms *cmd, void *mconfig,
                                    const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    const char *why = scope_origins(cmd, conf, 'o', arg);
    if (why) {
        return why;
    }
    why = cors_origins_add(conf->origins, cmd->pool, arg);
    if (!why && cors_policy_credentials_conflict(conf)) {
        why = star_with_credentials;
    }
    if (!why && conf->credentials == CORS_ON &&
        cors_origin_public_suffix(cmd->temp_pool, arg)) {
        why = public_suffix_with_credentials(cmd, arg);
    }
    return why ? refuse(cmd, arg, why) : NULL;
}

/* A map is read at start-up and then watched by each process: never from
 * .htaccess (which is read on every request), hence not OR_FILEINFO. */
static const char *cmd_allow_origin_map(cmd_parms *cmd, void *mconfig,
                                        const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    cors_map_t *map;
    const char *why = scope_origins(cmd, conf, 'p', arg);
    if (why) {
        return why;
    }
    why = cors_map_for_directive(cmd, arg, &map);
    if (!why) {
        why = cors_origins_add_map(conf->origins, cmd->pool, map);
    }
    return why ? refuse(cmd, arg, why) : NULL;
}

/* An .htaccess file is read, and its values compiled, on every request:
 * httpd parses it with the request's pool as both pools. */
static int in_htaccess(const cmd_parms *cmd)
{
    return cmd->pool == cmd->temp_pool;
}

static const char *cmd_allow_origin_match(cmd_parms *cmd, void *mconfig,
                                          const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    const char *why = scope_origins(cmd, conf, 'm', arg);
    if (why) {
        return why;
    }
    why = cors_origins_add_regex(conf->origins, cmd->pool, arg,
                                 in_htaccess(cmd) ? 0 : 1);
    return why ? refuse(cmd, arg, why) : NULL;
}

static const char *add_name(cmd_parms *cmd, cors_policy_t *conf,
                            cors_names_t **set, cors_setting_t setting,
                            cors_names_kind_t kind, const char *arg)
{
    const char *why;
    if (!*set) {
        *set = cors_names_make(cmd->pool, kind);
        conf->where[setting] = where(cmd);
    }
    why = cors_names_add(*set, cmd->pool, arg);
    return why ? refuse(cmd, arg, why) : NULL;
}

static const char *cmd_allow_methods(cmd_parms *cmd, void *mconfig,
                                     const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    return add_name(cmd, conf, &conf->methods, CORS_SET_METHODS,
                    CORS_NAMES_METHODS, arg);
}

static const char *cmd_allow_headers(cmd_parms *cmd, void *mconfig,
                                     const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    return add_name(cmd, conf, &conf->allow_headers, CORS_SET_ALLOW_HEADERS,
                    CORS_NAMES_REQUEST_HEADERS, arg);
}

static const char *cmd_expose_headers(cmd_parms *cmd, void *mconfig,
                                      const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    return add_name(cmd, conf, &conf->expose_headers, CORS_SET_EXPOSE_HEADERS,
                    CORS_NAMES_RESPONSE_HEADERS, arg);
}

static const char *cmd_allow_credentials(cmd_parms *cmd, void *mconfig,
                                         const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    int on = CORS_OFF;
    const char *err = parse_flag(cmd, arg, &on);
    if (err) {
        return err;
    }
    conf->credentials = on;
    if (cors_policy_credentials_conflict(conf)) {
        return refuse(cmd, arg, star_with_credentials);
    }
    if (on == CORS_ON && conf->origins &&
        cors_origins_over_public_suffix(conf->origins)) {
        return refuse(cmd, arg,
                      public_suffix_with_credentials(
                          cmd, cors_origins_over_public_suffix(conf->origins)));
    }
    /* Named in the warning where a merge meets '*' with it. */
    conf->credentials_where = conf->where[CORS_SET_CREDENTIALS] = where(cmd);
    return NULL;
}

static const char *cmd_max_age(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    int seconds;
    const char *why = cors_parse_max_age(arg, &seconds);
    if (why) {
        return refuse(cmd, arg, why);
    }
    conf->max_age_str = apr_itoa(cmd->pool, seconds);
    conf->where[CORS_SET_MAX_AGE] = where(cmd);
    return NULL;
}

static const char *cmd_private_network(cmd_parms *cmd, void *mconfig,
                                       const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    conf->where[CORS_SET_PRIVATE_NETWORK] = where(cmd);
    return parse_flag(cmd, arg, &conf->private_network);
}

static const char *cmd_websocket_origin(cmd_parms *cmd, void *mconfig,
                                        const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    conf->where[CORS_SET_WEBSOCKET] = where(cmd);
    return parse_flag(cmd, arg, &conf->websocket);
}

static const char *cmd_engine(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    conf->where[CORS_SET_ENGINE] = where(cmd);
    if (!ap_cstr_casecmp(arg, "reportonly")) {
        conf->engine = CORS_REPORT_ONLY;
        return NULL;
    }
    if (ap_cstr_casecmp(arg, "on") && ap_cstr_casecmp(arg, "off")) {
        return refuse(cmd, arg, "must be On, Off or ReportOnly");
    }
    return parse_flag(cmd, arg, &conf->engine);
}

static const char *cmd_debug(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *conf = setting(mconfig);
    conf->where[CORS_SET_DEBUG] = where(cmd);
    return parse_flag(cmd, arg, &conf->debug);
}

/* The directives a <CORSRule> section may hold: every CORS directive of a
 * scope but CORSEngine (which switches the scope, not a rule) and rules. */
static int rule_directive(const char *name)
{
    static const char *const allowed[] = {"CORSAllowOrigin",
                                          "CORSAllowOriginMatch",
                                          "CORSAllowOriginMap",
                                          "CORSAllowMethods",
                                          "CORSAllowHeaders",
                                          "CORSExposeHeaders",
                                          "CORSAllowCredentials",
                                          "CORSMaxAge",
                                          "CORSAllowPrivateNetwork",
                                          "CORSWebSocketOrigin",
                                          "CORSDebug",
                                          NULL};
    int i;
    for (i = 0; allowed[i]; i++) {
        if (!ap_cstr_casecmp(name, allowed[i])) {
            return 1;
        }
    }
    return 0;
}

/* Appends a rule to the scope, or says why not, with the rule's place. */
static const char *add_rule(cmd_parms *cmd, cors_policy_t *scope,
                            cors_policy_t *rule)
{
    const char *why = cors_policy_add_rule(cmd->pool, scope, rule);
    return why ? apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                              rule->name, why)
               : NULL;
}

/*
 * <CORSRule [name]> ... </CORSRule>: one rule of the scope's ordered list.
 * Its directives are read into a policy of its own (a configuration vector
 * that holds only it), so that each is checked exactly as in a scope.
 */
static const char *cmd_rule(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *scope = setting(mconfig);
    cors_policy_t *rule;
    ap_conf_vector_t *vector;
    const ap_directive_t *d;
    ap_directive_t *self;
    const command_rec *me;
    const char *end = ap_strrchr_c(arg, '>');
    const char *args, *name, *err;

    if (!end) {
        return "<CORSRule> lacks its closing '>'";
    }
    args = apr_pstrmemdup(cmd->temp_pool, arg, (apr_size_t)(end - arg));
    name = ap_getword_conf(cmd->pool, &args);
    if (*args) {
        return apr_psprintf(cmd->pool,
                            "<CORSRule %s %s>: a rule has one name at most (a "
                            "word, used in logs)",
                            name, args);
    }
    for (d = cmd->directive->first_child; d; d = d->next) {
        if (!ap_cstr_casecmp(d->directive, "<CORSRule")) {
            return apr_psprintf(cmd->pool,
                                "<CORSRule> sections cannot be nested "
                                "(%s:%d): close the first with </CORSRule>",
                                d->filename, d->line_num);
        }
        if (!rule_directive(d->directive)) {
            return apr_psprintf(
                cmd->pool,
                "%s (%s:%d) is not allowed in <CORSRule>: a "
                "rule holds CORSAllowOrigin, "
                "CORSAllowOriginMatch, CORSAllowMethods, "
                "CORSAllowHeaders, CORSExposeHeaders, "
                "CORSAllowCredentials, CORSMaxAge and the like; "
                "write it outside the rule",
                d->directive, d->filename, d->line_num);
        }
    }
    rule = cors_policy_make(cmd->pool);
    rule->set = 1;
    rule->name = *name ? name : where(cmd);
    vector = ap_create_per_dir_config(cmd->pool);
    ap_set_module_config(vector, &cors_module, rule);
    /* The walk leaves cmd naming the last directive it read. */
    self = cmd->directive;
    me = cmd->cmd;
    err = ap_walk_config(self->first_child, cmd, vector);
    cmd->directive = self;
    cmd->cmd = me;
    if (err) {
        return err;
    }
    return add_rule(cmd, scope, rule);
}

/* Start-up warnings of a directive: once per start (httpd reads its
 * configuration twice; "apachectl configtest" once), never for .htaccess,
 * which is read on every request. */
static void warn(cmd_parms *cmd, const char *text)
{
    if (in_htaccess(cmd) ||
        (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG &&
         ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_NORMAL)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                 APLOGNO(99006) "%s %s (%s): %s", cmd->cmd->name,
                 cmd->directive->args, where(cmd), text);
}

/*
 * CORSRuleFile path: the CORSRule elements of an S3/HCP CORSConfiguration
 * document, in order, as rules of this scope with S3's semantics.
 */
static const char *cmd_rule_file(cmd_parms *cmd, void *mconfig, const char *arg)
{
    cors_policy_t *scope = setting(mconfig);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_array_header_t *rules = NULL;
    apr_array_header_t *warnings =
        apr_array_make(cmd->temp_pool, 1, sizeof(const char *));
    const char *why;
    int line = 0, i;

    if (!path) {
        return refuse(cmd, arg, "not a valid path");
    }
    why = cors_s3_read(cmd->pool, path, &rules, &line);
    if (why) {
        return line ? apr_psprintf(cmd->pool, "%s: '%s': %s, line %d: %s",
                                   cmd->cmd->name, arg, path, line, why)
                    : apr_psprintf(cmd->pool, "%s: '%s': %s: %s",
                                   cmd->cmd->name, arg, path, why);
    }
    for (i = 0; i < rules->nelts; i++) {
        const cors_s3_rule_t *r = &APR_ARRAY_IDX(rules, i, cors_s3_rule_t);
        const char *at = apr_psprintf(cmd->pool, "%s:%d", path, r->line);
        cors_policy_t *rule;
        int w;
        why = cors_s3_rule_policy(cmd->pool, r, at, warnings, &rule);
        if (!why) {
            why = cors_policy_add_rule(cmd->pool, scope, rule);
        }
        if (why) {
            return apr_psprintf(cmd->pool, "%s: '%s': %s: %s", cmd->cmd->name,
                                arg, at, why);
        }
        for (w = 0; w < warnings->nelts; w++) {
            warn(cmd,
                 apr_pstrcat(cmd->temp_pool, at, ": ",
                             APR_ARRAY_IDX(warnings, w, const char *), NULL));
        }
        apr_array_clear(warnings);
    }
    return NULL;
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
    AP_INIT_ITERATE("CORSAllowOriginMap", cmd_allow_origin_map, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "Origin maps: txt:/path, dbm[=type]:/path or "
                    "redis://host[:port][/prefix]"),
    AP_INIT_TAKE1("CORSMapCheckInterval", cors_cmd_map_check_interval, NULL,
                  RSRC_CONF,
                  "Seconds between checks of txt: and dbm: map files "
                  "(default 5)"),
    AP_INIT_TAKE1("CORSMapCacheTime", cors_cmd_map_cache_time, NULL, RSRC_CONF,
                  "Seconds each process keeps a Redis map's answer "
                  "(default 10; 0: ask every time)"),
    AP_INIT_TAKE1("CORSMapTimeout", cors_cmd_map_timeout, NULL, RSRC_CONF,
                  "Milliseconds a Redis map lookup may take (default 50)"),
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
    AP_INIT_TAKE1("CORSWebSocketOrigin", cmd_websocket_origin, NULL,
                  OR_FILEINFO,
                  "On to refuse WebSocket upgrades from origins the policy "
                  "does not allow"),
    AP_INIT_RAW_ARGS("<CORSRule", cmd_rule, NULL, OR_FILEINFO,
                     "An ordered rule: origins and what they may do; the "
                     "first rule that applies to a request decides"),
    AP_INIT_TAKE1("CORSRuleFile", cmd_rule_file, NULL, OR_FILEINFO,
                  "An S3/HCP CORSConfiguration XML document whose CORSRule "
                  "elements are added to this scope's rules, in order"),
    AP_INIT_TAKE1("CORSEngine", cmd_engine, NULL, OR_FILEINFO,
                  "Off to switch CORS handling off in this scope and below; "
                  "ReportOnly to decide and log without changing responses"),
    AP_INIT_TAKE1("CORSDebug", cmd_debug, NULL, OR_FILEINFO,
                  "On (development only) to answer refused preflights from "
                  "allowed origins with the policy, so the browser names "
                  "the failing check"),
    {NULL}};

#ifndef MOD_CORS_VERSION
#error "MOD_CORS_VERSION is set by the build (configure.ac's AC_INIT)"
#endif

/* The version, once per start-up and graceful restart, for those who read
 * the error log; the Server header is not ours to change. */
static int cors_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    cors_strip_init(ptemp);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 APLOGNO(99005) "mod_cors/" MOD_CORS_VERSION " configured");
    /* The first of the two start-up passes would say it all twice. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        cors_check_conftree(ptemp, s);
    }
    return OK;
}

/* apachectl configtest runs no post_config: the same checks. */
static void cors_test_config(apr_pool_t *pconf, server_rec *s)
{
    cors_check_conftree(pconf, s);
}

/* The Public Suffix List, loaded before the configuration is read. */
static int cors_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    cors_public_suffixes_load(pconf);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    /* mod_headers adds its filters in these hooks too: the CORS filter is
     * of the same type and must come after them, so that it sees (and
     * removes) any Access-Control-* field a Header directive set. */
    static const char *const after_headers[] = {"mod_headers.c", NULL};
    ap_hook_pre_config(cors_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(cors_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(cors_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    cors_counters_register_hooks(p);
    cors_info_register_hooks(); /* the cors-info handler (mod_cors_info.c) */
    cors_map_register_hooks(p); /* origin maps (mod_cors_map.c) */
    /* First, so that no authorization module answers an allowed preflight;
     * per-conf, so httpd keeps skipping access checks for subrequests and
     * redirects whose configuration is unchanged. */
    ap_hook_check_access_ex(cors_check_access, NULL, NULL, APR_HOOK_FIRST,
                            AP_AUTH_INTERNAL_PER_CONF);
    /* Before mod_rewrite's per-directory rules and every handler setup. */
    ap_hook_fixups(cors_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_filter(cors_insert_filter, after_headers, NULL,
                          APR_HOOK_LAST);
    ap_hook_insert_error_filter(cors_insert_error_filter, after_headers, NULL,
                                APR_HOOK_LAST);
    /* A content-set filter: after mod_headers and mod_deflate have set
     * their fields, before mod_cache's CACHE_SAVE (content set + 1) stores
     * the response, and before the header is sent. */
    cors_filter_handle = ap_register_output_filter("CORS", cors_out_filter,
                                                   NULL, AP_FTYPE_CONTENT_SET);
}

AP_DECLARE_MODULE(cors) = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,      /* per-directory config */
    merge_dir_config,       /* merge per-directory config */
    cors_map_server_create, /* per-server config: the maps' settings */
    cors_map_server_merge,  /* merge per-server config */
    cors_cmds,              /* directives */
    register_hooks          /* hooks */
};
