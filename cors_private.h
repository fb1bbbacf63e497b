/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_private.h: what the engine's files share and nothing else sees -
 * byte classes for the parsers, the hash function of the engine's tables,
 * token checks.  The glue includes cors_engine.h only.
 */
#ifndef CORS_PRIVATE_H
#define CORS_PRIVATE_H

#include "cors_engine.h"

/* Byte classes (cors_chars.c): one table lookup per byte instead of a
 * chain of comparisons, in parsers that read attacker-controlled values. */
#define CORS_C_TCHAR 0x01  /* RFC 9110 token character */
#define CORS_C_SCHEME 0x02 /* lower-case scheme character */
#define CORS_C_HOST 0x04   /* lower-case DNS label character */
#define CORS_C_DIGIT 0x08
#define CORS_C_IPV6 0x10    /* inside [...]: hex digit, ':' or '.' */
#define CORS_C_UPPER 0x20   /* 'A'-'Z': the bit that lower-cases them */
#define CORS_C_OWS 0x40     /* space or tab */
#define CORS_C_LISTSEP 0x80 /* space, tab or comma: between list elements */

extern const unsigned char cors_char_class[256];

#define CORS_IS(c, cls) (cors_char_class[(unsigned char)(c)] & (cls))
/* ASCII lower-casing, without the locale lookups of tolower(). */
#define CORS_LOWER(c) ((char)((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c)))

/* An Origin's length as the engine measures it, once per request: nothing
 * past CORS_ORIGIN_MAX + 1 bytes is read, and a longer one is never
 * allowed. */
static APR_INLINE apr_size_t cors_origin_len(const char *origin)
{
    return strnlen(origin, CORS_ORIGIN_MAX + 1);
}

/* cors_origins_match_listed() for an origin whose length the caller has
 * measured: len is cors_origin_len(origin). */
cors_origin_result_t cors_origins_lookup(const cors_origins_t *o,
                                         const char *origin, apr_size_t len,
                                         apr_pool_t *scratch,
                                         const char **rule);

/* Whether len bytes (at least one) are all token characters. */
int cors_is_token(const char *s, apr_size_t len);

/* Longest header name a name set holds; longer ones are refused at
 * configuration time, so a longer request name is never listed. */
#define CORS_NAME_MAX 128

/* The hash function of every table of the engine (origins, methods,
 * header names), for apr_hash_make_custom. */
unsigned int cors_hash(const char *key, apr_ssize_t *klen);
apr_hash_t *cors_hash_make(apr_pool_t *p);

/* A copy of len bytes of s, ASCII letters lower-cased (configuration values
 * are compared as browsers send them). */
char *cors_lower_dup(apr_pool_t *p, const char *s, apr_size_t len);

/* Whether a header name is Authorization, in any case: the Fetch
 * standard's one name "*" never covers. */
int cors_is_authorization(const char *name, apr_size_t len);

/* Whether s matches pattern, where each '*' stands for any run of bytes
 * (none included) and every other byte for itself, ASCII case-insensitively
 * when nocase is non-zero: S3's AllowedOrigin and AllowedHeader, and
 * CORSAllowHeaders name patterns.  At most plen * slen steps. */
int cors_wildcard_match(const char *pattern, apr_size_t plen, const char *s,
                        apr_size_t slen, int nocase);

#endif /* CORS_PRIVATE_H */
