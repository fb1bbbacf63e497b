/*
 * cors_chars.c: byte classes for the parsers that read attacker-controlled
 * header values on every request.  One table lookup per byte instead of a
 * chain of comparisons (or a locale-aware tolower() call) keeps the cost
 * linear with a small constant.
 */
#include "cors_engine.h"

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

unsigned int cors_hash(const char *key, apr_ssize_t *klen)
{
    /* FNV-1a: a few instructions a byte, against APR's default hash's
     * dozen.  Only the configuration inserts keys, so an attacker cannot
     * choose colliding ones; requests only look up. */
    const unsigned char *k = (const unsigned char *)key;
    unsigned int h = 2166136261u;
    if (*klen == APR_HASH_KEY_STRING) {
        const unsigned char *start = k;
        for (; *k; k++) {
            h = (h ^ *k) * 16777619u;
        }
        *klen = k - start;
    } else {
        const unsigned char *end = k + *klen;
        for (; k < end; k++) {
            h = (h ^ *k) * 16777619u;
        }
    }
    return h;
}

apr_hash_t *cors_hash_make(apr_pool_t *p)
{
    return apr_hash_make_custom(p, cors_hash);
}
