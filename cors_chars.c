/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_chars.c: byte classes for the parsers that read attacker-controlled
 * header values on every request, and the hash function of the engine's
 * tables.  One table lookup per byte instead of a chain of comparisons (or
 * a locale-aware tolower() call) keeps the cost linear with a small
 * constant.
 */
#include <string.h>

#include <apr_cstr.h>

#include "cors_private.h"

#define LETTER (CORS_C_TCHAR | CORS_C_SCHEME | CORS_C_HOST)

const unsigned char cors_char_class[256] = {
    ['a' ... 'f'] = LETTER | CORS_C_IPV6,
    ['g' ... 'z'] = LETTER,
    ['A' ... 'Z'] = CORS_C_TCHAR | CORS_C_UPPER,
    ['0' ... '9'] = LETTER | CORS_C_DIGIT | CORS_C_IPV6,
    ['+'] = CORS_C_TCHAR | CORS_C_SCHEME,
    ['.'] = CORS_C_TCHAR | CORS_C_SCHEME | CORS_C_IPV6,
    ['-'] = CORS_C_TCHAR | CORS_C_SCHEME | CORS_C_HOST,
    ['_'] = CORS_C_TCHAR | CORS_C_HOST,
    [':'] = CORS_C_IPV6,
    ['!'] = CORS_C_TCHAR,
    ['#'] = CORS_C_TCHAR,
    ['$'] = CORS_C_TCHAR,
    ['%'] = CORS_C_TCHAR,
    ['&'] = CORS_C_TCHAR,
    ['\''] = CORS_C_TCHAR,
    ['*'] = CORS_C_TCHAR,
    ['^'] = CORS_C_TCHAR,
    ['`'] = CORS_C_TCHAR,
    ['|'] = CORS_C_TCHAR,
    ['~'] = CORS_C_TCHAR,
    [','] = CORS_C_LISTSEP,
    [' '] = CORS_C_OWS | CORS_C_LISTSEP,
    ['\t'] = CORS_C_OWS | CORS_C_LISTSEP,
};

#define ROTL64(x, r) (((x) << (r)) | ((x) >> (64 - (r))))
#define MIX 0x517cc1b727220a95ull

unsigned int cors_hash(const char *key, apr_ssize_t *klen)
{
    /* Eight bytes a step (FxHash's rotate, xor, multiply), then a fold so
     * that the low bits apr_hash keeps depend on every byte: ~60
     * instructions for a 30-byte origin where byte-wise FNV-1a took ~170
     * and APR's default hash ~190 (callgrind, allowed GET).  Only the
     * configuration inserts keys, so a client cannot choose colliding
     * ones; requests only look up. */
    const unsigned char *k = (const unsigned char *)key;
    apr_size_t len =
        *klen == APR_HASH_KEY_STRING ? strlen(key) : (apr_size_t)*klen;
    apr_uint64_t h = len, w;

    *klen = (apr_ssize_t)len;
    if (len >= 8) {
        const unsigned char *last = k + len - 8;
        for (; k < last; k += 8) {
            memcpy(&w, k, 8);
            h = (ROTL64(h, 5) ^ w) * MIX;
        }
        /* The last eight bytes, overlapping the words already mixed when
         * len is not a multiple of eight: one step, not a byte loop. */
        memcpy(&w, last, 8);
        h = (ROTL64(h, 5) ^ w) * MIX;
    } else if (len) {
        w = 0;
        while (len--) {
            w = w << 8 | k[len];
        }
        h = (ROTL64(h, 5) ^ w) * MIX;
    }
    h ^= h >> 32;
    h *= MIX;
    return (unsigned int)(h ^ h >> 29);
}

apr_hash_t *cors_hash_make(apr_pool_t *p)
{
    return apr_hash_make_custom(p, cors_hash);
}

char *cors_lower_dup(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i;
    for (i = 0; i < len; i++) {
        out[i] = CORS_LOWER(s[i]);
    }
    out[len] = '\0';
    return out;
}

int cors_is_authorization(const char *name, apr_size_t len)
{
    return len == 13 && !apr_cstr_casecmpn(name, "authorization", 13);
}

static int bytes_equal(const char *a, const char *b, apr_size_t len, int nocase)
{
    apr_size_t i;
    if (!nocase) {
        return !memcmp(a, b, len);
    }
    for (i = 0; i < len; i++) {
        if (CORS_LOWER(a[i]) != CORS_LOWER(b[i])) {
            return 0;
        }
    }
    return 1;
}

int cors_wildcard_match(const char *pattern, apr_size_t plen, const char *s,
                        apr_size_t slen, int nocase)
{
    const char *star = memchr(pattern, '*', plen);
    apr_size_t p = 0, i = 0, back = (apr_size_t)-1, mark = 0;

    if (!star) {
        return plen == slen && bytes_equal(pattern, s, slen, nocase);
    }
    if (!memchr(star + 1, '*', plen - (apr_size_t)(star - pattern) - 1)) {
        /* One '*' (every pattern S3 and the directives accept): a prefix
         * and a suffix, compared once each. */
        apr_size_t pre = (apr_size_t)(star - pattern), post = plen - pre - 1;
        return slen >= pre + post && bytes_equal(pattern, s, pre, nocase) &&
               bytes_equal(star + 1, s + slen - post, post, nocase);
    }
    /* Greedy with one backtrack point: a '*' first matches nothing; on a
     * mismatch the last '*' takes one more byte.  Earlier stars never
     * need to retry (any run the last one skips, it could have taken), so
     * the work is at most plen * slen steps, with no recursion. */
    while (i < slen) {
        if (p < plen && pattern[p] == '*') {
            back = p++;
            mark = i;
        } else if (p < plen && bytes_equal(pattern + p, s + i, 1, nocase)) {
            p++;
            i++;
        } else if (back != (apr_size_t)-1) {
            p = back + 1;
            i = ++mark;
        } else {
            return 0;
        }
    }
    while (p < plen && pattern[p] == '*') {
        p++;
    }
    return p == plen;
}
