/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_check.c: the start-up checks of mod_cors that no directive can
 * make on its own - they need the sections around it.  httpd keeps the
 * parsed configuration as a tree (ap_conftree: sections and their lines,
 * each with its file and line); this walks it once, at configtest and at
 * start-up, and warns:
 *
 *   - "*.suffix" origin over a public suffix (refused with credentials
 *     in the same scope by the directive itself; a warning otherwise);
 *   - a section that sets CORS directives but no origin, where neither an
 *     enclosing section nor a nested one sets one (inert);
 *   - a Header directive setting Access-Control-* where mod_cors enforces
 *     a policy (it removes those fields; under ReportOnly they are what is
 *     compared, and no warning is given);
 *   - a method one edit away from a standard one, and OPTIONS, in
 *     CORSAllowMethods;
 *   - CORSAllowOrigin * meeting CORSAllowCredentials On through the nesting
 *     of sections.
 *
 * Sections meet in a request's merge in ways the tree does not show
 * (<Location> and <Directory> are not nested in each other; .htaccess is
 * not in the tree): these checks see only what the nesting shows, and the
 * request path still warns where '*' meets credentials.
 */
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"

#include "apr_hash.h"
#include "apr_strings.h"

#include "mod_cors_private.h"

APLOG_USE_MODULE(cors);

/* What the lines of one section (not of its nested sections) say. */
typedef struct scope {
    const struct scope *up;       /* the enclosing section, NULL at the top */
    const ap_directive_t *origin; /* last CORSAllowOrigin(Match) */
    const ap_directive_t *origin_star; /* ... when it is "CORSAllowOrigin *" */
    const ap_directive_t *credentials; /* last CORSAllowCredentials */
    int credentials_on;
    const ap_directive_t *engine; /* last CORSEngine */
    int engine_value;
    const ap_directive_t *other; /* first other CORS directive */
    apr_array_header_t *headers; /* Header lines setting Access-Control-* */
} scope_t;

typedef struct {
    apr_pool_t *p;
    server_rec *s;
    apr_hash_t *reported;       /* Header lines already named */
    apr_array_header_t *givers; /* sections that set an origin */
} walk_t;

static const char *where(apr_pool_t *p, const ap_directive_t *d)
{
    return apr_psprintf(p, "%s:%d", d->filename, d->line_num);
}

static int is(const ap_directive_t *d, const char *name)
{
    return !ap_cstr_casecmp(d->directive, name);
}

static int has_word(apr_pool_t *p, const char *args, const char *word)
{
    const char *w;
    while (*args && *(w = ap_getword_conf(p, &args))) {
        if (!strcmp(w, word)) {
            return 1;
        }
    }
    return 0;
}

static int flag_value(apr_pool_t *p, const char *args)
{
    const char *w = ap_getword_conf(p, &args);
    if (!ap_cstr_casecmp(w, "on")) {
        return CORS_ON;
    }
    if (!ap_cstr_casecmp(w, "reportonly")) {
        return CORS_REPORT_ONLY;
    }
    return CORS_OFF;
}

/* Whether a Header line sets, adds, appends or merges an Access-Control-*
 * field ("Header [always|onsuccess] set Access-Control-... value"). */
static int header_sets_access_control(apr_pool_t *p, const char *args)
{
    const char *w = ap_getword_conf(p, &args);
    if (!ap_cstr_casecmp(w, "always") || !ap_cstr_casecmp(w, "onsuccess")) {
        w = ap_getword_conf(p, &args);
    }
    if (ap_cstr_casecmp(w, "set") && ap_cstr_casecmp(w, "add") &&
        ap_cstr_casecmp(w, "append") && ap_cstr_casecmp(w, "merge") &&
        ap_cstr_casecmp(w, "setifempty")) {
        return 0;
    }
    w = ap_getword_conf(p, &args);
    return !ap_cstr_casecmpn(w, "Access-Control-", 15);
}

/* Whether a directive sets origins (the one setting of cors_policy_t). */
static int is_origin(const ap_directive_t *d)
{
    return is(d, "CORSAllowOrigin") || is(d, "CORSAllowOriginMatch") ||
           is(d, "CORSAllowOriginMap");
}

/* The lines of one section, checked one by one. */
static void read_scope(walk_t *w, const ap_directive_t *first, scope_t *sc)
{
    const ap_directive_t *d;
    for (d = first; d; d = d->next) {
        if (d->first_child || d->directive[0] == '<') {
            continue; /* a nested section: read on its own */
        }
        if (is_origin(d) || is(d, "CORSRuleFile")) {
            /* A CORSRuleFile's rules hold origins; its '*' rules never
             * send credentials. */
            sc->origin = d;
            sc->origin_star =
                is(d, "CORSAllowOrigin") && has_word(w->p, d->args, "*") ? d
                                                                         : NULL;
        } else if (is(d, "CORSAllowCredentials")) {
            sc->credentials = d;
            sc->credentials_on = flag_value(w->p, d->args) == CORS_ON;
            if (!sc->other) {
                sc->other = d;
            }
        } else if (is(d, "CORSEngine")) {
            sc->engine = d;
            sc->engine_value = flag_value(w->p, d->args);
        } else if (!ap_cstr_casecmpn(d->directive, "CORS", 4) &&
                   ap_cstr_casecmpn(d->directive, "CORSMap", 7)) {
            /* (CORSMap* are the maps' per-server settings, no policy.) */
            if (!sc->other) {
                sc->other = d;
            }
        } else if (is(d, "Header") &&
                   header_sets_access_control(w->p, d->args)) {
            APR_ARRAY_PUSH(sc->headers, const ap_directive_t *) = d;
        }
    }
}

/* The nearest setting of a field in this section or an enclosing one. */
#define NEAREST(sc, field, out)                                                \
    do {                                                                       \
        const scope_t *u_;                                                     \
        (out) = NULL;                                                          \
        for (u_ = (sc); u_; u_ = u_->up) {                                     \
            if (u_->field) {                                                   \
                (out) = u_;                                                    \
                break;                                                         \
            }                                                                  \
        }                                                                      \
    } while (0)

static void check_origin_values(walk_t *w, const ap_directive_t *d)
{
    const char *args = d->args, *v;
    while (*args && *(v = ap_getword_conf(w->p, &args))) {
        const char *suffix = cors_origin_public_suffix(w->p, v);
        if (suffix) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, w->s,
                APLOGNO(99301) "CORSAllowOrigin '%s' (%s): '%s' is a public "
                               "suffix: anyone can register a site under it, "
                               "and every one of them is allowed; list your "
                               "own origins, or wildcard a domain you own "
                               "(with CORSAllowCredentials On in the same "
                               "scope it is refused)",
                v, where(w->p, d), suffix);
        }
    }
}

static void check_methods(walk_t *w, const ap_directive_t *d)
{
    const char *args = d->args, *v;
    while (*args && *(v = ap_getword_conf(w->p, &args))) {
        const char *near = cors_method_near_miss(v);
        if (!strcmp(v, "OPTIONS")) {
            ap_log_error(
                APLOG_MARK, APLOG_NOTICE, 0, w->s,
                APLOGNO(99305) "CORSAllowMethods 'OPTIONS' (%s): never needed: "
                               "mod_cors answers preflights whatever "
                               "CORSAllowMethods lists; remove it",
                where(w->p, d));
        } else if (near) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, w->s,
                APLOGNO(99304) "CORSAllowMethods '%s' (%s): not a standard "
                               "method; did you mean '%s'? Methods are "
                               "case-sensitive and matched exactly",
                v, where(w->p, d), near);
        }
    }
}

/* Whether a section's own lines set an origin (or rules, which hold
 * them). */
static int sets_origin(const ap_directive_t *first)
{
    const ap_directive_t *d;
    for (d = first; d; d = d->next) {
        if (is(d, "<CORSRule") ||
            (!d->first_child && (is_origin(d) || is(d, "CORSRuleFile")))) {
            return 1;
        }
    }
    return 0;
}

/* Every section that sets an origin, for inherits_by_path. */
static void find_givers(walk_t *w, const ap_directive_t *first)
{
    const ap_directive_t *d;
    for (d = first; d; d = d->next) {
        if (d->first_child) {
            if (sets_origin(d->first_child)) {
                APR_ARRAY_PUSH(w->givers, const ap_directive_t *) = d;
            }
            find_givers(w, d->first_child);
        }
    }
}

/* The path a section names, without quotes and the closing '>'. */
static const char *section_path(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args;
    char *v = ap_getword_conf(p, &args);
    apr_size_t len = strlen(v);
    if (len && v[len - 1] == '>') {
        v[len - 1] = '\0';
    }
    return v;
}

/* Whether another section of the same kind (<Location>, <Directory>...)
 * whose path is a prefix of this one's sets an origin: httpd merges them
 * by path, so this section inherits it (the usual way to refine a policy
 * below a parent path). */
static int inherits_by_path(walk_t *w, const ap_directive_t *sec)
{
    const char *path;
    int i;
    if (!sec) {
        return 0;
    }
    path = section_path(w->p, sec);
    for (i = 0; i < w->givers->nelts; i++) {
        const ap_directive_t *g =
            APR_ARRAY_IDX(w->givers, i, const ap_directive_t *);
        const char *gp;
        if (g == sec || ap_cstr_casecmp(g->directive, sec->directive)) {
            continue;
        }
        gp = section_path(w->p, g);
        if (!strncmp(path, gp, strlen(gp))) {
            return 1;
        }
    }
    return 0;
}

/* Checks one section (lines first_child, or the top level) under its
 * enclosing ones; returns whether it or a nested section sets an origin. */
static int walk(walk_t *w, const ap_directive_t *sec,
                const ap_directive_t *first, const scope_t *up)
{
    scope_t sc = {up};
    const scope_t *o, *c, *e;
    const ap_directive_t *d;
    int nested_origin = 0;
    int enforcing;

    sc.headers = apr_array_make(w->p, 1, sizeof(const ap_directive_t *));
    read_scope(w, first, &sc);

    for (d = first; d; d = d->next) {
        if (is(d, "CORSAllowOrigin")) {
            check_origin_values(w, d);
        } else if (is(d, "CORSAllowMethods")) {
            check_methods(w, d);
        }
    }

    NEAREST(&sc, origin, o);
    NEAREST(&sc, credentials, c);
    NEAREST(&sc, engine, e);

    /* '*' meets credentials through nesting (in one section, the
     * directives refuse it themselves). */
    if (o && c && o->origin_star && c->credentials_on && o != c &&
        (o == &sc || c == &sc)) {
        ap_log_error(
            APLOG_MARK, APLOG_WARNING, 0, w->s,
            APLOGNO(99306) "CORSAllowOrigin * (%s) meets CORSAllowCredentials "
                           "On (%s) through nested sections: mod_cors answers "
                           "'*' without credentials there; list the origins "
                           "where credentials are wanted, or set "
                           "CORSAllowCredentials Off in the inner section",
            where(w->p, o->origin), where(w->p, c->credentials));
    }

    /* Header lines setting Access-Control-* here or around, where a policy
     * is enforced. */
    enforcing = o && (!e || e->engine_value == CORS_ON);
    if (enforcing) {
        const scope_t *u;
        for (u = &sc; u; u = u->up) {
            int i;
            for (i = 0; i < u->headers->nelts; i++) {
                const ap_directive_t *h =
                    APR_ARRAY_IDX(u->headers, i, const ap_directive_t *);
                if (apr_hash_get(w->reported, &h, sizeof(h))) {
                    continue;
                }
                apr_hash_set(w->reported, apr_pmemdup(w->p, &h, sizeof(h)),
                             sizeof(h), h);
                ap_log_error(
                    APLOG_MARK, APLOG_WARNING, 0, w->s,
                    APLOGNO(99303) "Header %s (%s): mod_cors enforces a policy "
                                   "here (CORSAllowOrigin, %s) and removes "
                                   "every Access-Control-* field others set; "
                                   "remove this Header line, or use "
                                   "CORSEngine ReportOnly to compare them "
                                   "with the policy",
                    h->args, where(w->p, h), where(w->p, o->origin));
            }
        }
    }

    for (d = first; d; d = d->next) {
        if (d->first_child) {
            nested_origin |= walk(w, d, d->first_child, &sc);
        }
    }

    if (sc.other && !o && !nested_origin && !inherits_by_path(w, sec)) {
        ap_log_error(
            APLOG_MARK, APLOG_WARNING, 0, w->s,
            APLOGNO(
                99302) "%s %s (%s): this section sets CORS directives but no "
                       "origin, and neither an enclosing nor a nested "
                       "section of it does: they do nothing unless "
                       "another section or .htaccess that applies sets "
                       "CORSAllowOrigin; add CORSAllowOrigin here",
            sc.other->directive, sc.other->args, where(w->p, sc.other));
    }
    return sc.origin != NULL || nested_origin;
}

void cors_check_conftree(apr_pool_t *p, server_rec *s)
{
    walk_t w = {p, s, apr_hash_make(p),
                apr_array_make(p, 4, sizeof(const ap_directive_t *))};
    if (ap_conftree) {
        find_givers(&w, ap_conftree);
        walk(&w, NULL, ap_conftree, NULL);
    }
}
