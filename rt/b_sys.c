/* b_sys.c — the program's view of its process: its arguments, its
 * environment, standard input, files, and exit.
 *
 * Every failure of the operating system is a located runtime error naming
 * the built-in, the path and strerror's reason.  Bytes read are gathered in
 * malloc'd buffers and copied into the result region at the end; each
 * buffer (and each FILE) is released before anything can raise, so an
 * error unwinding through here leaks nothing.  Standard input is read from
 * file descriptor 0 (see read-line): the tools never read it themselves
 * when running a program file (omni-jit FILE reads FILE; only `omni-jit -`
 * and piped REPL input take their program from stdin, which then reads as
 * empty).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POSIX read and poll under -std=c11 */
#endif
#include "b_common.h"
#include "rt_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A String argument as a C string; a NUL byte inside would silently cut
 * the path short, so it is an error. */
static const char *want_cstr(const OmniLoc *loc, const char *who, OVal v)
{
    OString *s = omni_want_string(loc, who, v);
    if ((int64_t)strlen(s->data) != s->len)
        omni_raise(loc, "%s: the name contains a NUL byte", who);
    return s->data;
}

/* ---- command-line-args, getenv ---- */

/* The words after the program: argv[1..] as omni_rt_init received it (the
 * tools put the program file, or their own name, at argv[0]).  A fresh
 * list of fresh strings at every call, so the caller may keep it anywhere. */
OVal omni_b_command_line_args(Region *r, const OmniLoc *loc)
{
    (void)loc;
    int argc = omni_rt_argc();
    char **argv = omni_rt_argv();
    OmniListBuild b;
    omni_lbuild_init(&b);
    for (int i = 1; i < argc && argv; i++)
        omni_lbuild_push(r, &b, omni_make_string(r, argv[i], (int64_t)strlen(argv[i])));
    return b.head;
}

OVal omni_b_getenv(Region *r, const OmniLoc *loc, OVal name)
{
    const char *v = getenv(want_cstr(loc, "getenv", name));
    return v ? omni_make_string(r, v, (int64_t)strlen(v)) : OMNI_NOTHING;
}

/* ---- read-line ---- */

/* Standard input is read here at the level of file descriptor 0, not
 * through stdio: before each read the wait for input is a poll(), which a
 * signal always interrupts (poll is never restarted, SA_RESTART or not), so
 * a Ctrl-C can end the wait.  Waiting on the descriptor is only right when
 * nothing is buffered above it, and stdio has no portable way to tell; so
 * the bytes read after the line's end are kept here, in in_buf, for the
 * next read-line.  Nothing else in the runtime reads stdin (the tools read
 * all of it through stdio, to its end, when it holds the program). */
static char *in_buf;
static size_t in_pos, in_len, in_cap;     /* unread bytes: in_buf[in_pos..in_len) */
static bool (*interrupt_poll)(void);

void omni_set_interrupt_poll(bool (*fn)(void))
{
    interrupt_poll = fn;
}

bool omni_take_interrupt(void)
{
    return interrupt_poll && interrupt_poll();
}

/* Waits until fd 0 can be read (or fails: the read reports why).  A signal
 * ends poll's wait with EINTR; if it was an interrupt the embedder had
 * pending, the wait ends with the runtime error "interrupted" — raised from
 * here, a safe point: no lock held, nothing half-built (in_buf is intact). */
static void stdin_wait(const OmniLoc *loc)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    while (poll(&p, 1, -1) < 0) {
        if (errno != EINTR)
            return;
        if (interrupt_poll && interrupt_poll())
            omni_raise(loc, "interrupted");
    }
}

/* Reads more of fd 0 into in_buf: the count read, 0 at the end of input. */
static ssize_t stdin_fill(const OmniLoc *loc)
{
    if (in_pos > 0) {   /* move the unread bytes to the front */
        memmove(in_buf, in_buf + in_pos, in_len - in_pos);
        in_len -= in_pos;
        in_pos = 0;
    }
    if (in_cap - in_len < 4096) {
        size_t cap = in_cap ? in_cap * 2 : 8192;
        char *b = realloc(in_buf, cap);
        if (!b)
            omni_raise(loc, "read-line: out of memory");
        in_buf = b;
        in_cap = cap;
    }
    for (;;) {
        stdin_wait(loc);
        ssize_t n = read(STDIN_FILENO, in_buf + in_len, in_cap - in_len);
        if (n >= 0) {
            in_len += (size_t)n;
            return n;
        }
        if (errno != EINTR && errno != EAGAIN)
            omni_raise(loc, "read-line: cannot read standard input: %s", strerror(errno));
    }
}

/* The next line of stdin without its "\n" or "\r\n"; nothing at the end.
 * Pending output is flushed first, so a prompt printed with `print` shows
 * before the read waits.  The end of input is not remembered: at a
 * terminal, input may go on after a Ctrl-D (as in the REPL). */
OVal omni_b_read_line(Region *r, const OmniLoc *loc)
{
    omni_out_flush();
    size_t scanned = in_pos;
    char *nl;
    for (;;) {
        nl = in_len > scanned ? memchr(in_buf + scanned, '\n', in_len - scanned) : NULL;
        if (nl)
            break;
        scanned = in_len - in_pos;   /* stdin_fill moves the bytes to the front */
        if (stdin_fill(loc) == 0) {
            if (in_len == in_pos)
                return OMNI_NOTHING;
            nl = in_buf + in_len;    /* a last line without "\n" */
            break;
        }
    }
    char *line = in_buf + in_pos;
    size_t n = (size_t)(nl - line);
    in_pos = nl < in_buf + in_len ? (size_t)(nl - in_buf) + 1 : in_len;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    return omni_make_string(r, line, (int64_t)n);
}

/* ---- files ---- */

OVal omni_b_read_file(Region *r, const OmniLoc *loc, OVal path)
{
    const char *p = want_cstr(loc, "read-file", path);
    FILE *f = fopen(p, "rb");
    if (!f)
        omni_raise(loc, "read-file: cannot open \"%s\": %s", p, strerror(errno));
    struct stat st;
    size_t cap = 4096;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;   /* +1: the final read sees the end */
    char *buf = malloc(cap);
    size_t len = 0;
    int err = buf ? 0 : ENOMEM;
    errno = 0;
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) {
            if (ferror(f))
                err = errno ? errno : EIO;
            break;
        }
        char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (!nb) {
            err = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (err) {
        free(buf);
        omni_raise(loc, "read-file: cannot read \"%s\": %s", p, strerror(err));
    }
    OVal s = omni_make_string(r, buf, (int64_t)len);
    free(buf);
    return s;
}

/* write-file and append-file: the whole string, then a checked fclose
 * (a full disk may show only there). */
static OVal put_file(const OmniLoc *loc, const char *who, const char *mode, OVal path, OVal text)
{
    const char *p = want_cstr(loc, who, path);
    OString *s = omni_want_string(loc, who, text);
    FILE *f = fopen(p, mode);
    if (!f)
        omni_raise(loc, "%s: cannot open \"%s\": %s", who, p, strerror(errno));
    errno = 0;
    size_t w = fwrite(s->data, 1, (size_t)s->len, f);
    int err = w < (size_t)s->len ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && err == 0)
        err = errno ? errno : EIO;
    if (err)
        omni_raise(loc, "%s: cannot write \"%s\": %s", who, p, strerror(err));
    return OMNI_NOTHING;
}

OVal omni_b_write_file(Region *r, const OmniLoc *loc, OVal path, OVal text)
{
    (void)r;
    return put_file(loc, "write-file", "wb", path, text);
}

OVal omni_b_append_file(Region *r, const OmniLoc *loc, OVal path, OVal text)
{
    (void)r;
    return put_file(loc, "append-file", "ab", path, text);
}

/* True when anything (a file, a directory, ...) is at the path. */
OVal omni_b_file_existsp(Region *r, const OmniLoc *loc, OVal path)
{
    (void)r;
    struct stat st;
    return stat(want_cstr(loc, "file-exists?", path), &st) == 0 ? OMNI_TRUE : OMNI_FALSE;
}

/* ---- exit ---- */

/* (exit) or (exit n), n an Int in 0..255: the runtime's shut-down (output
 * flushed, region statistics if asked for), then the process ends with
 * status n — from a script, an executable or the REPL alike. */
OVal omni_bv_exit(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    (void)r;
    int64_t n = 0;
    if (argc == 1) {
        n = omni_want_fix(loc, "exit", argv[0]);
        if (n < 0 || n > 255)
            omni_raise(loc, "exit: status %lld is not in 0..255", (long long)n);
    }
    omni_rt_fini();
    fflush(NULL);
    exit((int)n);
}
