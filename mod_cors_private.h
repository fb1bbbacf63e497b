/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors_private.h: what the glue files of mod_cors share.
 *
 * mod_cors.c holds the module record, the directives and the per-directory
 * configuration, and registers every hook; mod_cors_request.c holds the
 * request path those hooks run.  Neither is seen outside the module.
 */
#ifndef MOD_CORS_PRIVATE_H
#define MOD_CORS_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"

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

/* The start-up checks of the parsed configuration tree
 * (mod_cors_check.c): warnings with file and line. */
void cors_check_conftree(apr_pool_t *p, server_rec *s);

#endif /* MOD_CORS_PRIVATE_H */
