/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wildcard: cors_wildcard_match, the '*' matcher of S3's
 * AllowedOrigin and AllowedHeader patterns, against two references.
 *
 * Input: one flag byte (bit 0: case-insensitive), then the pattern, a
 * '\n', and the value (bytes of any kind, NUL included: the operands are
 * given by length).
 *
 * Invariants (abort on violation):
 *  - the engine's answer is ref_wildcard's (ref.h: dynamic programming
 *    over prefixes, nothing shared with the engine's greedy matcher);
 *  - where neither operand holds a NUL byte and the pattern none of
 *    fnmatch(3)'s other specials ('?', '[', '\\'), it is also fnmatch's
 *    (without FNM_PATHNAME or FNM_PERIOD '/' and '.' are ordinary bytes;
 *    FNM_CASEFOLD for the case-insensitive runs, ASCII only in the C
 *    locale, and then only where no byte is above 0x7f);
 *  - a pattern without '*' matches exactly itself (case-sensitively);
 *  - a pattern matches itself with every '*' dropped.
 */
#include "cors_private.h"
#include "ref.h"

#include <fnmatch.h>
#include <stdint.h>

#define MAX_PATTERN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *nl, *pat, *s;
    size_t plen, slen, i;
    int nocase, got, want, plain = 1, high = 0;

    if (size < 1 || size > MAX_PATTERN + REF_WILD_MAX + 2)
        return 0;
    nocase = in[0] & 1;
    in++, size--;
    nl = memchr(in, '\n', size);
    if (!nl)
        return 0;
    pat = in;
    plen = (size_t)(nl - in);
    s = nl + 1;
    slen = size - plen - 1;
    if (plen > MAX_PATTERN || slen > REF_WILD_MAX)
        return 0;

    got = cors_wildcard_match(pat, plen, s, slen, nocase);
    REF_CHECK(got == 0 || got == 1, "answer %d is not 0 or 1", got);
    want = ref_wildcard(pat, plen, s, slen, nocase);
    REF_CHECK(got == want,
              "cors_wildcard_match(\"%s\", \"%s\", nocase %d) = %d, the "
              "reference says %d",
              ref_show(pat, plen), ref_show(s, slen), nocase, got, want);

    for (i = 0; i < plen; i++) {
        if (!pat[i] || pat[i] == '?' || pat[i] == '[' || pat[i] == '\\')
            plain = 0;
        high |= (unsigned char)pat[i] > 0x7f;
    }
    for (i = 0; i < slen; i++) {
        if (!s[i])
            plain = 0;
        high |= (unsigned char)s[i] > 0x7f;
    }
    if (plain && !(nocase && high)) {
        char pbuf[MAX_PATTERN + 1], sbuf[REF_WILD_MAX + 1];
        int fn;
        memcpy(pbuf, pat, plen);
        pbuf[plen] = 0;
        memcpy(sbuf, s, slen);
        sbuf[slen] = 0;
        fn = fnmatch(pbuf, sbuf, nocase ? FNM_CASEFOLD : 0) == 0;
        REF_CHECK(got == fn,
                  "cors_wildcard_match(\"%s\", \"%s\", nocase %d) = %d, "
                  "fnmatch says %d",
                  ref_show(pat, plen), ref_show(s, slen), nocase, got, fn);
    }
    /* Without '*', a pattern matches exactly itself. */
    if (!memchr(pat, '*', plen) && !nocase)
        REF_CHECK(got == (plen == slen && !memcmp(pat, s, plen)),
                  "pattern \"%s\" without '*' and \"%s\": %d",
                  ref_show(pat, plen), ref_show(s, slen), got);
    /* The pattern with every '*' dropped is one of its matches. */
    {
        char drop[MAX_PATTERN];
        size_t n = 0;
        for (i = 0; i < plen; i++)
            if (pat[i] != '*')
                drop[n++] = pat[i];
        REF_CHECK(cors_wildcard_match(pat, plen, drop, n, nocase),
                  "pattern \"%s\" does not match itself without its '*'",
                  ref_show(pat, plen));
    }
    return 0;
}
