/* Streaming byte source and value scanner for trace.json (json_stream.h).
 *
 * The scanner only finds where a value ends: it follows strings (with their
 * escapes) and brackets, and leaves every other check (tokens, escapes,
 * UTF-8, numbers, duplicate keys) to jansson, which gets the value's bytes.
 * When the value is broken (the file ends inside it, a bracket does not
 * match) it still returns the bytes up to the problem, so that jansson
 * reports it in its own words at the right position. */
#include "json_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void js_init_mem(struct js_src *s, const char *data, size_t len)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->buf = (char *)data; /* never written in memory mode */
    s->cap = s->hi = len;
    s->eof = 1;
    s->pos.line = 1;
}

int js_init_fd(struct js_src *s, int fd, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->pos.line = 1;
    s->buf = malloc(cap);
    if (!s->buf) {
        s->err = ENOMEM;
        return -1;
    }
    s->cap = cap;
    return 0;
}

void js_free(struct js_src *s)
{
    if (s->fd >= 0)
        free(s->buf);
    s->buf = NULL;
}

int js_seek(struct js_src *s, const struct js_pos *at)
{
    if (s->fd < 0) {
        s->lo = (size_t)at->off;
        s->pos = *at;
        return 0;
    }
    if (lseek(s->fd, (off_t)at->off, SEEK_SET) < 0) {
        s->err = errno;
        return -1;
    }
    s->lo = s->hi = 0;
    s->eof = 0;
    s->pos = *at;
    return 0;
}

/* Reads more into the window, keeping buf[lo, hi).  1: more bytes, 0: end
 * of input, -1: error (s->err). */
static int more(struct js_src *s)
{
    if (s->eof)
        return 0;
    if (s->lo > 0) {
        memmove(s->buf, s->buf + s->lo, s->hi - s->lo);
        s->hi -= s->lo;
        s->lo = 0;
    }
    if (s->hi == s->cap) {
        size_t ncap = s->cap * 2;
        char *nb = ncap > s->cap ? realloc(s->buf, ncap) : NULL;
        if (!nb) {
            s->err = ENOMEM;
            return -1;
        }
        s->buf = nb;
        s->cap = ncap;
    }
    for (;;) {
        ssize_t got = read(s->fd, s->buf + s->hi, s->cap - s->hi);
        if (got > 0) {
            s->hi += (size_t)got;
            return 1;
        }
        if (got == 0) {
            s->eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            s->err = errno;
            return -1;
        }
    }
}

/* jansson counts a column for ASCII bytes and UTF-8 lead bytes only. */
static inline int counts_column(unsigned char c)
{
    return c < 0x80 || (c >= 0xc2 && c <= 0xf4);
}

static void advance(struct js_pos *p, const char *b, size_t n)
{
    p->off += n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n') {
            p->line++;
            p->col = 0;
        } else if (counts_column(c)) {
            p->col++;
        }
    }
}

void js_consume(struct js_src *s, size_t n)
{
    advance(&s->pos, s->buf + s->lo, n);
    s->lo += n;
}

struct js_pos js_pos_after(const struct js_src *s, size_t n)
{
    struct js_pos p = s->pos;
    advance(&p, s->buf + s->lo, n);
    return p;
}

int js_skip_ws(struct js_src *s)
{
    for (;;) {
        while (s->lo < s->hi) {
            unsigned char c = (unsigned char)s->buf[s->lo];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                return c;
            js_consume(s, 1);
        }
        int m = more(s);
        if (m == 0)
            return JS_EOF_C;
        if (m < 0)
            return JS_ERR_C;
    }
}

void js_want(struct js_src *s, size_t n)
{
    while (s->hi - s->lo < n && more(s) > 0)
        ;
}

static int is_delim(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' ||
           c == '[' || c == ']' || c == '{' || c == '}' || c == '"';
}

void js_near(struct js_src *s, char *out, size_t cap, struct js_pos *end)
{
    int c = js_skip_ws(s);
    *end = s->pos;
    if (c < 0) {
        snprintf(out, cap, " near end of file");
        return;
    }
    js_want(s, 64);
    const char *b = s->buf + s->lo;
    size_t avail = s->hi - s->lo, n = 1;
    if (c == '"') {
        while (n < avail && b[n] != '"' && b[n] != '\n') /* jansson stops at a newline */
            n += b[n] == '\\' && n + 1 < avail ? 2 : 1;
        if (n < avail && b[n] == '"')
            n++;
    } else if (c == '-' || (c >= '0' && c <= '9') ||
               (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        while (n < avail && !is_delim((unsigned char)b[n]))
            n++;
    }
    if (n > avail)
        n = avail;
    *end = js_pos_after(s, n);
    if (n <= 20 && n + 9 < cap)
        snprintf(out, cap, " near '%.*s'", (int)n, b);
    else
        out[0] = '\0';
}

enum js_scan js_scan_value(struct js_src *s, unsigned depth, size_t max_bytes,
                           size_t max_values, size_t *len)
{
    size_t k = 0;       /* bytes of the value so far, from lo */
    size_t open = 0;    /* entries of s->stack in use */
    size_t values = 1;
    int in_str = 0, scalar = 0, need = 0;
    *len = 0;
    for (;;) {
        if (need || s->lo + k >= s->hi) {
            need = 0;
            int m = more(s);
            if (m < 0)
                return JS_ERR;
            if (m == 0) {
                *len = s->hi - s->lo;
                /* a number or literal that runs to the end of the input is complete */
                return scalar ? JS_OK : JS_EOF;
            }
        }
        if (k >= max_bytes)
            return JS_BIG;
        const char *b = s->buf + s->lo;
        size_t end = s->hi - s->lo;
        if (end > max_bytes)
            end = max_bytes;
        if (k == 0) {
            unsigned char c = (unsigned char)b[0];
            if (c == ',' || c == ':' || c == ']' || c == '}')
                return JS_OK; /* *len = 0: no value here */
            scalar = c != '[' && c != '{' && c != '"';
        }
        if (scalar) {
            /* a number, a literal or garbage: up to a delimiter */
            while (k < end && !is_delim((unsigned char)b[k]))
                k++;
            if (k < end) {
                *len = k;
                return JS_OK;
            }
            continue;
        }
        while (k < end) {
            unsigned char c = (unsigned char)b[k++];
            if (in_str) {
                if (c == '\\') {
                    if (k == end) { /* the escaped byte is not read yet */
                        k--;
                        need = 1;
                        break;
                    }
                    k++;
                } else if (c == '"') {
                    in_str = 0;
                    if (open == 0) {
                        *len = k;
                        return JS_OK;
                    }
                }
                continue;
            }
            switch (c) {
            case '"':
                in_str = 1;
                break;
            case '[':
            case '{':
                if (depth + open + 1 > JS_MAX_DEPTH) {
                    *len = k;
                    return JS_DEEP;
                }
                s->stack[open++] = (char)c;
                if (++values > max_values)
                    return JS_BIG;
                break;
            case ']':
            case '}':
                if (open == 0 || s->stack[open - 1] != (c == ']' ? '[' : '{')) {
                    *len = k;
                    return JS_BAD;
                }
                if (--open == 0) {
                    *len = k;
                    return JS_OK;
                }
                break;
            case ',':
                if (++values > max_values)
                    return JS_BIG;
                break;
            default:
                break;
            }
        }
    }
}

void js_shrink(struct js_src *s, size_t cap)
{
    if (s->fd < 0 || s->cap <= cap || s->hi - s->lo > cap / 2)
        return;
    memmove(s->buf, s->buf + s->lo, s->hi - s->lo);
    s->hi -= s->lo;
    s->lo = 0;
    char *nb = realloc(s->buf, cap);
    if (nb) {
        s->buf = nb;
        s->cap = cap;
    }
}
