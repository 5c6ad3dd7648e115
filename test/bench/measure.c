/* measure.c — run a command and report its wall time and peak RSS.
 *
 *   measure RESULT-FILE TIMEOUT-SECONDS COMMAND [ARG...]
 * writes "<exit status or -signal> <ru_maxrss KiB> <seconds> <timed-out 0/1>"
 * to RESULT-FILE.  run.py uses it instead of spawning the benchmark itself
 * because a process started from Python starts life sharing (vfork) or
 * copying (fork) the interpreter's memory, and Linux folds that address
 * space's high-water RSS into the child's ru_maxrss at exec: every reading
 * would be at least Python's own size.  This launcher is a few hundred KiB. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    kill(child, SIGKILL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure RESULT-FILE TIMEOUT-SECONDS COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("measure: fork");
        return 2;
    }
    if (child == 0) {
        execvp(argv[3], argv + 3);
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)atoi(argv[2]));

    int status;
    struct rusage ru;
    while (wait4(child, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("measure: result file");
        return 2;
    }
    fprintf(f, "%d %ld %.6f %d\n", code, ru.ru_maxrss, secs, (int)timed_out);
    fclose(f);
    return 0;
}
