/*
 * cors_names.c: sets of methods and header names, and the one-pass check
 * of an Access-Control-Request-Headers value against them.
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

#include "cors_engine.h"

/* Longest header name kept in a set; longer names are refused at
 * configuration time, so a longer request name is never allowed and can be
 * refused without a lookup. */
#define CORS_NAME_MAX 128

/* An open-addressing table of the names, built at configuration time and
 * read-only afterwards: a request's name is hashed while it is read, so a
 * lookup is one probe and one comparison. */
typedef struct {
    unsigned int hash;
    unsigned int len;
    const char *name; /* header names lower-cased; methods as written */
} cors_slot_t;

struct cors_names {
    cors_names_kind_t kind;
    int any;
    unsigned int count;
    apr_size_t name_bytes; /* the lengths of the names, summed */
    unsigned int mask;     /* slots - 1, slots a power of two */
    cors_slot_t *slots;
    /* The values joined with ", ", in a buffer that doubles when full, so
     * that N values cost O(their bytes) to join, not O(N^2). */
    char *joined;
    apr_size_t joined_len;
    apr_size_t joined_size;
};

#define FNV_OFFSET 2166136261u
#define FNV_STEP(h, c) (((h) ^ (unsigned char)(c)) * 16777619u)

/* Finds a name of len bytes whose hash is h; fold lower-cases the
 * request's bytes (header names) or not (methods). */
static const cors_slot_t *slot_find(const cors_names_t *n, unsigned int h,
                                    const char *name, apr_size_t len, int fold)
{
    unsigned int i;
    if (!n->slots) {
        return NULL;
    }
    for (i = h & n->mask; n->slots[i].name; i = (i + 1) & n->mask) {
        const cors_slot_t *s = &n->slots[i];
        if (s->hash == h && s->len == len) {
            /* Browsers send names lower-case: try that first. */
            if (!memcmp(name, s->name, len) ||
                (fold && !strncasecmp(name, s->name, len))) {
                return s;
            }
        }
    }
    return NULL;
}

static unsigned int name_hash(const char *name, apr_size_t len, int fold)
{
    unsigned int h = FNV_OFFSET;
    apr_size_t i;
    for (i = 0; i < len; i++) {
        h = FNV_STEP(h, fold ? CORS_LOWER(name[i]) : name[i]);
    }
    return h;
}

static void slot_insert(cors_names_t *n, apr_pool_t *p, const char *name)
{
    apr_size_t len = strlen(name);
    unsigned int h = name_hash(name, len, 0), i;
    if (slot_find(n, h, name, len, 0)) {
        return;
    }
    if (2 * (n->count + 1) > n->mask + 1 || !n->slots) {
        /* Grow to keep the table at most half full. */
        unsigned int size = n->slots ? 2 * (n->mask + 1) : 8;
        cors_slot_t *old = n->slots;
        unsigned int old_size = old ? n->mask + 1 : 0, j;
        n->slots = apr_pcalloc(p, size * sizeof(*n->slots));
        n->mask = size - 1;
        for (j = 0; j < old_size; j++) {
            if (old[j].name) {
                for (i = old[j].hash & n->mask; n->slots[i].name;
                     i = (i + 1) & n->mask) {
                }
                n->slots[i] = old[j];
            }
        }
    }
    for (i = h & n->mask; n->slots[i].name; i = (i + 1) & n->mask) {
    }
    n->slots[i].hash = h;
    n->slots[i].len = (unsigned int)len;
    n->slots[i].name = name;
    n->count++;
    n->name_bytes += len;
}

int cors_is_tchar(unsigned char c)
{
    return CORS_IS(c, CORS_C_TCHAR) != 0;
}

int cors_is_token(const char *s, apr_size_t len)
{
    apr_size_t i;
    for (i = 0; i < len; i++) {
        if (!CORS_IS(s[i], CORS_C_TCHAR)) {
            return 0;
        }
    }
    return len > 0;
}

int cors_method_is_safelisted(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "POST");
}

cors_names_t *cors_names_make(apr_pool_t *p, cors_names_kind_t kind)
{
    cors_names_t *n = apr_pcalloc(p, sizeof(*n));
    n->kind = kind;
    return n;
}

int cors_names_any(const cors_names_t *n)
{
    return n->any;
}

const char *cors_names_joined(const cors_names_t *n)
{
    return n->joined;
}

static void joined_append(cors_names_t *n, apr_pool_t *p, const char *value)
{
    apr_size_t len = strlen(value);
    apr_size_t sep = n->joined_len ? 2 : 0;
    if (n->joined_len + sep + len + 1 > n->joined_size) {
        apr_size_t size = n->joined_size ? 2 * n->joined_size : 64;
        char *buf;
        while (size < n->joined_len + sep + len + 1) {
            size *= 2;
        }
        buf = apr_palloc(p, size);
        if (n->joined_len) {
            memcpy(buf, n->joined, n->joined_len);
        }
        n->joined = buf;
        n->joined_size = size;
    }
    if (sep) {
        memcpy(n->joined + n->joined_len, ", ", 2);
        n->joined_len += 2;
    }
    memcpy(n->joined + n->joined_len, value, len + 1);
    n->joined_len += len;
}

/* The Fetch standard's forbidden request-header names: a script can never
 * set them, so allowing them has no effect and suggests a misunderstanding
 * (credentials travel as cookies and Authorization, not as these). */
static const char *forbidden_request_header(const char *lower)
{
    static const char *const names[] = {"accept-charset",
                                        "accept-encoding",
                                        "access-control-request-headers",
                                        "access-control-request-method",
                                        "connection",
                                        "content-length",
                                        "cookie",
                                        "cookie2",
                                        "date",
                                        "dnt",
                                        "expect",
                                        "host",
                                        "keep-alive",
                                        "origin",
                                        "referer",
                                        "set-cookie",
                                        "te",
                                        "trailer",
                                        "transfer-encoding",
                                        "upgrade",
                                        "via",
                                        NULL};
    int i;
    for (i = 0; names[i]; i++) {
        if (!strcmp(lower, names[i])) {
            return "is a forbidden request-header name: browsers never let "
                   "a page set it, so allowing it has no effect";
        }
    }
    if (!strncmp(lower, "proxy-", 6) || !strncmp(lower, "sec-", 4)) {
        return "starts with a forbidden prefix (Proxy-, Sec-): browsers "
               "never let a page set it, so allowing it has no effect";
    }
    return NULL;
}

static const char *add_method(cors_names_t *n, apr_pool_t *p, const char *v)
{
    static const char *const standard[] = {"DELETE", "GET", "HEAD", "OPTIONS",
                                           "POST",   "PUT", NULL};
    int i;
    if (!strcasecmp(v, "CONNECT") || !strcasecmp(v, "TRACE") ||
        !strcasecmp(v, "TRACK")) {
        return "is a forbidden method: browsers refuse to send it";
    }
    for (i = 0; standard[i]; i++) {
        if (!strcasecmp(v, standard[i]) && strcmp(v, standard[i])) {
            return apr_psprintf(p,
                                "methods are case-sensitive and browsers "
                                "send this one as '%s': write it that way",
                                standard[i]);
        }
    }
    slot_insert(n, p, apr_pstrdup(p, v));
    return NULL;
}

const char *cors_names_add(cors_names_t *n, apr_pool_t *p, const char *value)
{
    const char *why = NULL;
    char *lower, *c;

    if (!strcmp(value, "*")) {
        if (n->kind != CORS_NAMES_REQUEST_HEADERS && n->count) {
            return "'*' stands alone: it cannot be mixed with names";
        }
        n->any = 1;
    } else if (n->kind != CORS_NAMES_REQUEST_HEADERS && n->any) {
        return "'*' stands alone: it cannot be mixed with names";
    } else if (!cors_is_token(value, strlen(value))) {
        return n->kind == CORS_NAMES_METHODS
                   ? "not a method: a method is an HTTP token"
                   : "not a header name: a header name is an HTTP token";
    } else if (strlen(value) > CORS_NAME_MAX) {
        return "longer than any header a browser would send";
    } else if (n->kind == CORS_NAMES_METHODS) {
        why = add_method(n, p, value);
    } else {
        lower = apr_pstrdup(p, value);
        for (c = lower; *c; c++) {
            *c = apr_tolower(*c);
        }
        if (n->kind == CORS_NAMES_REQUEST_HEADERS) {
            why = forbidden_request_header(lower);
        } else if (!strcmp(lower, "set-cookie") ||
                   !strcmp(lower, "set-cookie2")) {
            why = "is a forbidden response-header name: browsers never "
                  "expose it to a page";
        }
        if (!why) {
            slot_insert(n, p, lower);
        }
    }
    if (why) {
        return why;
    }
    joined_append(n, p, value);
    return NULL;
}

int cors_names_has(const cors_names_t *n, const char *name, apr_size_t len)
{
    int fold = n->kind != CORS_NAMES_METHODS;
    return slot_find(n, name_hash(name, len, fold), name, len, fold) != NULL;
}

cors_headers_result_t cors_request_headers_check(const cors_names_t *allowed,
                                                 const char *value,
                                                 apr_size_t *count,
                                                 const char **bad,
                                                 apr_size_t *bad_len)
{
    /* One pass, every byte read once: each name is checked as a token and
     * hashed as it is read, then looked up.  Nothing is allocated, whatever
     * the value holds.  Separators and white space are only scanned, a few
     * instructions a byte (httpd's LimitRequestFieldSize bounds them); the
     * names are what costs, and without "*" the policy bounds them: no more
     * names than it lists (the next one is refused once read), and no more
     * name bytes than its names hold plus one name as long as a set may
     * list (so that an unlisted name is reported whole). */
    const char *p = value;
    apr_size_t n = 0;
    cors_headers_result_t rc = CORS_HEADERS_ALLOWED;
    const char *start = NULL;
    apr_size_t len = 0;
    apr_size_t room = allowed && allowed->any
                          ? (apr_size_t)-1
                          : (allowed ? allowed->name_bytes : 0) + CORS_NAME_MAX;

    for (;;) {
        unsigned int h = FNV_OFFSET;
        while (CORS_IS(*p, CORS_C_LISTSEP)) {
            p++;
        }
        if (!*p) {
            break;
        }
        start = p;
        for (;; p++) {
            unsigned char c = (unsigned char)*p;
            unsigned char k = cors_char_class[c];
            if (!(k & CORS_C_TCHAR) || (apr_size_t)(p - start) == room) {
                break;
            }
            h = FNV_STEP(h, c | (k & CORS_C_UPPER)); /* lower-cased */
        }
        len = (apr_size_t)(p - start);
        if (len == room && CORS_IS(*p, CORS_C_TCHAR)) {
            /* More name bytes than the policy could allow. */
            rc = CORS_HEADERS_TOO_MANY;
            break;
        }
        room -= len;
        while (CORS_IS(*p, CORS_C_OWS)) {
            p++;
        }
        n++;
        if (len == 0 || (*p && *p != ',')) {
            /* A byte that is neither a token's, white space nor a comma. */
            while (*p && *p != ',') {
                p++;
            }
            len = (apr_size_t)(p - start);
            rc = CORS_HEADERS_MALFORMED;
            break;
        }
        if (!allowed) {
            rc = CORS_HEADERS_DENIED;
            break;
        }
        if (slot_find(allowed, h, start, len, 1)) {
            if (n > allowed->count && !allowed->any) {
                /* Listed, but one name too many: a repetition. */
                rc = CORS_HEADERS_TOO_MANY;
                break;
            }
            continue;
        }
        /* "*" covers every name but Authorization, which must be listed
         * (the Fetch standard's CORS non-wildcard request-header name). */
        if (allowed->any &&
            !(len == 13 && !strncasecmp(start, "authorization", 13))) {
            continue;
        }
        rc = CORS_HEADERS_DENIED;
        break;
    }
    if (count) {
        *count = n;
    }
    if (bad) {
        *bad = rc == CORS_HEADERS_ALLOWED ? NULL : start;
    }
    if (bad_len) {
        *bad_len = rc == CORS_HEADERS_ALLOWED ? 0 : len;
    }
    return rc;
}

const char *cors_request_headers_join(apr_pool_t *p, const char *value)
{
    /* Each element grows by at most ", " while separators and white space
     * shrink: twice the input bounds the output. */
    char *out = apr_palloc(p, 2 * strlen(value) + 1);
    apr_size_t used = 0;
    const char *v = value;
    while (*v) {
        while (CORS_IS(*v, CORS_C_OWS) || *v == ',') {
            v++;
        }
        if (!*v) {
            break;
        }
        if (used) {
            out[used++] = ',';
            out[used++] = ' ';
        }
        while (*v && *v != ',' && !CORS_IS(*v, CORS_C_OWS)) {
            out[used++] = CORS_LOWER(*v);
            v++;
        }
        while (CORS_IS(*v, CORS_C_OWS)) {
            v++;
        }
    }
    out[used] = '\0';
    return out;
}
