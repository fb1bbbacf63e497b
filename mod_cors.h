/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_cors.h: what mod_cors shares with the rest of httpd.
 *
 * The verdict on a request that carries Origin, in a scope with a policy,
 * is published under these names (values: "allowed", "disallowed",
 * "preflight-allowed", "preflight-refused"):
 *   - the request note CORS_NOTE, for mod_log_config's %{cors}n; in a
 *     scope with rules, followed by " rule=" and the rule's name; where
 *     an origin map (CORSAllowOriginMap) allowed the origin, followed by
 *     " map=" and the map ("txt:/etc/apache2/origins.txt", "dbm:/path",
 *     "redis://host:port/prefix");
 *   - the environment variable CORS_ENV, for CGI, SSI, mod_rewrite's
 *     %{ENV:CORS_VERDICT} and other modules.
 */
#ifndef MOD_CORS_H
#define MOD_CORS_H

#define CORS_NOTE "cors"
#define CORS_ENV "CORS_VERDICT"

/* Under CORSEngine ReportOnly, every response in a scope with a policy
 * gets this request note: "same" when the Access-Control-* fields that go
 * out are those mod_cors would have sent, else "differs: " and the name of
 * the first field that differs (for mod_log_config's %{cors-report}n). */
#define CORS_REPORT_NOTE "cors-report"

#endif /* MOD_CORS_H */
