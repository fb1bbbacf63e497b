/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_counters.c: how many responses of each verdict the server sent,
 * shown by mod_status (server-status, and ?auto for machines).
 *
 * The counts live in anonymous shared memory that the parent creates once,
 * in its process pool, when mod_status is loaded: children inherit it
 * across fork, and graceful restarts find it again (the pool's user data)
 * and keep counting.  Every child and thread adds with one atomic
 * increment, no lock; each counter has a cache line of its own, so that
 * threads counting different verdicts do not contend.  The pointer to the
 * counters is set at start-up and read-only afterwards; where mod_status is
 * not loaded, or the memory could not be had, it is NULL and nothing is
 * counted.  The counts are per server (all virtual hosts together).
 */
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "apr_atomic.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"

#include "mod_status.h"

#include "mod_cors_private.h"

APLOG_USE_MODULE(cors);

#define COUNTERS (CORS_COUNT_REPORT_DIFFERS + 1)

/* Set in post_config, before any child exists; never written afterwards. */
cors_counter_t *cors_counters;

/* The process pool's user data holding the shared memory, across the
 * configuration passes and graceful restarts. */
#define SHM_KEY "mod_cors_counters_shm"

void cors_count_report_differs(void)
{
    if (cors_counters) {
        apr_atomic_inc64(&cors_counters[CORS_COUNT_REPORT_DIFFERS].n);
    }
}

static int counters_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    void *data = NULL;
    (void)pconf;
    (void)plog;
    (void)ptemp;

    cors_counters = NULL;
    /* Created in the pass that starts the server, not the first one that
     * only checks the configuration (a failure is logged once). */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG ||
        !ap_find_linked_module("mod_status.c")) {
        return OK;
    }
    apr_pool_userdata_get(&data, SHM_KEY, pp);
    shm = data;
    if (!shm) {
        rv = apr_shm_create(&shm, sizeof(cors_counter_t) * COUNTERS, NULL, pp);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                         APLOGNO(99201) "no shared memory for the CORS "
                                        "counters: running without them");
            return OK;
        }
        memset(apr_shm_baseaddr_get(shm), 0, sizeof(cors_counter_t) * COUNTERS);
        /* The key is copied: the module's own memory goes at a restart. */
        apr_pool_userdata_set(shm, SHM_KEY, NULL, pp);
    }
    cors_counters = apr_shm_baseaddr_get(shm);
    return OK;
}

static const struct {
    int index;
    const char *name; /* ?auto */
    const char *title;
} shown[] = {
    {CORS_ALLOWED, "CORSAllowed", "allowed"},
    {CORS_DISALLOWED, "CORSDisallowed", "disallowed"},
    {CORS_PREFLIGHT_ALLOWED, "CORSPreflightAllowed", "preflight allowed"},
    {CORS_PREFLIGHT_REFUSED, "CORSPreflightRefused", "preflight refused"},
    {CORS_COUNT_REPORT_DIFFERS, "CORSReportOnlyDiffers", "report-only differs"},
};

static int counters_status(request_rec *r, int flags)
{
    size_t i;
    if (flags & AP_STATUS_SHORT) {
        if (!cors_counters) {
            return OK;
        }
        for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", shown[i].name,
                       apr_atomic_read64(&cors_counters[shown[i].index].n));
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_cors</h2>\n", r);
    if (!cors_counters) {
        ap_rputs("<p>CORS counters unavailable (see the error log).</p>\n", r);
        return OK;
    }
    ap_rputs("<table id=\"mod_cors\">\n<tr><th>Responses with Origin</th>"
             "<th>Count</th></tr>\n",
             r);
    for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        ap_rprintf(r,
                   "<tr><td>%s (%s)</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                   shown[i].title, shown[i].name,
                   apr_atomic_read64(&cors_counters[shown[i].index].n));
    }
    ap_rputs("</table>\n", r);
    return OK;
}

void cors_counters_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(counters_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, counters_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
