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
    ['A' ... 'Z'] = CORS_C_TCHAR,
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
    [' '] = CORS_C_OWS,
    ['\t'] = CORS_C_OWS,
};
