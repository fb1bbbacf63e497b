/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_map_txt: the txt: origin map loader (CORSAllowOriginMap) with
 * fuzzed files.
 *
 * Input: the bytes of the file, written to a temporary file and loaded as
 * "txt:" map, once at "start-up" (cors_map_load) and once as a new version
 * of a running map (cors_map_refresh, after cors_map_child_init).
 *
 * Invariants (abort on violation):
 *  - never a crash, leak or undefined behaviour (ASan/UBSan/LSan);
 *  - both loads agree: accepted at start-up exactly when the running map
 *    takes it as a new version (RELOADED) rather than refusing it
 *    (REFUSED), with the same message;
 *  - a refusal names the file, and the line it gives is a line of the
 *    input (1 to the number of lines);
 *  - an accepted file: each value line (trimmed of spaces, tabs and CR,
 *    not empty, not a '#' comment) is one CORSAllowOrigin accepts on its
 *    own, is not "*", and the count of values is the number of value
 *    lines; each such value that is an exact origin once lower-cased is
 *    allowed by the map, as is each value of the start-up version;
 *  - a refused new version leaves the previous one in force (a fixed
 *    origin of it stays allowed).
 */
#include "cors_engine.h"

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static apr_pool_t *g_pool;
static char g_dir[64];

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void put(const char *path, const uint8_t *data, size_t size)
{
    char tmp[128];
    FILE *f;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, size, f) == size);
    CHECK(fclose(f) == 0);
    CHECK(rename(tmp, path) == 0);
}

/* The value of one line as the loader reads it, or NULL (blank, comment). */
static char *value_of(apr_pool_t *p, const char *line, size_t len)
{
    char *s;
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
                   line[len - 1] == '\r'))
        len--;
    s = apr_pstrmemdup(p, line, len); /* stops at a NUL, as the loader */
    while (*s == ' ' || *s == '\t')
        s++;
    return *s && *s != '#' ? s : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    snprintf(g_dir, sizeof(g_dir), "/tmp/fuzz-map-txt-XXXXXX");
    if (!mkdtemp(g_dir))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t first[] = "https://fixed.example\n";
    apr_pool_t *p, *child;
    cors_map_t *boot, *run;
    const char *why, *msg = NULL, *spec;
    char path[128];
    int count = -1, count2 = -1, lines = 0, values = 0, bad = 0;
    cors_map_refresh_t r;
    size_t i, start = 0;

    if (size > 8192)
        return 0;
    apr_pool_create(&p, g_pool);
    snprintf(path, sizeof(path), "%s/origins.txt", g_dir);
    spec = apr_pstrcat(p, "txt:", path, NULL);

    /* A running map with a first version, then the input as the next. */
    put(path, first, sizeof(first) - 1);
    CHECK(cors_map_make(p, spec, "/", &run) == NULL);
    CHECK(cors_map_load(run, p, p, &count) == NULL && count == 1);
    apr_pool_create(&child, p);
    cors_map_child_init(run, child, 2);
    /* The same inode, size and time would be the same version: a new
     * file always has another inode while the old one is still open. */
    usleep(0);
    put(path, data, size);
    r = cors_map_refresh(run, p, NULL, &msg, &count2);

    /* The same input at start-up. */
    CHECK(cors_map_make(p, spec, "/", &boot) == NULL);
    why = cors_map_load(boot, p, p, &count);

    for (i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            if (i > start || i < size)
                lines++;
            start = i + 1;
        }
    }
    if (why) {
        const char *colon;
        long line;
        CHECK(r == CORS_MAP_REFUSED || r == CORS_MAP_UNCHANGED);
        CHECK(!strncmp(why, path, strlen(path)));
        colon = why + strlen(path);
        if (*colon == ':' && apr_isdigit(colon[1])) {
            line = strtol(colon + 1, NULL, 10);
            CHECK(line >= 1 && line <= lines);
        }
        if (r == CORS_MAP_REFUSED)
            CHECK(msg && !strcmp(msg, why));
        /* The previous version stays. */
        CHECK(cors_map_lookup(run, "https://fixed.example", 21, p));
    } else {
        CHECK(r == CORS_MAP_RELOADED || r == CORS_MAP_UNCHANGED);
        if (r == CORS_MAP_RELOADED)
            CHECK(count2 == count);
        start = 0;
        for (i = 0; i <= size; i++) {
            char *v, *c;
            cors_origins_t *o;
            if (i < size && data[i] != '\n')
                continue;
            v = value_of(p, (const char *)data + start, i - start);
            start = i + 1;
            if (!v)
                continue;
            values++;
            CHECK(strcmp(v, "*") != 0);
            o = cors_origins_make(p);
            if (cors_origins_add(o, p, v) != NULL)
                bad++;
            for (c = v; *c; c++)
                *c = apr_tolower(*c);
            if (cors_origin_is_well_formed(v, strlen(v))) {
                CHECK(cors_map_lookup(boot, v, strlen(v), p));
                if (r == CORS_MAP_RELOADED)
                    CHECK(cors_map_lookup(run, v, strlen(v), p));
            }
        }
        CHECK(bad == 0);
        CHECK(count == values);
    }
    apr_pool_destroy(p);
    return 0;
}
