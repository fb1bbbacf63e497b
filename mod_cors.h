/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors.h: what mod_cors shares with the rest of httpd.
 *
 * The verdict on a request that carries Origin, in a scope with a policy,
 * is published under these names (values: "allowed", "disallowed",
 * "preflight-allowed", "preflight-refused"):
 *   - the request note CORS_NOTE, for mod_log_config's %{cors}n;
 *   - the environment variable CORS_ENV, for CGI, SSI, mod_rewrite's
 *     %{ENV:CORS_VERDICT} and other modules.
 */
#ifndef MOD_CORS_H
#define MOD_CORS_H

#define CORS_NOTE "cors"
#define CORS_ENV "CORS_VERDICT"

#endif /* MOD_CORS_H */
