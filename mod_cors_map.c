/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_map.c: the httpd side of origin maps (CORSAllowOriginMap) - the
 * per-server settings CORSMapCheckInterval, CORSMapCacheTime and
 * CORSMapTimeout, the maps named by the configuration (one object per
 * source, whichever scopes name it), and the maintenance thread of each
 * process that notices changed files and logs what happened.  Maps
 * themselves (versions, swaps, the Redis client and its cache) are the
 * engine's: cors_map.c.
 *
 * Why a thread: a request must never wait for a reload, and with prefork
 * there is no other thread to do it; with event, no worker should lose
 * the time to read a file of a million lines.  One thread per process
 * (not per map) wakes every CORSMapCheckInterval (the shortest of the
 * maps'), stats the files, builds and swaps new versions, and is stopped
 * and joined by a pre-cleanup of the child's pool, before the maps' pools
 * go.  Each process reloads for itself: nothing is shared between
 * processes, so nothing can be half-updated across them.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_mpm.h"

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"

#include <pthread.h>
#include <signal.h>

#include "mod_cors_private.h"

APLOG_USE_MODULE(cors);

/* ------------------------------------------------------------------ */
/* Per-server settings                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    apr_interval_time_t interval;   /* CORSMapCheckInterval, or -1 */
    apr_interval_time_t cache_time; /* CORSMapCacheTime, or -1 */
    apr_interval_time_t timeout;    /* CORSMapTimeout, or -1 */
} map_server_t;

void *cors_map_server_create(apr_pool_t *p, server_rec *s)
{
    map_server_t *c = apr_palloc(p, sizeof(*c));
    (void)s;
    c->interval = c->cache_time = c->timeout = -1;
    return c;
}

void *cors_map_server_merge(apr_pool_t *p, void *basev, void *addv)
{
    map_server_t *base = basev, *add = addv, *c = apr_palloc(p, sizeof(*c));
    c->interval = add->interval >= 0 ? add->interval : base->interval;
    c->cache_time = add->cache_time >= 0 ? add->cache_time : base->cache_time;
    c->timeout = add->timeout >= 0 ? add->timeout : base->timeout;
    return c;
}

static const char *number(cmd_parms *cmd, const char *arg, long lo, long hi,
                          const char *unit, long *out)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || n < lo || n > hi) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s from %ld to %ld",
                            cmd->cmd->name, arg, unit, lo, hi);
    }
    *out = n;
    return NULL;
}

static map_server_t *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &cors_module);
}

const char *cors_cmd_map_check_interval(cmd_parms *cmd, void *dummy,
                                        const char *arg)
{
    long n;
    const char *err = number(cmd, arg, 1, 86400, "seconds", &n);
    (void)dummy;
    if (!err) {
        server_conf(cmd)->interval = apr_time_from_sec(n);
    }
    return err;
}

const char *cors_cmd_map_cache_time(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    long n;
    const char *err = number(cmd, arg, 0, 86400, "seconds", &n);
    (void)dummy;
    if (!err) {
        server_conf(cmd)->cache_time = apr_time_from_sec(n);
    }
    return err;
}

const char *cors_cmd_map_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    long n;
    const char *err = number(cmd, arg, 1, 60000, "milliseconds", &n);
    (void)dummy;
    if (!err) {
        server_conf(cmd)->timeout = apr_time_from_msec(n);
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* The maps of the configuration                                       */
/* ------------------------------------------------------------------ */

typedef struct {
    cors_map_t *map;
    apr_array_header_t *servers; /* server_rec *: where it is named */
} map_entry_t;

/* The maps of the configuration being read, by name; reset with it. */
static apr_array_header_t *maps;
static apr_hash_t *maps_by_name;

static apr_status_t maps_reset(void *unused)
{
    (void)unused;
    maps = NULL;
    maps_by_name = NULL;
    return APR_SUCCESS;
}

const char *cors_map_for_directive(cmd_parms *cmd, const char *arg,
                                   cors_map_t **out)
{
    cors_map_t *m;
    map_entry_t *e;
    const char *why = cors_map_make(cmd->pool, arg, ap_server_root, &m);
    int count = 0;

    *out = NULL;
    if (why) {
        return why;
    }
    if (!maps_by_name) {
        maps = apr_array_make(cmd->pool, 4, sizeof(map_entry_t *));
        maps_by_name = apr_hash_make(cmd->pool);
        apr_pool_cleanup_register(cmd->pool, NULL, maps_reset,
                                  apr_pool_cleanup_null);
    }
    e = apr_hash_get(maps_by_name, cors_map_name(m), APR_HASH_KEY_STRING);
    if (!e) {
        why = cors_map_load(m, cmd->pool, cmd->temp_pool, &count);
        if (why) {
            return apr_pstrcat(cmd->pool, why,
                               " (a map must load at start-up: correct the "
                               "file, or create an empty one to allow no "
                               "origin yet)",
                               NULL);
        }
        e = apr_palloc(cmd->pool, sizeof(*e));
        e->map = m;
        e->servers = apr_array_make(cmd->pool, 1, sizeof(server_rec *));
        apr_hash_set(maps_by_name, cors_map_name(m), APR_HASH_KEY_STRING, e);
        APR_ARRAY_PUSH(maps, map_entry_t *) = e;
    }
    APR_ARRAY_PUSH(e->servers, server_rec *) = cmd->server;
    *out = e->map;
    return NULL;
}

/* A map named in several virtual hosts takes the shortest of their
 * settings: checked as often, cached as briefly, waited for as little as
 * the strictest asks. */
static int map_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    int i, j;
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    for (i = 0; maps && i < maps->nelts; i++) {
        map_entry_t *e = APR_ARRAY_IDX(maps, i, map_entry_t *);
        apr_interval_time_t interval = -1, cache = -1, timeout = -1;
        for (j = 0; j < e->servers->nelts; j++) {
            server_rec *vs = APR_ARRAY_IDX(e->servers, j, server_rec *);
            map_server_t *c =
                ap_get_module_config(vs->module_config, &cors_module);
            apr_interval_time_t iv =
                c->interval >= 0 ? c->interval : apr_time_from_sec(5);
            apr_interval_time_t ct =
                c->cache_time >= 0 ? c->cache_time : apr_time_from_sec(10);
            apr_interval_time_t to =
                c->timeout >= 0 ? c->timeout : apr_time_from_msec(50);
            interval = interval < 0 || iv < interval ? iv : interval;
            cache = cache < 0 || ct < cache ? ct : cache;
            timeout = timeout < 0 || to < timeout ? to : timeout;
        }
        cors_map_settings(e->map, interval, cache, timeout);
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* The maintenance thread of a process                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    cors_map_t *map;
    apr_time_t next;
    apr_uint32_t errors_seen; /* redis: failures already reported */
    int failing;
} watched_t;

typedef struct {
    server_rec *s;
    apr_pool_t *pool; /* the thread's: its own allocator */
    watched_t *w;
    int n;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    volatile apr_uint32_t stop;
    apr_thread_t *thread;
} maintenance_t;

static void refresh_one(maintenance_t *mt, watched_t *w, apr_pool_t *scratch)
{
    const char *msg = NULL;
    int count = 0;
    const char *name = cors_map_name(w->map);

    if (!cors_map_is_file(w->map)) {
        apr_status_t last;
        apr_uint32_t errors = cors_map_errors(w->map, &last);
        if (errors != w->errors_seen) {
            ap_log_error(
                APLOG_MARK, APLOG_ERR, last, mt->s,
                APLOGNO(
                    99405) "CORSAllowOriginMap %s: %u lookup(s) "
                           "failed since the last check: origins known only "
                           "to Redis are refused (cached answers serve until "
                           "they expire) until it answers again",
                name, errors - w->errors_seen);
            w->errors_seen = errors;
            w->failing = 1;
        } else if (w->failing) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, mt->s,
                         APLOGNO(99406) "CORSAllowOriginMap %s: no failed "
                                        "lookup in the last interval",
                         name);
            w->failing = 0;
        }
        return;
    }
    switch (cors_map_refresh(w->map, scratch, &mt->stop, &msg, &count)) {
    case CORS_MAP_UNCHANGED:
        break;
    case CORS_MAP_RELOADED:
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, mt->s,
                     APLOGNO(99401) "CORSAllowOriginMap %s: new version in "
                                    "force (%d values)",
                     name, count);
        break;
    case CORS_MAP_REFUSED:
        ap_log_error(
            APLOG_MARK, APLOG_ERR, 0, mt->s,
            APLOGNO(99402) "CORSAllowOriginMap %s: new version "
                           "refused, the last good one stays in force: %s",
            name, msg);
        break;
    case CORS_MAP_MISSING:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, mt->s,
                     APLOGNO(99403) "CORSAllowOriginMap %s: %s: the last "
                                    "good version stays in force",
                     name, msg);
        break;
    }
}

static void *APR_THREAD_FUNC maintain(apr_thread_t *thread, void *data)
{
    maintenance_t *mt = data;
    apr_thread_mutex_lock(mt->mutex);
    while (!apr_atomic_read32(&mt->stop)) {
        apr_time_t now = apr_time_now(), wake = now + apr_time_from_sec(3600);
        int i;
        apr_thread_mutex_unlock(mt->mutex);
        for (i = 0; i < mt->n && !apr_atomic_read32(&mt->stop); i++) {
            watched_t *w = &mt->w[i];
            if (w->next <= now) {
                apr_pool_t *scratch;
                if (apr_pool_create(&scratch, mt->pool) == APR_SUCCESS) {
                    refresh_one(mt, w, scratch);
                    apr_pool_destroy(scratch);
                }
                w->next = now + cors_map_interval(w->map);
            }
            if (w->next < wake) {
                wake = w->next;
            }
        }
        apr_thread_mutex_lock(mt->mutex);
        now = apr_time_now();
        if (!apr_atomic_read32(&mt->stop) && wake > now) {
            apr_thread_cond_timedwait(mt->cond, mt->mutex, wake - now);
        }
    }
    apr_thread_mutex_unlock(mt->mutex);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pre-cleanup: the thread must be gone before the pools it uses. */
static apr_status_t maintenance_stop(void *data)
{
    maintenance_t *mt = data;
    apr_status_t rv;
    apr_atomic_set32(&mt->stop, 1);
    apr_thread_mutex_lock(mt->mutex);
    apr_thread_cond_signal(mt->cond);
    apr_thread_mutex_unlock(mt->mutex);
    apr_thread_join(&rv, mt->thread);
    return APR_SUCCESS;
}

static void map_child_setup(apr_pool_t *pchild, server_rec *s)
{
    maintenance_t *mt;
    apr_allocator_t *a = NULL;
    apr_status_t rv;
    int threads = 1, i;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS ||
        threads < 1) {
        threads = 1;
    }
    mt = apr_pcalloc(pchild, sizeof(*mt));
    mt->s = s;
    mt->n = maps->nelts;
    mt->w = apr_pcalloc(pchild, sizeof(watched_t) * (apr_size_t)mt->n);
    if (apr_allocator_create(&a) != APR_SUCCESS ||
        apr_pool_create_ex(&mt->pool, pchild, NULL, a) != APR_SUCCESS) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, 0, s,
            APLOGNO(
                99407) "CORSAllowOriginMap: no memory for the "
                       "maps of this process: they keep their first version");
        return;
    }
    apr_allocator_owner_set(a, mt->pool);
    for (i = 0; i < mt->n; i++) {
        apr_pool_t *scratch;
        mt->w[i].map = APR_ARRAY_IDX(maps, i, map_entry_t *)->map;
        cors_map_child_init(mt->w[i].map, mt->pool, threads);
        /* Now, before the first request: a dbm: map opens its file, a
         * txt: map changed since start-up is reloaded. */
        apr_pool_create(&scratch, mt->pool);
        refresh_one(mt, &mt->w[i], scratch);
        apr_pool_destroy(scratch);
        mt->w[i].next = apr_time_now() + cors_map_interval(mt->w[i].map);
    }
    if ((rv = apr_thread_mutex_create(&mt->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      pchild)) != APR_SUCCESS ||
        (rv = apr_thread_cond_create(&mt->cond, pchild)) != APR_SUCCESS ||
        (rv = apr_thread_create(&mt->thread, NULL, maintain, mt, pchild)) !=
            APR_SUCCESS) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, rv, s,
            APLOGNO(99404) "CORSAllowOriginMap: cannot start the "
                           "thread that reloads maps: this process keeps their "
                           "current version");
        return;
    }
    apr_pool_pre_cleanup_register(pchild, mt, maintenance_stop);
}

static void map_child_init(apr_pool_t *pchild, server_rec *s)
{
    sigset_t all, old;

    if (!maps || !maps->nelts) {
        return;
    }
    /* Every signal waits until this process's maps are set up, their
     * thread started and its stop registered: prefork's children (and
     * event's, before their threads start) handle SIGTERM by destroying
     * pchild in the handler, which must not find a reload half-built nor a
     * thread running that nothing stops.  The thread starts with the mask
     * it inherits, every signal blocked: the handler must run in the main
     * thread, never in this one in the middle of a reload. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    map_child_setup(pchild, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void cors_map_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(map_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(map_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
