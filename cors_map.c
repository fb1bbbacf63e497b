/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_map.c: origin maps (CORSAllowOriginMap) - origins that live outside
 * the configuration and change while the server runs: a text file, a DBM
 * file, or a Redis server shared by a fleet.
 *
 * Versions.  A txt: or dbm: map holds one version at a time: the origins
 * of a text file compiled into the same tables as CORSAllowOrigin
 * (cors_origins_t), or an open DBM handle.  cors_map_refresh() (called by
 * one maintenance thread per process, never by a request) notices a
 * changed file, builds the new version aside in a pool of its own and
 * swaps it in with one atomic exchange.  A request never waits for it.
 *
 * Freeing the old version.  A lookup counts itself in the map's readers
 * (apr_atomic_inc32) before it reads the current version and leaves
 * (apr_atomic_dec32) when it is done with it.  After the exchange, the
 * maintenance thread frees the old version only once it has seen readers
 * at zero: a lookup that read the old pointer incremented readers before
 * the exchange and has not decremented it yet, so a zero seen after the
 * exchange proves that no lookup still holds the old version (new lookups
 * read the new one).  A per-version reference count would need the same
 * proof for the window between reading the pointer and counting the
 * reference.  Lookups last microseconds, so readers is zero almost always;
 * should it not be seen at zero for a while (sustained load on many
 * threads), the old version waits on a short retired list and the next
 * refresh tries again: memory stays bounded by the versions retired within
 * one interval.
 *
 * Redis.  APR-util's apr_redis counts its socket timeouts in whole
 * seconds and connects with a fixed one-second timeout: it cannot bound a
 * lookup to CORSMapTimeout's 50 milliseconds.  The one command needed,
 * EXISTS, is a few lines of RESP over apr_socket: one connection per
 * request thread (a slot taken with a compare-and-swap), connect, send and
 * receive bounded together by the timeout.  After a failure the map is
 * "down" for CORS_MAP_RETRY: lookups that the cache cannot answer are
 * refused at once (fail closed) instead of each waiting for a timeout;
 * then one lookup tries again, so a Redis that comes back is used without
 * a restart.
 *
 * The answer cache.  Keyed by the Origin a client chose, so it must not be
 * an apr_hash (unbounded, and its collisions can be chosen): a fixed table
 * of CORS_MAP_CACHE_SLOTS slots, direct-mapped by SipHash-2-4 under a key
 * drawn at random in each process, so that a client can neither grow it nor
 * aim at one slot; at worst a flood of new origins evicts answers, which
 * costs Redis lookups, never a wrong one (a slot holds the whole origin
 * and is compared byte for byte).  Each slot is guarded by a sequence
 * counter (a seqlock): a writer makes it odd while it writes, a reader
 * that sees it odd or changed ignores the slot.
 */
#include <apr_atomic.h>
#include <apr_dbm.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <string.h>

#include "cors_private.h"

/* Lookups refused at once after a Redis failure, before one tries again. */
#define CORS_MAP_RETRY apr_time_from_sec(1)
/* The answer cache of a redis: map, in each process. */
#define CORS_MAP_CACHE_SLOTS 1024
/* Longest origin the cache keeps; longer ones are asked every time. */
#define CORS_MAP_CACHE_ORIGIN 120
/* Longest line of a txt: file (comments included). */
#define CORS_MAP_LINE_MAX 4096
/* Longest Redis key prefix. */
#define CORS_MAP_PREFIX_MAX 256
/* How long a refresh waits to see no lookup in progress, in steps of 1 ms,
 * before it leaves the old version on the retired list. */
#define CORS_MAP_DRAIN_STEPS 200

typedef enum { MAP_TXT, MAP_DBM, MAP_REDIS } map_type_t;

/* What identifies a version of a file: a change of any of these (an atomic
 * rename changes the inode) is a new version.  A DBM may be two files. */
typedef struct {
    int present;
    apr_time_t mtime[2];
    apr_off_t size[2];
    apr_ino_t inode[2];
    apr_dev_t dev[2];
} file_id_t;

typedef struct {
    apr_pool_t *pool; /* the version's own, or NULL: owned by the config */
    cors_origins_t *origins; /* txt: */
    int count;               /* txt: values */
    apr_dbm_t *dbm;          /* dbm: */
    /* An APR DBM handle is not thread-safe (it keeps the page it read). */
    apr_thread_mutex_t *lock;
    file_id_t id;
} version_t;

typedef struct {
    volatile apr_uint32_t busy;
    apr_pool_t *pool; /* the connection's own allocator: see child_init */
    apr_socket_t *sock;
} redis_conn_t;

typedef struct {
    volatile apr_uint32_t seq; /* odd while written */
    apr_uint32_t len;
    apr_uint32_t allowed;
    apr_time_t expires;
    char origin[CORS_MAP_CACHE_ORIGIN];
} cache_slot_t;

struct cors_map {
    map_type_t type;
    const char *name; /* "txt:/abs/path" */
    const char *rule; /* "map txt:/abs/path", the decision's reason */
    const char *path; /* txt:, dbm: */
    const char *dbm_type;
    const char *used[2]; /* the DBM's files */

    /* The version in force, and the lookups reading one. */
    void *volatile current;
    volatile apr_uint32_t readers;

    /* Maintenance state: touched by cors_map_refresh() only. */
    apr_pool_t *versions; /* parent of the versions' pools, in a child */
    apr_array_header_t *retired;
    file_id_t refused; /* the version last refused (logged once) */
    int missing;       /* the file is missing (logged once) */

    apr_interval_time_t interval;
    apr_interval_time_t cache_time;
    apr_interval_time_t timeout;

    /* redis: */
    const char *host;
    apr_port_t port;
    const char *prefix;
    apr_size_t prefix_len;
    apr_sockaddr_t *addr;
    redis_conn_t *conns;
    int nconns;
    cache_slot_t *cache;
    apr_uint64_t key[2];
    volatile apr_uint64_t down_until;
    volatile apr_uint32_t errors;
    volatile apr_uint32_t last_error;
};

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static apr_status_t stat_one(const char *path, file_id_t *id, int i,
                             apr_pool_t *p)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(
        &fi, path, APR_FINFO_MTIME | APR_FINFO_SIZE | APR_FINFO_IDENT, p);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        return rv;
    }
    id->mtime[i] = fi.mtime;
    id->size[i] = fi.size;
    id->inode[i] = fi.inode;
    id->dev[i] = fi.device;
    return APR_SUCCESS;
}

static apr_status_t file_id(const cors_map_t *m, file_id_t *id, apr_pool_t *p)
{
    apr_status_t rv;
    memset(id, 0, sizeof(*id));
    rv = stat_one(m->type == MAP_TXT ? m->path : m->used[0], id, 0, p);
    if (rv == APR_SUCCESS && m->type == MAP_DBM && m->used[1]) {
        rv = stat_one(m->used[1], id, 1, p);
    }
    id->present = rv == APR_SUCCESS;
    return rv;
}

static int same_id(const file_id_t *a, const file_id_t *b)
{
    return a->present == b->present &&
           !memcmp(a->mtime, b->mtime, sizeof(a->mtime)) &&
           !memcmp(a->size, b->size, sizeof(a->size)) &&
           !memcmp(a->inode, b->inode, sizeof(a->inode)) &&
           !memcmp(a->dev, b->dev, sizeof(a->dev));
}

/* One line of a txt: file, NUL-terminated in place.  Returns NULL or the
 * reason, as CORSAllowOrigin words it, with file, line and value. */
static const char *txt_line(const cors_map_t *m, version_t *v, char *s,
                            apr_size_t len, int lineno, apr_pool_t *p)
{
    const char *why;
    /* Spaces, tabs and a CR (CRLF line ends) around the value; a comma is
     * the value's, and CORSAllowOrigin's message explains it. */
    while (len && (CORS_IS(s[len - 1], CORS_C_OWS) || s[len - 1] == '\r')) {
        len--;
    }
    s[len] = '\0';
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (!*s || *s == '#') {
        return NULL;
    }
    if (!strcmp(s, "*")) {
        why = "'*' cannot be in a map: write CORSAllowOrigin *";
    } else if ((why = cors_origins_add(v->origins, v->pool ? v->pool : p, s)) ==
                   NULL &&
               cors_origins_over_public_suffix(v->origins)) {
        why = apr_psprintf(p,
                           "allows every site under the public suffix '%s' "
                           "(anyone can register one): a map may serve a "
                           "scope with credentials; list your own origins",
                           cors_origin_public_suffix(p, s));
    }
    if (!why) {
        v->count++;
        return NULL;
    }
    return apr_psprintf(p, "%s:%d: '%s': %s", m->path, lineno,
                        strlen(s) > 200 ? apr_pstrndup(p, s, 200) : s, why);
}

/* What txt_build says of a file written in place while it was read: no
 * version, no refusal; the next interval reads it again. */
static const char txt_changed[] = "changed while it was read";

/* Reads and compiles a txt: file into v (whose pool is vp).  Returns NULL
 * or the reason; v->id receives the identity of what was read. */
static const char *txt_build(const cors_map_t *m, version_t *v, apr_pool_t *vp,
                             apr_pool_t *scratch,
                             const volatile apr_uint32_t *stop)
{
    enum { CHUNK = 65536 };
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char *buf = apr_palloc(scratch, CHUNK + CORS_MAP_LINE_MAX + 1);
    apr_size_t carry = 0;
    int lineno = 0, eof = 0;
    char err[120];

    rv = apr_file_open(&f, m->path, APR_FOPEN_READ, 0, scratch);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(scratch, "%s: cannot open: %s", m->path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    rv = apr_file_info_get(
        &fi, APR_FINFO_MTIME | APR_FINFO_SIZE | APR_FINFO_IDENT, f);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        apr_file_close(f);
        return apr_psprintf(scratch, "%s: cannot stat: %s", m->path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    memset(&v->id, 0, sizeof(v->id));
    v->id.present = 1;
    v->id.mtime[0] = fi.mtime;
    v->id.size[0] = fi.size;
    v->id.inode[0] = fi.inode;
    v->id.dev[0] = fi.device;
    v->pool = vp;
    v->origins = cors_origins_make(vp);
    while (!eof) {
        apr_size_t n = CHUNK, start = 0, total;
        char *nl;
        rv = apr_file_read(f, buf + carry, &n);
        if (rv == APR_EOF) {
            eof = 1;
            n = 0;
        } else if (rv != APR_SUCCESS) {
            apr_file_close(f);
            return apr_psprintf(scratch, "%s: cannot read: %s", m->path,
                                apr_strerror(rv, err, sizeof(err)));
        }
        total = carry + n;
        while ((nl = memchr(buf + start, '\n', total - start)) != NULL) {
            apr_size_t len = (apr_size_t)(nl - (buf + start));
            const char *why =
                len > CORS_MAP_LINE_MAX
                    ? apr_psprintf(scratch, "%s:%d: line longer than %d bytes",
                                   m->path, lineno + 1, CORS_MAP_LINE_MAX)
                    : txt_line(m, v, buf + start, len, ++lineno, scratch);
            if (why) {
                apr_file_close(f);
                return why;
            }
            start = (apr_size_t)(nl - buf) + 1;
            if ((lineno & 4095) == 0 && stop &&
                apr_atomic_read32((volatile apr_uint32_t *)stop)) {
                apr_file_close(f);
                return "stopped";
            }
        }
        carry = total - start;
        if (eof && carry > CORS_MAP_LINE_MAX) {
            apr_file_close(f);
            return apr_psprintf(scratch, "%s:%d: line longer than %d bytes",
                                m->path, lineno + 1, CORS_MAP_LINE_MAX);
        }
        if (eof && carry) {
            const char *why =
                txt_line(m, v, buf + start, carry, ++lineno, scratch);
            if (why) {
                apr_file_close(f);
                return why;
            }
        } else if (carry > CORS_MAP_LINE_MAX) {
            apr_file_close(f);
            return apr_psprintf(scratch, "%s:%d: line longer than %d bytes",
                                m->path, lineno + 1, CORS_MAP_LINE_MAX);
        }
        memmove(buf, buf + start, carry);
    }
    /* The open file is the version read, whatever was renamed over its
     * path meanwhile (the next interval takes that one); only a file
     * written in place, whose size or time changed under the reader, may
     * have been read half old, half new. */
    rv = apr_file_info_get(&fi, APR_FINFO_MTIME | APR_FINFO_SIZE, f);
    apr_file_close(f);
    if ((rv != APR_SUCCESS && rv != APR_INCOMPLETE) ||
        fi.mtime != v->id.mtime[0] || fi.size != v->id.size[0]) {
        return txt_changed;
    }
    return NULL;
}

static apr_status_t dbm_close(void *data)
{
    apr_dbm_close((apr_dbm_t *)data);
    return APR_SUCCESS;
}

/* Opens a dbm: version in vp. */
static const char *dbm_build(const cors_map_t *m, version_t *v, apr_pool_t *vp,
                             apr_pool_t *scratch)
{
    apr_status_t rv;
    char err[120];
    if (file_id(m, &v->id, scratch) != APR_SUCCESS) {
        return apr_psprintf(scratch, "%s: no such DBM file (%s%s%s)", m->path,
                            m->used[0], m->used[1] ? ", " : "",
                            m->used[1] ? m->used[1] : "");
    }
    rv = apr_dbm_open_ex(&v->dbm, m->dbm_type, m->path, APR_DBM_READONLY,
                         APR_OS_DEFAULT, vp);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(scratch, "%s: cannot open as a DBM (%s): %s",
                            m->path, m->dbm_type,
                            apr_strerror(rv, err, sizeof(err)));
    }
    apr_pool_cleanup_register(vp, v->dbm, dbm_close, apr_pool_cleanup_null);
    rv = apr_thread_mutex_create(&v->lock, APR_THREAD_MUTEX_DEFAULT, vp);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(scratch, "%s: cannot create a mutex: %s", m->path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    v->pool = vp;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Making a map                                                        */
/* ------------------------------------------------------------------ */

/* A path relative to root, as httpd's ap_server_root_relative does. */
static const char *relative_to(apr_pool_t *p, const char *root,
                               const char *path)
{
    char *full = NULL;
    apr_status_t rv =
        apr_filepath_merge(&full, root, path, APR_FILEPATH_TRUENAME, p);
    if (full && (rv == APR_SUCCESS || APR_STATUS_IS_EPATHWILD(rv) ||
                 APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv))) {
        return full;
    }
    return NULL;
}

static const char *parse_redis(cors_map_t *m, apr_pool_t *p, const char *rest)
{
    const char *slash = strchr(rest, '/');
    char *hostport = slash ? apr_pstrmemdup(p, rest, (apr_size_t)(slash - rest))
                           : apr_pstrdup(p, rest);
    char *host = NULL, *scope = NULL;
    apr_port_t port = 0;
    apr_status_t rv;
    char err[120];

    m->prefix = slash ? slash + 1 : "cors:origin:";
    m->prefix_len = strlen(m->prefix);
    if (m->prefix_len > CORS_MAP_PREFIX_MAX) {
        return "the key prefix is longer than 256 bytes";
    }
    if (!*hostport ||
        apr_parse_addr_port(&host, &scope, &port, hostport, p) != APR_SUCCESS ||
        !host || scope) {
        return "expected redis://host[:port][/prefix]";
    }
    m->host = host;
    m->port = port ? port : 6379;
    rv = apr_sockaddr_info_get(&m->addr, host, APR_UNSPEC, m->port, 0, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot resolve '%s': %s", host,
                            apr_strerror(rv, err, sizeof(err)));
    }
    return NULL;
}

const char *cors_map_make(apr_pool_t *p, const char *spec, const char *root,
                          cors_map_t **out)
{
    cors_map_t *m = apr_pcalloc(p, sizeof(*m));
    const char *colon = strchr(spec, ':');
    const char *rest;

    *out = NULL;
    m->interval = apr_time_from_sec(5);
    m->cache_time = apr_time_from_sec(10);
    m->timeout = apr_time_from_msec(50);
    if (!colon) {
        return "expected txt:/path, dbm[=type]:/path or "
               "redis://host[:port][/prefix]";
    }
    rest = colon + 1;
    if (!strncmp(spec, "redis://", 8)) {
        const char *why;
        m->type = MAP_REDIS;
        if ((why = parse_redis(m, p, spec + 8)) != NULL) {
            return why;
        }
        m->name = apr_pstrcat(p, "redis://", m->host, ":", apr_itoa(p, m->port),
                              "/", m->prefix, NULL);
    } else if (colon - spec == 3 && !strncmp(spec, "txt", 3)) {
        m->type = MAP_TXT;
    } else if (!strncmp(spec, "dbm", 3) &&
               (colon - spec == 3 || spec[3] == '=')) {
        m->type = MAP_DBM;
        m->dbm_type =
            colon - spec == 3
                ? "default"
                : apr_pstrmemdup(p, spec + 4, (apr_size_t)(colon - spec - 4));
    } else {
        return "unknown map type: expected txt:/path, dbm[=type]:/path or "
               "redis://host[:port][/prefix]";
    }
    if (m->type != MAP_REDIS) {
        if (!*rest) {
            return "no file named after the map type";
        }
        if (!(m->path = relative_to(p, root, rest))) {
            return "not a valid path";
        }
        if (m->type == MAP_DBM) {
            const char *u1 = NULL, *u2 = NULL;
            if (!*m->dbm_type ||
                apr_dbm_get_usednames_ex(p, m->dbm_type, m->path, &u1, &u2) !=
                    APR_SUCCESS) {
                return apr_psprintf(p,
                                    "unknown DBM type '%s': this APR-util "
                                    "offers sdbm, gdbm, db, ndbm or default "
                                    "where built with them",
                                    m->dbm_type);
            }
            m->used[0] = u1;
            m->used[1] = u2;
        }
        m->name = m->type == MAP_TXT
                      ? apr_pstrcat(p, "txt:", m->path, NULL)
                      : apr_pstrcat(p, "dbm", colon - spec == 3 ? "" : "=",
                                    colon - spec == 3 ? "" : m->dbm_type, ":",
                                    m->path, NULL);
    }
    m->rule = apr_pstrcat(p, "map ", m->name, NULL);
    *out = m;
    return NULL;
}

const char *cors_map_name(const cors_map_t *m)
{
    return m->name;
}

const char *cors_map_rule(const cors_map_t *m)
{
    return m->rule;
}

int cors_map_is_file(const cors_map_t *m)
{
    return m->type != MAP_REDIS;
}

void cors_map_settings(cors_map_t *m, apr_interval_time_t interval,
                       apr_interval_time_t cache_time,
                       apr_interval_time_t timeout)
{
    m->interval = interval;
    m->cache_time = cache_time;
    m->timeout = timeout;
}

apr_interval_time_t cors_map_interval(const cors_map_t *m)
{
    return m->interval;
}

const char *cors_map_load(cors_map_t *m, apr_pool_t *p, apr_pool_t *ptemp,
                          int *count)
{
    version_t *v = apr_pcalloc(p, sizeof(*v));
    const char *why = NULL;
    *count = 0;
    switch (m->type) {
    case MAP_TXT: {
        /* A file written in place while start-up read it: read it again. */
        int tries = 3;
        do {
            why = txt_build(m, v, p, ptemp, NULL);
        } while (why == txt_changed && --tries);
        if (why == txt_changed) {
            why = apr_psprintf(ptemp,
                               "%s: %s three times: publish it with "
                               "an atomic rename",
                               m->path, txt_changed);
        }
        /* Lives as long as the configuration: never freed by a refresh. */
        v->pool = NULL;
        *count = v->count;
        break;
    }
    case MAP_DBM: {
        /* Checked only: a DBM handle must not be shared with the children
         * (its file offset would be), each opens its own. */
        apr_pool_t *tmp;
        apr_pool_create(&tmp, ptemp);
        why = dbm_build(m, v, tmp, ptemp);
        apr_pool_destroy(tmp);
        return why;
    }
    case MAP_REDIS:
        return NULL;
    }
    if (!why) {
        m->current = v;
    }
    return why;
}

/* ------------------------------------------------------------------ */
/* In each process                                                     */
/* ------------------------------------------------------------------ */

void cors_map_child_init(cors_map_t *m, apr_pool_t *p, int threads)
{
    int i;
    /* Only the maintenance thread creates and destroys the versions'
     * pools: they get their own allocator so that no other thread ever
     * shares one with them. */
    apr_allocator_t *a = NULL;
    if (apr_allocator_create(&a) == APR_SUCCESS &&
        apr_pool_create_ex(&m->versions, p, NULL, a) == APR_SUCCESS) {
        apr_allocator_owner_set(a, m->versions);
    } else {
        m->versions = NULL;
    }
    m->retired = apr_array_make(p, 4, sizeof(version_t *));
    if (m->type == MAP_REDIS) {
        m->nconns = threads < 1 ? 1 : threads > 512 ? 512 : threads;
        m->conns = apr_pcalloc(p, sizeof(redis_conn_t) * (apr_size_t)m->nconns);
        for (i = 0; i < m->nconns; i++) {
            apr_allocator_t *ca = NULL;
            if (apr_allocator_create(&ca) == APR_SUCCESS &&
                apr_pool_create_ex(&m->conns[i].pool, p, NULL, ca) ==
                    APR_SUCCESS) {
                apr_allocator_owner_set(ca, m->conns[i].pool);
            } else {
                m->conns[i].busy = 1; /* never used */
            }
        }
        m->cache = apr_pcalloc(p, sizeof(cache_slot_t) * CORS_MAP_CACHE_SLOTS);
        if (apr_generate_random_bytes((unsigned char *)m->key,
                                      sizeof(m->key)) != APR_SUCCESS) {
            m->key[0] = (apr_uint64_t)apr_time_now();
            m->key[1] = (apr_uint64_t)(apr_uintptr_t)m;
        }
    }
}

/* Frees the retired versions once no lookup is in progress. */
static void drain(cors_map_t *m, int steps)
{
    int i;
    while (m->retired->nelts) {
        if (apr_atomic_read32(&m->readers) == 0) {
            for (i = 0; i < m->retired->nelts; i++) {
                version_t *old = APR_ARRAY_IDX(m->retired, i, version_t *);
                if (old->pool) {
                    apr_pool_destroy(old->pool);
                }
            }
            m->retired->nelts = 0;
            return;
        }
        if (steps-- <= 0) {
            return;
        }
        apr_sleep(apr_time_from_msec(1));
    }
}

cors_map_refresh_t cors_map_refresh(cors_map_t *m, apr_pool_t *scratch,
                                    const volatile apr_uint32_t *stop,
                                    const char **msg, int *count)
{
    file_id_t id;
    version_t *cur, *v;
    apr_pool_t *vp;
    const char *why;

    *msg = NULL;
    *count = 0;
    drain(m, 0);
    if (m->type == MAP_REDIS || !m->versions) {
        return CORS_MAP_UNCHANGED;
    }
    cur = (version_t *)m->current;
    if (file_id(m, &id, scratch) != APR_SUCCESS) {
        if (m->missing) {
            return CORS_MAP_UNCHANGED;
        }
        m->missing = 1;
        *msg = apr_psprintf(scratch, "%s: missing or unreadable", m->path);
        return CORS_MAP_MISSING;
    }
    m->missing = 0;
    if ((cur && same_id(&id, &cur->id)) || same_id(&id, &m->refused)) {
        return CORS_MAP_UNCHANGED;
    }
    if (apr_pool_create(&vp, m->versions) != APR_SUCCESS) {
        return CORS_MAP_UNCHANGED;
    }
    v = apr_pcalloc(vp, sizeof(*v));
    why = m->type == MAP_TXT ? txt_build(m, v, vp, scratch, stop)
                             : dbm_build(m, v, vp, scratch);
    if (why == txt_changed) {
        apr_pool_destroy(vp);
        return CORS_MAP_UNCHANGED;
    }
    if (!why && m->type == MAP_DBM) {
        /* The DBM changed while it was opened (written in place rather
         * than renamed): try again at the next interval. */
        file_id_t after;
        if (file_id(m, &after, scratch) != APR_SUCCESS ||
            !same_id(&after, &id)) {
            apr_pool_destroy(vp);
            return CORS_MAP_UNCHANGED;
        }
    }
    if (why) {
        apr_pool_destroy(vp);
        if (stop && apr_atomic_read32((volatile apr_uint32_t *)stop)) {
            return CORS_MAP_UNCHANGED;
        }
        m->refused = id;
        *msg = why;
        return CORS_MAP_REFUSED;
    }
    memset(&m->refused, 0, sizeof(m->refused));
    *count = v->count;
    cur = apr_atomic_xchgptr((volatile void **)&m->current, v);
    if (cur) {
        APR_ARRAY_PUSH(m->retired, version_t *) = cur;
    }
    drain(m, CORS_MAP_DRAIN_STEPS);
    return CORS_MAP_RELOADED;
}

int cors_map_retired(const cors_map_t *m)
{
    return m->retired ? m->retired->nelts : 0;
}

apr_uint32_t cors_map_errors(const cors_map_t *m, apr_status_t *last)
{
    cors_map_t *w = (cors_map_t *)m;
    *last = (apr_status_t)apr_atomic_read32(&w->last_error);
    return apr_atomic_read32(&w->errors);
}

/* ------------------------------------------------------------------ */
/* Redis                                                               */
/* ------------------------------------------------------------------ */

#define ROTL(x, b) (apr_uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
    do {                                                                       \
        v0 += v1;                                                              \
        v1 = ROTL(v1, 13);                                                     \
        v1 ^= v0;                                                              \
        v0 = ROTL(v0, 32);                                                     \
        v2 += v3;                                                              \
        v3 = ROTL(v3, 16);                                                     \
        v3 ^= v2;                                                              \
        v0 += v3;                                                              \
        v3 = ROTL(v3, 21);                                                     \
        v3 ^= v0;                                                              \
        v2 += v1;                                                              \
        v1 = ROTL(v1, 17);                                                     \
        v1 ^= v2;                                                              \
        v2 = ROTL(v2, 32);                                                     \
    } while (0)

/* SipHash-2-4 (Aumasson and Bernstein): a keyed hash whose collisions
 * cannot be found without the key.  Words are read in the machine's byte
 * order: the value never leaves the process. */
static apr_uint64_t siphash(const apr_uint64_t k[2], const unsigned char *in,
                            apr_size_t len)
{
    apr_uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
    apr_uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
    apr_uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
    apr_uint64_t v3 = 0x7465646279746573ULL ^ k[1];
    apr_uint64_t b = (apr_uint64_t)len << 56, w;
    apr_size_t i, end = len - len % 8;

    for (i = 0; i < end; i += 8) {
        memcpy(&w, in + i, 8);
        v3 ^= w;
        SIPROUND;
        SIPROUND;
        v0 ^= w;
    }
    for (i = 0; i < len % 8; i++) {
        b |= (apr_uint64_t)in[end + i] << (8 * i);
    }
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* A barrier read of a slot's sequence (apr_atomic_read32 is a plain load:
 * the copy in between must not move across it). */
static apr_uint32_t seq_read(cache_slot_t *s)
{
    return apr_atomic_cas32(&s->seq, 0, 0);
}

/* The cached answer for an origin: 1, 0, or -1 (not cached or expired). */
static int cache_get(cors_map_t *m, const char *origin, apr_size_t len,
                     apr_time_t now)
{
    cache_slot_t *s;
    apr_uint32_t seq;
    int answer = -1;
    if (len > CORS_MAP_CACHE_ORIGIN) {
        return -1;
    }
    s = &m->cache[siphash(m->key, (const unsigned char *)origin, len) &
                  (CORS_MAP_CACHE_SLOTS - 1)];
    seq = seq_read(s);
    if (seq & 1) {
        return -1;
    }
    if (s->len == len && s->expires > now && !memcmp(s->origin, origin, len)) {
        answer = s->allowed ? 1 : 0;
    }
    return seq_read(s) == seq ? answer : -1;
}

static void cache_put(cors_map_t *m, const char *origin, apr_size_t len,
                      int allowed, apr_time_t expires)
{
    cache_slot_t *s;
    apr_uint32_t seq;
    if (len > CORS_MAP_CACHE_ORIGIN || m->cache_time <= 0) {
        return;
    }
    s = &m->cache[siphash(m->key, (const unsigned char *)origin, len) &
                  (CORS_MAP_CACHE_SLOTS - 1)];
    seq = seq_read(s);
    /* Odd: another thread writes it; lost race: let it. */
    if ((seq & 1) || apr_atomic_cas32(&s->seq, seq + 1, seq) != seq) {
        return;
    }
    s->len = (apr_uint32_t)len;
    memcpy(s->origin, origin, len);
    s->allowed = (apr_uint32_t)allowed;
    s->expires = expires;
    apr_atomic_inc32(&s->seq);
}

/* The time left before deadline, as a socket timeout. */
static apr_status_t until(apr_socket_t *sock, apr_time_t deadline)
{
    apr_time_t left = deadline - apr_time_now();
    if (left <= 0) {
        return APR_TIMEUP;
    }
    return apr_socket_timeout_set(sock, left);
}

static apr_status_t redis_connect(cors_map_t *m, apr_socket_t **sock,
                                  apr_pool_t *p, apr_time_t deadline)
{
    apr_status_t rv =
        apr_socket_create(sock, m->addr->family, SOCK_STREAM, APR_PROTO_TCP, p);
    if (rv == APR_SUCCESS) {
        apr_socket_opt_set(*sock, APR_TCP_NODELAY, 1);
        if ((rv = until(*sock, deadline)) == APR_SUCCESS) {
            rv = apr_socket_connect(*sock, m->addr);
        }
        if (rv != APR_SUCCESS) {
            apr_socket_close(*sock);
            *sock = NULL;
        }
    }
    return rv;
}

/* EXISTS prefix+origin on sock: 1, 0, or -1 with *rv. */
static int redis_exists(cors_map_t *m, apr_socket_t *sock, const char *origin,
                        apr_size_t len, apr_time_t deadline, apr_status_t *rv)
{
    char req[CORS_MAP_PREFIX_MAX + CORS_ORIGIN_MAX + 64];
    char reply[64];
    apr_size_t klen = m->prefix_len + len, n, off = 0, got = 0;
    int head = apr_snprintf(req, sizeof(req), "*2\r\n$6\r\nEXISTS\r\n$%lu\r\n",
                            (unsigned long)klen);
    memcpy(req + head, m->prefix, m->prefix_len);
    memcpy(req + head + m->prefix_len, origin, len);
    memcpy(req + head + klen, "\r\n", 2);
    n = (apr_size_t)head + klen + 2;
    while (off < n) {
        apr_size_t k = n - off;
        if ((*rv = until(sock, deadline)) != APR_SUCCESS ||
            (*rv = apr_socket_send(sock, req + off, &k)) != APR_SUCCESS) {
            return -1;
        }
        off += k;
    }
    for (;;) {
        apr_size_t k = sizeof(reply) - 1 - got;
        char *end;
        if (k == 0) {
            *rv = APR_EGENERAL;
            return -1;
        }
        if ((*rv = until(sock, deadline)) != APR_SUCCESS ||
            (*rv = apr_socket_recv(sock, reply + got, &k)) != APR_SUCCESS) {
            if (*rv == APR_SUCCESS || APR_STATUS_IS_EOF(*rv)) {
                *rv = APR_EOF;
            }
            return -1;
        }
        got += k;
        reply[got] = '\0';
        if ((end = strstr(reply, "\r\n")) != NULL) {
            /* ":0" or ":1"; an error ("-NOAUTH ...") or anything else is
             * a failure: never a grant. */
            if (end - reply == 2 && reply[0] == ':' &&
                (reply[1] == '0' || reply[1] == '1')) {
                *rv = APR_SUCCESS;
                return reply[1] == '1';
            }
            *rv = APR_EGENERAL;
            return -1;
        }
    }
}

static int redis_lookup(cors_map_t *m, const char *origin, apr_size_t len,
                        apr_pool_t *scratch)
{
    apr_time_t now = apr_time_now(), deadline;
    redis_conn_t *c = NULL;
    apr_socket_t *sock = NULL;
    apr_status_t rv = APR_SUCCESS;
    int i, answer, tries;

    if (!m->cache) {
        return 0; /* no child_init: no lookups */
    }
    if ((answer = cache_get(m, origin, len, now)) >= 0) {
        return answer;
    }
    if ((apr_time_t)apr_atomic_read64(&m->down_until) > now) {
        return 0; /* fail closed, at once */
    }
    for (i = 0; i < m->nconns; i++) {
        if (apr_atomic_cas32(&m->conns[i].busy, 1, 0) == 0) {
            c = &m->conns[i];
            break;
        }
    }
    deadline = now + m->timeout;
    /* A connection kept from an earlier request may have been closed by
     * the server since (a restart): one more try on a new one. */
    for (tries = 0; tries < 2; tries++) {
        int reused = c && c->sock;
        if (c && !c->sock) {
            apr_pool_clear(c->pool);
            rv = redis_connect(m, &c->sock, c->pool, deadline);
        } else if (!c) {
            rv = redis_connect(m, &sock, scratch, deadline);
        }
        answer = -1;
        if (rv == APR_SUCCESS) {
            answer =
                redis_exists(m, c ? c->sock : sock, origin, len, deadline, &rv);
        }
        if (answer >= 0) {
            break;
        }
        if (c && c->sock) {
            apr_socket_close(c->sock);
            c->sock = NULL;
        }
        if (!reused || apr_time_now() >= deadline) {
            break;
        }
    }
    if (sock) {
        apr_socket_close(sock);
    }
    if (c) {
        apr_atomic_set32(&c->busy, 0);
    }
    if (answer < 0) {
        apr_atomic_set32(&m->last_error, (apr_uint32_t)rv);
        apr_atomic_inc32(&m->errors);
        apr_atomic_set64(&m->down_until,
                         (apr_uint64_t)(apr_time_now() + CORS_MAP_RETRY));
        return 0;
    }
    cache_put(m, origin, len, answer, now + m->cache_time);
    return answer;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

int cors_map_lookup(cors_map_t *m, const char *origin, apr_size_t len,
                    apr_pool_t *scratch)
{
    version_t *v;
    int allowed = 0;

    if (len > CORS_ORIGIN_MAX) {
        return 0;
    }
    if (m->type == MAP_REDIS) {
        return redis_lookup(m, origin, len, scratch);
    }
    apr_atomic_inc32(&m->readers);
    v = (version_t *)m->current;
    if (v && v->origins) {
        allowed = cors_origins_match(v->origins, origin, scratch, NULL) ==
                  CORS_ORIGIN_ALLOWED;
    } else if (v && v->dbm) {
        apr_datum_t key;
        key.dptr = (char *)origin;
        key.dsize = len;
        if (apr_thread_mutex_lock(v->lock) == APR_SUCCESS) {
            allowed = apr_dbm_exists(v->dbm, key);
            apr_thread_mutex_unlock(v->lock);
        }
    }
    apr_atomic_dec32(&m->readers);
    return allowed;
}
