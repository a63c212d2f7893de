/*
 * Results of the C benchmark: one JSON object per line (read by
 * bench/report.py), and a readable line on stderr as each one is made.
 */
#ifndef SM_BENCH_RESULTS_H
#define SM_BENCH_RESULTS_H

#include <stddef.h>
#include <stdint.h>

/* Opens the output (path NULL or "-" = stdout). Returns 0 on success. */
int results_open(const char *path);
void results_close(void);

/* A measurement against an anchor, both in ns per operation. */
void results_pair(const char *group, const char *name, double ns, const char *anchor,
                  double anchor_ns);

/* A measurement with no anchor. */
void results_value(const char *group, const char *name, double ns);

/* One step of a scale run: how far it got and what the process looked like there. */
typedef struct scale_row {
    const char *who;    /* "securememory PROTECTED", "libsodium sodium_malloc", ... */
    const char *limits; /* the memory lock limit the child ran under */
    size_t target;      /* live objects asked for */
    size_t reached;     /* live objects held at the end */
    size_t rss_kb;      /* VmRSS */
    size_t locked_kb;   /* VmLck */
    size_t maps;        /* lines of /proc/self/maps */
    double create_ns;   /* mean ns per creation */
    const char *stop;   /* "ok", or why it stopped (status name and errno text) */
} scale_row;

void results_scale(const scale_row *row);

/* A note about the run (settings, skipped steps). */
void results_note(const char *key, const char *text);

#endif
