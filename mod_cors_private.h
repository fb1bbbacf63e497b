/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_private.h: what the glue files of mod_cors share.
 *
 * mod_cors.c holds the module record, the directives and the per-directory
 * configuration, and registers the hooks; mod_cors_request.c holds the
 * request path those hooks run; mod_cors_counters.c the verdict counters
 * of server-status; mod_cors_info.c the cors-info handler.  None is seen
 * outside the module.
 */
#ifndef MOD_CORS_PRIVATE_H
#define MOD_CORS_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"

#include "apr_atomic.h"

#include "cors_engine.h"
#include "mod_cors.h"

extern module AP_MODULE_DECLARE_DATA cors_module;

/* The output filter "CORS", registered by mod_cors.c. */
extern ap_filter_rec_t *cors_filter_handle;
apr_status_t cors_out_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* The request path (mod_cors_request.c). */
int cors_check_access(request_rec *r);
int cors_fixups(request_rec *r);
void cors_insert_filter(request_rec *r);
void cors_insert_error_filter(request_rec *r);
/* At start-up: whether APR's tables keep the key checksum the response
 * path tests. */
void cors_strip_init(apr_pool_t *p);

/* The counters shown by mod_status (mod_cors_counters.c): one response of
 * the verdict, or one where ReportOnly's decision differs from the
 * enforced one.  Atomic, no lock; nothing is counted without mod_status.
 * One per verdict (CORS_NOT_CORS's stays unused, so that a verdict is its
 * own index), then the ReportOnly differences; each on a cache line of its
 * own, so that threads counting different verdicts do not contend.
 * cors_counters is set at start-up, NULL where nothing is counted, and
 * read-only afterwards; cors_count() runs on every response, so inline. */
#define CORS_COUNT_REPORT_DIFFERS CORS_VERDICTS
typedef struct {
    volatile apr_uint64_t n;
    char pad[64 - sizeof(apr_uint64_t)];
} cors_counter_t;
extern cors_counter_t *cors_counters;

static APR_INLINE void cors_count(cors_verdict_t verdict)
{
    if (cors_counters && verdict < CORS_COUNT_REPORT_DIFFERS) {
        apr_atomic_inc64(&cors_counters[verdict].n);
    }
}
void cors_counters_register_hooks(apr_pool_t *p);
void cors_count_report_differs(void);
/* The cors-info handler (mod_cors_info.c): registers its hooks. */
void cors_info_register_hooks(void);
/* An OPTIONS subrequest reached the access checks: where it is a cors-info
 * lookup, the configuration a preflight is decided under is kept. */
void cors_info_preflight_lookup(request_rec *r);
/* The start-up checks of the parsed configuration tree
 * (mod_cors_check.c): warnings with file and line. */
void cors_check_conftree(apr_pool_t *p, server_rec *s);

/* Origin maps (mod_cors_map.c): the per-server settings and their
 * directives, the map a CORSAllowOriginMap value names (made and loaded
 * once per configuration, shared by the scopes that name it), and the
 * hooks that watch them in each process. */
void *cors_map_server_create(apr_pool_t *p, server_rec *s);
void *cors_map_server_merge(apr_pool_t *p, void *base, void *add);
const char *cors_cmd_map_check_interval(cmd_parms *cmd, void *dummy,
                                        const char *arg);
const char *cors_cmd_map_cache_time(cmd_parms *cmd, void *dummy,
                                    const char *arg);
const char *cors_cmd_map_timeout(cmd_parms *cmd, void *dummy, const char *arg);
const char *cors_map_for_directive(cmd_parms *cmd, const char *arg,
                                   cors_map_t **map);
void cors_map_register_hooks(apr_pool_t *p);

#endif /* MOD_CORS_PRIVATE_H */
