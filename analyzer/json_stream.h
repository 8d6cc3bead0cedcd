/* A byte source for streaming trace.json (json_reader.c): a window over a
 * file descriptor (or over memory) that keeps memory fixed however long the
 * input, tracks jansson-compatible positions, and finds where one JSON value
 * ends without building it, so the reader can hand just that value's bytes
 * to jansson.
 *
 * Positions follow jansson's conventions so that messages about the whole
 * file read the same as when jansson parsed it whole: lines count from 1,
 * `col` counts the characters (ASCII bytes and UTF-8 lead bytes) already
 * read on the current line, `off` counts bytes from the start of the file. */
#ifndef MTA_JSON_STREAM_H
#define MTA_JSON_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct js_pos {
    uint64_t off;
    uint64_t line;
    uint64_t col;
};

struct js_src {
    int fd;           /* -1: the whole input is in memory */
    char *buf;        /* the window: buf[lo, hi) are read but not consumed */
    size_t cap, lo, hi;
    int eof;          /* nothing more to read after buf[hi) */
    int err;          /* errno of a failed read or allocation (ENOMEM) */
    struct js_pos pos; /* position of buf[lo] */
    char stack[2050]; /* open brackets while scanning one value */
};

/* Results of js_scan_value(). */
enum js_scan {
    JS_OK,      /* a complete value of *len bytes */
    JS_EOF,     /* the input ends inside the value: *len bytes up to the end */
    JS_BAD,     /* a closing bracket that does not match: *len bytes up to it */
    JS_DEEP,    /* nesting beyond the limit: *len bytes up to the '[' or '{' */
    JS_BIG,     /* more than max_bytes or max_values */
    JS_ERR      /* read error or out of memory: see src->err */
};

#define JS_EOF_C (-1) /* js_peek() etc.: end of input */
#define JS_ERR_C (-2) /* js_peek() etc.: read error, see src->err */

void js_init_mem(struct js_src *s, const char *data, size_t len);
/* A window of `cap` bytes (it grows while one value does not fit). */
int js_init_fd(struct js_src *s, int fd, size_t cap);
void js_free(struct js_src *s);
/* Continue at a position recorded earlier (a file must be seekable). */
int js_seek(struct js_src *s, const struct js_pos *at);

/* The next byte without consuming it, after skipping JSON white space. */
int js_skip_ws(struct js_src *s);
/* At least n bytes in the window unless the input ends first (or a read
 * fails: src->err). */
void js_want(struct js_src *s, size_t n);
/* Consumes n bytes that are in the window. */
void js_consume(struct js_src *s, size_t n);
/* Where the position would be after the next n bytes (in the window). */
struct js_pos js_pos_after(const struct js_src *s, size_t n);
/* The token at the current position as jansson's messages show it:
 * "near 'x'", "near end of file" or "" (a long token).  Fills *end with the
 * position after it. */
void js_near(struct js_src *s, char *out, size_t cap, struct js_pos *end);

/* Finds the end of the value that starts at the current position (no white
 * space before it), which is nested `depth` levels deep in the document.
 * Its bytes are then buf[lo, lo + *len), in the window until consumed.
 * *len is 0 if no value starts here (a structural character or the end). */
enum js_scan js_scan_value(struct js_src *s, unsigned depth, size_t max_bytes,
                           size_t max_values, size_t *len);

/* Gives back the memory a large value made the window grow to. */
void js_shrink(struct js_src *s, size_t cap);

/* The reader's window in bytes (json_reader.c; 256 KiB).  Tests make it tiny
 * so that every element straddles refills. */
extern size_t mta_json_window;

#define JS_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

#endif
