/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_engine.h: the CORS policy engine of mod_cors.
 *
 * Everything here depends on APR and PCRE2 only, never on httpd, so that it
 * can be unit-tested and fuzzed on its own.  A configuration value is
 * checked and compiled once, when the configuration is read, into immutable
 * rule tables; a request is then decided against them without copying or
 * allocating anything unless a header must be built for it.
 *
 * Vocabulary follows the Fetch standard: origin, preflight, safelisted,
 * request headers.
 */
#ifndef CORS_ENGINE_H
#define CORS_ENGINE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Keeps a function that the common request never reaches out of the one
 * that calls it, so that the common path does not pay for its registers
 * and stack (callgrind counts them on every request). */
#if defined(__GNUC__)
#define CORS_NOINLINE __attribute__((noinline))
#else
#define CORS_NOINLINE
#endif
/* The converse, for a step of every decided request that gcc -O2 leaves
 * as a call because it has a second, rare caller: inlined, each of these
 * saves 14 to 20 instructions per request (callgrind, allowed GET). */
#if defined(__GNUC__)
#define CORS_HOT_INLINE inline __attribute__((always_inline))
#else
#define CORS_HOT_INLINE APR_INLINE
#endif

/* Tri-state settings: a scope that does not set one inherits it. */
#define CORS_UNSET (-1)
#define CORS_OFF 0
#define CORS_ON 1
/* CORSEngine ReportOnly: decide and publish, change nothing. */
#define CORS_REPORT_ONLY 2

/* Longest Origin value the engine looks at.  A serialized origin is a
 * scheme, a host of at most 253 bytes and a port; anything longer is not
 * one a browser sends, and is refused without being read further. */
#define CORS_ORIGIN_MAX 512

/* ------------------------------------------------------------------ */
/* Origin rules                                                        */
/* ------------------------------------------------------------------ */

/* The compiled origin rules of one scope (CORSAllowOrigin and
 * CORSAllowOriginMatch together): exact origins in a hash table,
 * "*.domain" and ":*" patterns in per-scheme hash tables keyed by the part
 * after the wildcard, and whole-match regular expressions. */
typedef struct cors_origins cors_origins_t;

typedef enum {
    CORS_ORIGIN_MALFORMED = 0, /* not a serialized origin a browser sends */
    CORS_ORIGIN_DENIED,        /* well-formed, matched by no rule */
    CORS_ORIGIN_ALLOWED        /* matched by a rule (or the rules hold "*") */
} cors_origin_result_t;

cors_origins_t *cors_origins_make(apr_pool_t *p);

/* Adds one CORSAllowOrigin value.  Returns NULL, or the reason the value is
 * refused (allocated from p).  The value is stored lower-case. */
const char *cors_origins_add(cors_origins_t *o, apr_pool_t *p,
                             const char *value);

/* Adds one CORSAllowOriginMatch regular expression, compiled to match the
 * whole Origin value, with JIT where available when jit is non-zero (pass
 * 0 where the regex is compiled for one request only, as in .htaccess:
 * JIT compilation then costs more than it saves).  Compiled code is
 * released by a cleanup on p.  Returns NULL or the reason (a regex that
 * matches "null", or hits its match limit on it, is refused). */
const char *cors_origins_add_regex(cors_origins_t *o, apr_pool_t *p,
                                   const char *regex, int jit);

/* Adds one origin with a single '*' standing for any run of bytes, as S3's
 * AllowedOrigin has it ("https://app-*.example.com"; unlike "*.domain" it
 * may cross labels).  The value is stored lower-case. */
void cors_origins_add_wildcard(cors_origins_t *o, apr_pool_t *p,
                               const char *value);

/* Whether the rules hold "*". */
int cors_origins_any(const cors_origins_t *o);

/* Whether any rule was added; how many values were. */
int cors_origins_empty(const cors_origins_t *o);
int cors_origins_count(const cors_origins_t *o);

/* The first "*.domain" (scheme://, star, dot, domain) value added whose domain
 * is on the Public Suffix List (a "*.github.io" origin: every tenant of the
 * suffix), or NULL.  Such a value is accepted by cors_origins_add: the glue
 * refuses it with credentials and warns without. */
const char *cors_origins_over_public_suffix(const cors_origins_t *o);

/* Loads the Public Suffix List (libpsl's psl_latest(NULL): Debian's
 * publicsuffix package, or libpsl's built-in copy) until p is cleared.
 * Call it before threads run; the functions below load it on first use
 * otherwise. */
void cors_public_suffixes_load(apr_pool_t *p);

/* For a "*.domain" origin value (with its scheme and any port): the domain,
 * lower-cased, when it is a public suffix (ICANN or private section; the
 * implicit "*" rule does not count), else NULL.  Any other value: NULL. */
const char *cors_origin_public_suffix(apr_pool_t *p, const char *value);

/* Matches a request's Origin value byte for byte.  scratch is used only
 * when a regular expression has to run.  *rule, when not NULL, receives a
 * static description of the kind of rule that matched (for the log), or
 * NULL when none did; or CORS_RULE_REGEX_LIMIT (with CORS_ORIGIN_DENIED)
 * when no rule matched and a regular expression gave up at its match
 * limit: each run is bounded (a few tens of thousands of instructions),
 * and one that would backtrack further grants nothing. */
#define CORS_RULE_REGEX_LIMIT "regular expression hit its match limit"
cors_origin_result_t cors_origins_match(const cors_origins_t *o,
                                        const char *origin, apr_pool_t *scratch,
                                        const char **rule);

/* The same, "*" left out: whether a listed origin, pattern or expression
 * matches (S3 sends credentials for those, never for "*"). */
cors_origin_result_t cors_origins_match_listed(const cors_origins_t *o,
                                               const char *origin,
                                               apr_pool_t *scratch,
                                               const char **rule);

/* Checks that a request's Origin value is a serialized origin as browsers
 * send it (lower-case scheme and host, no default port, no path). */
int cors_origin_is_well_formed(const char *origin, apr_size_t len);

/* ------------------------------------------------------------------ */
/* Origin maps (CORSAllowOriginMap)                                    */
/* ------------------------------------------------------------------ */

/* Origins kept outside the configuration, which change while the server
 * runs: "txt:/path" (one CORSAllowOrigin value a line, compiled into the
 * same tables), "dbm[=type]:/path" (an APR DBM whose keys are origins,
 * looked up per request) or "redis://host[:port][/prefix]" (the key
 * prefix + origin exists).  A map is made when the configuration is read
 * and shared by every scope that names it; each process then calls
 * cors_map_child_init once and cors_map_refresh from one thread (never a
 * request) every interval.  Lookups are thread-safe, never wait for a
 * refresh, and a Redis lookup waits at most the timeout. */
typedef struct cors_map cors_map_t;

/* Parses a CORSAllowOriginMap value; relative paths are taken from root
 * (httpd's ServerRoot).  Returns NULL or the reason.  Defaults: a check
 * interval of 5 s, a cache time of 10 s, a timeout of 50 ms. */
const char *cors_map_make(apr_pool_t *p, const char *spec, const char *root,
                          cors_map_t **map);

/* "txt:/abs/path", "dbm=type:/abs/path", "redis://host:port/prefix". */
const char *cors_map_name(const cors_map_t *m);
/* "map " and the name: the reason of a decision the map allowed. */
const char *cors_map_rule(const cors_map_t *m);
/* Whether the map reads a file (txt:, dbm:), which refreshes watch. */
int cors_map_is_file(const cors_map_t *m);

void cors_map_settings(cors_map_t *m, apr_interval_time_t interval,
                       apr_interval_time_t cache_time,
                       apr_interval_time_t timeout);
apr_interval_time_t cors_map_interval(const cors_map_t *m);

/* The first version, when the configuration is read: a txt: file is
 * compiled (from p, until p is cleared), a dbm: file opened to check it
 * (each process opens its own).  Returns NULL or the reason, with file,
 * line and value; *count receives the number of txt: values. */
const char *cors_map_load(cors_map_t *m, apr_pool_t *p, apr_pool_t *ptemp,
                          int *count);

/* In each process, before any lookup: the pools of later versions (under
 * p), and for redis: one connection slot per request thread and the
 * answer cache. */
void cors_map_child_init(cors_map_t *m, apr_pool_t *p, int threads);

typedef enum {
    CORS_MAP_UNCHANGED = 0,
    CORS_MAP_RELOADED, /* a new version is in force (*count values) */
    CORS_MAP_REFUSED,  /* a new version is invalid: *msg, once a version */
    CORS_MAP_MISSING   /* the file is gone: *msg, once until it is back */
} cors_map_refresh_t;

/* Checks a txt: or dbm: file and swaps in its new version; frees versions
 * no lookup uses any more.  One thread only.  stop, when not NULL and set,
 * interrupts a long load (the version is not taken).  *msg, from scratch,
 * says what to log. */
cors_map_refresh_t cors_map_refresh(cors_map_t *m, apr_pool_t *scratch,
                                    const volatile apr_uint32_t *stop,
                                    const char **msg, int *count);

/* Versions replaced but not yet freed (a lookup was in progress). */
int cors_map_retired(const cors_map_t *m);

/* Redis lookups that failed since start, and the status of the last. */
apr_uint32_t cors_map_errors(const cors_map_t *m, apr_status_t *last);

/* Whether the map allows origin (well-formed, len bytes). */
int cors_map_lookup(cors_map_t *m, const char *origin, apr_size_t len,
                    apr_pool_t *scratch);

/* Adds a map to the origin rules: tried after exact origins and patterns,
 * before regular expressions.  Returns NULL. */
const char *cors_origins_add_map(cors_origins_t *o, apr_pool_t *p,
                                 cors_map_t *map);

/* ------------------------------------------------------------------ */
/* Methods and header names                                            */
/* ------------------------------------------------------------------ */

/* A set of methods (case-sensitive) or header names (case-insensitive),
 * possibly with "*", and its value for a response header, joined once. */
typedef struct cors_names cors_names_t;

typedef enum {
    CORS_NAMES_METHODS = 0,      /* CORSAllowMethods */
    CORS_NAMES_REQUEST_HEADERS,  /* CORSAllowHeaders */
    CORS_NAMES_RESPONSE_HEADERS, /* CORSExposeHeaders */
    CORS_NAMES_S3_HEADERS        /* S3's AllowedHeader: any name a token,
                                    '*' and patterns cover Authorization */
} cors_names_kind_t;

cors_names_t *cors_names_make(apr_pool_t *p, cors_names_kind_t kind);

/* Adds one value of the directive.  Returns NULL or the reason. */
const char *cors_names_add(cors_names_t *n, apr_pool_t *p, const char *value);

int cors_names_any(const cors_names_t *n);

/* Whether a request header set holds '*' or a name pattern ("X-Amz-*":
 * one '*', any run of name bytes): its preflight answer then lists the
 * requested names, never the set. */
int cors_names_wide(const cors_names_t *n);

/* Whether the set holds this name, compared as the kind requires.  For
 * request headers, "*" is not consulted: see cors_request_headers_check. */
int cors_names_has(const cors_names_t *n, const char *name, apr_size_t len);

/* The names joined with ", " as the directive listed them ("*" included),
 * or NULL when empty. */
const char *cors_names_joined(const cors_names_t *n);

/* The standard method a value is one edit away from ("PATH": "PATCH",
 * "DELET": "DELETE", "OPTION": "OPTIONS"), or NULL. */
const char *cors_method_near_miss(const char *method);

/* The safelisted methods: GET, HEAD, POST, byte for byte. */
int cors_method_is_safelisted(const char *method);

/* ------------------------------------------------------------------ */
/* Access-Control-Request-Headers                                      */
/* ------------------------------------------------------------------ */

typedef enum {
    CORS_HEADERS_ALLOWED = 0,
    CORS_HEADERS_MALFORMED, /* an element is not a token */
    CORS_HEADERS_DENIED,    /* a name is not allowed */
    CORS_HEADERS_TOO_MANY   /* more names (or name bytes) than the set
                               could allow, without "*" */
} cors_headers_result_t;

/* Checks every name of an Access-Control-Request-Headers value (which
 * httpd hands over with repeated header lines already joined by ", ")
 * against the allowed set, in one pass: elements are separated by commas,
 * optional white space around them and empty elements are skipped.  "*"
 * in the set allows every name except Authorization, which must be listed.
 * allowed may be NULL (nothing allowed).  On failure *bad and *bad_len point at
 * the offending element inside value.  *count receives the number of
 * names read.  Browsers list each name once, so without "*" a list with
 * more names than the set holds cannot be allowed: the name after the
 * set's count is refused once read (TOO_MANY when it is a listed name
 * again, DENIED otherwise), and reading stops past the bytes of the set's
 * names plus 128 (one name as long as a set may list: TOO_MANY), which
 * bounds the work on names by the policy, not by the request.  Separators,
 * white space and empty elements count toward neither bound: they are only
 * scanned (httpd's LimitRequestFieldSize bounds the value). */
cors_headers_result_t cors_request_headers_check(const cors_names_t *allowed,
                                                 const char *value,
                                                 apr_size_t *count,
                                                 const char **bad,
                                                 apr_size_t *bad_len);

/* The names of an Access-Control-Request-Headers value, lower-cased and
 * joined with ", " (the Access-Control-Allow-Headers answer of a policy
 * with "*": never "*" itself).  The value must have passed
 * cors_request_headers_check. */
const char *cors_request_headers_join(apr_pool_t *p, const char *value);

/* ------------------------------------------------------------------ */
/* Policy: the settings of one scope, merging, and the decision        */
/* ------------------------------------------------------------------ */

/* The settings of a scope, indexes of cors_policy_t's where[]. */
typedef enum {
    CORS_SET_ENGINE = 0,
    CORS_SET_ORIGINS, /* CORSAllowOrigin and CORSAllowOriginMatch */
    CORS_SET_CREDENTIALS,
    CORS_SET_METHODS,
    CORS_SET_ALLOW_HEADERS,
    CORS_SET_EXPOSE_HEADERS,
    CORS_SET_MAX_AGE,
    CORS_SET_PRIVATE_NETWORK,
    CORS_SET_WEBSOCKET,
    CORS_SET_DEBUG,
    CORS_SETTINGS
} cors_setting_t;

/* One scope's settings.  Pointers are NULL and flags CORS_UNSET when the
 * scope does not set them; merging picks, setting by setting, the nearest
 * scope that does.  All compiled parts are immutable after start-up, so a
 * merge copies pointers only. */
typedef struct {
    int set; /* any setting at all: merging skips a scope that has none */
    int engine;
    int credentials;
    int private_network;
    const char *max_age_str; /* CORSMaxAge, as sent */
    cors_origins_t *origins; /* both origin directives: one setting */
    cors_names_t *methods;
    cors_names_t *allow_headers;
    cors_names_t *expose_headers;
    int websocket; /* CORSWebSocketOrigin */
    /* "file:line" of the CORSAllowCredentials directive, named where a
     * merge meets '*' with it. */
    const char *credentials_where;
    /* "file:line" of the directive that set each setting (of the first
     * one, for a list), or NULL: merged with the setting it belongs to,
     * for the debug line and the cors-info handler. */
    const char *where[CORS_SETTINGS];
    /* The origin directives' values as written, each prefixed with 'o'
     * (CORSAllowOrigin), 'm' (CORSAllowOriginMatch) or 'p'
     * (CORSAllowOriginMap): merged with origins,
     * for the cors-info handler. */
    struct apr_array_header_t *origin_values;
    int debug; /* CORSDebug */
    /* A rule (<CORSRule>, or one CORSRule of a CORSRuleFile) is a policy
     * too: its name (the section's argument, S3's ID, or "file:line"), and
     * whether it came from an S3/HCP document and follows S3's semantics
     * (credentials for every origin it lists, never for "*"). */
    const char *name;
    int s3;
    /* The scope's rules, in order (cors_policy_t *), or NULL: a scope
     * without rules is one policy, as its own settings say.  A rule's
     * unset settings are the scope's (its defaults, merged from parents). */
    struct apr_array_header_t *rules;
    int rules_vary; /* some rule's answer depends on the Origin */
} cors_policy_t;

cors_policy_t *cors_policy_make(apr_pool_t *p);
cors_policy_t *cors_policy_merge(apr_pool_t *p, const cors_policy_t *base,
                                 const cors_policy_t *add);

/* Whether the scope has a policy: engine on and origins (a scope's origins
 * exist once a value was added to them), or rules.  Asked on every
 * request, so inline. */
static APR_INLINE int cors_policy_active(const cors_policy_t *pol)
{
    return pol && pol->engine != CORS_OFF && (pol->origins || pol->rules);
}

/* Where the policy (or one of its rules) answers "*" but a scope asked for
 * credentials: the module then omits Access-Control-Allow-Credentials (and
 * warns).  The "file:line" of that CORSAllowCredentials, or NULL. */
const char *cors_policy_credentials_conflict(const cors_policy_t *pol);

/* Appends a rule to a scope's rules, in configuration order.  Returns NULL,
 * or the reason it is refused (a rule without origins; origins outside
 * the rules of the scope). */
const char *cors_policy_add_rule(apr_pool_t *p, cors_policy_t *scope,
                                 cors_policy_t *rule);

/* A rule's settings as they apply: each one the rule leaves unset is the
 * scope's (merged) setting, and so is its "file:line". */
void cors_rule_resolve(const cors_policy_t *rule, const cors_policy_t *scope,
                       cors_policy_t *out);

/* Whether WebSocket upgrades from origins the policy refuses are refused:
 * CORSWebSocketOrigin On in the scope or in one of its rules. */
int cors_policy_websocket(const cors_policy_t *pol);

/* Parses a CORSMaxAge value (0-86400).  Returns NULL or the reason. */
const char *cors_parse_max_age(const char *value, int *seconds);

/* What the request brings: the values of its headers, NULL when absent. */
typedef struct {
    const char *method;
    const char *origin;
    const char *request_method;          /* Access-Control-Request-Method */
    const char *request_headers;         /* Access-Control-Request-Headers */
    const char *request_private_network; /* ...-Request-Private-Network */
} cors_request_t;

typedef enum {
    CORS_NOT_CORS = 0,      /* no Origin */
    CORS_ALLOWED,           /* actual request from an allowed origin */
    CORS_DISALLOWED,        /* actual request from another origin */
    CORS_PREFLIGHT_ALLOWED, /* answered 204 by the module */
    CORS_PREFLIGHT_REFUSED  /* answered 403 by the module */
} cors_verdict_t;

/* The verdict, why, and the response headers it calls for (NULL: omit). */
typedef struct {
    cors_verdict_t verdict;
    const char *reason; /* static text */
    const char *detail; /* what failed or matched, not terminated */
    apr_size_t detail_len;
    const char *allow_origin;
    const char *allow_credentials;
    const char *allow_methods;
    const char *allow_headers;
    const char *max_age;
    const char *allow_private_network;
    const char *expose_headers;
    int expose_from_response; /* "*" with credentials: list the response's */
    const char *vary;         /* request headers the answer depended on */
    /* CORSDebug On: a preflight refused past the origin check is answered
     * 204 with the fields above (origin, credentials, the policy's real
     * methods and headers), so that the browser names the failing check.
     * The verdict stays CORS_PREFLIGHT_REFUSED. */
    int debug_answer;
    /* In a scope with rules: the name of the rule that decided (refused:
     * the first whose origins matched), or NULL. */
    const char *rule;
} cors_decision_t;

/* The response fields a decision sets, in the order they are written: the
 * name, where the value is in cors_decision_t (NULL: not sent), and the
 * syntax (a list; of names compared case-insensitively), so that the glue
 * writes, compares and shows them from one table.  A from_response field
 * holds, when the decision says expose_from_response, the response's own
 * field names instead, which only the glue knows. */
typedef struct {
    const char *name;
    apr_size_t offset;
    int list;
    int nocase;
    int from_response;
} cors_field_t;

/* Every field a decision sets; the last entry's name is NULL. */
extern const cors_field_t cors_fields[];

#define CORS_FIELD_VALUE(d, f)                                                 \
    (*(const char *const *)((const char *)(d) + (f)->offset))

/* The decision for a request without Origin where the policy lists
 * origins (not "*"): not CORS, and the answer varies on Origin. */
extern const cors_decision_t cors_not_cors;

/* Decides a request in a scope whose policy is active.  The decision is
 * allocated from pool - except for a request without Origin that the
 * policy answers like every other (cors_not_cors, shared: such requests
 * allocate nothing).  pool also builds a header that must echo the
 * request, and runs regular expressions. */
const cors_decision_t *cors_decide(const cors_policy_t *pol,
                                   const cors_request_t *req, apr_pool_t *pool);

/* cors_decide(), the decision written into space (when not NULL) rather
 * than allocated: a caller that keeps it with state of its own allocates
 * once.  The decision returned may still be a shared one, or another
 * allocated from pool (in a scope with rules, the first refusal is kept
 * while later rules are tried). */
const cors_decision_t *cors_decide_in(const cors_policy_t *pol,
                                      const cors_request_t *req,
                                      apr_pool_t *pool, cors_decision_t *space);

/* What a preflight's answer depends on: caches must key on it. */
#define CORS_VARY_PREFLIGHT                                                    \
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

/* The name of a verdict, as logged and as the request note "cors". */
#define CORS_VERDICTS (CORS_PREFLIGHT_REFUSED + 1)
extern const char *const cors_verdict_names[CORS_VERDICTS];
#define cors_verdict_name(v) (cors_verdict_names[(v)])

/* ------------------------------------------------------------------ */
/* S3/HCP CORSConfiguration documents                                  */
/* ------------------------------------------------------------------ */

/* S3's limits: a CORS configuration of at most 64 KiB and 100 rules;
 * MaxAgeSeconds above a day is accepted and sent as a day. */
#define CORS_S3_DOC_MAX 65536
#define CORS_S3_RULES_MAX 100
#define CORS_S3_MAX_AGE_CAP 86400

/* One CORSRule element of a document, its values as written (trimmed of
 * white space) and checked; every string and array is allocated from the
 * pool given to cors_s3_parse. */
typedef struct {
    const char *id;              /* <ID>, or NULL (absent or empty) */
    int line;                    /* line of its <CORSRule> start tag, or 0 */
    apr_array_header_t *origins; /* const char *: AllowedOrigin, each
                                    passing cors_s3_origin_check */
    apr_array_header_t *methods; /* const char *: AllowedMethod, of
                                    GET PUT POST DELETE HEAD */
    apr_array_header_t *allowed_headers; /* const char *: AllowedHeader, a
                                            token with at most one '*' */
    apr_array_header_t *expose_headers;  /* const char *: ExposeHeader */
    int max_age; /* MaxAgeSeconds capped at CORS_S3_MAX_AGE_CAP, or -1 */
} cors_s3_rule_t;

/* Parses a CORSConfiguration document (the body of S3's PutBucketCors):
 * the root element CORSConfiguration in any namespace or none, holding
 * 1 to CORS_S3_RULES_MAX CORSRule elements of ID, AllowedOrigin,
 * AllowedMethod, AllowedHeader, ExposeHeader and MaxAgeSeconds, each rule
 * with at least one origin and one method.  Returns NULL and *rules (an
 * array of cors_s3_rule_t, in document order), or the reason (allocated
 * from p) and *line: the line the reason is about (of the syntax error,
 * of the element with the bad value, of the rule that lacks something),
 * or 0 when it is about the whole document.  Refused besides: anything
 * over CORS_S3_DOC_MAX bytes, NUL bytes, a DOCTYPE (and with it entity
 * declarations: no entity expansion can grow the work), unknown elements,
 * text between elements.  The parse tree lives in a subpool of p that is
 * destroyed before returning. */
const char *cors_s3_parse(apr_pool_t *p, const char *doc, apr_size_t len,
                          apr_array_header_t **rules, int *line);

/* Reads a file (at most CORS_S3_DOC_MAX bytes) and parses it as above.  A
 * file that is missing, unreadable or too large is a reason too (line
 * 0). */
const char *cors_s3_read(apr_pool_t *p, const char *path,
                         apr_array_header_t **rules, int *line);

/* Checks one AllowedOrigin value: "*", an origin (scheme://host[:port],
 * letters of either case, no path), or a value with exactly one '*' that
 * matches at least one such origin ('*' matching any run of bytes, as S3
 * does: a '*' standing for the subdomain of http://example.com, for the
 * end of a label after "https://app-", for the scheme and subdomain
 * before ".example.com", or for the port of http://localhost).  Returns NULL or
 * the reason. *warning (when warning is not NULL) receives NULL, or for a '*'
 * that may match across DNS labels, across the scheme or over a whole public
 * suffix, a text that names the value, an origin it also matches and the
 * CORSAllowOrigin (or CORSAllowOriginMatch) form to prefer.  Match the
 * values case-insensitively (cors_wildcard_match with nocase): S3 keeps
 * them as written, browsers send lower case. */
const char *cors_s3_origin_check(apr_pool_t *p, const char *value,
                                 const char **warning);

/* An imported rule as a rule of the scope (cors_policy_add_rule), with
 * S3's semantics.  where ("file:line") names it when the document gives no
 * ID.  Start-up warnings (origin wildcards that cross labels, values that
 * never match) are appended to warnings (const char *).  Returns NULL, or
 * the reason a value is refused. */
const char *cors_s3_rule_policy(apr_pool_t *p, const cors_s3_rule_t *r,
                                const char *where, apr_array_header_t *warnings,
                                cors_policy_t **out);

#endif /* CORS_ENGINE_H */
