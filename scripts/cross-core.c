// Cross-core transfer speed of this machine, over time, without the JVM or JCCL: is a slow shared-memory collective
// the machine's? Two threads pinned to CPUs A and B (default 0 and 1) take turns, and for every 0.5 s it prints
//   handoff  - one 64 KiB message: A writes it into a buffer and raises a flag, B copies it out and answers (us);
//   pingpong - a cache-line flag bounced A -> B -> A, half the round trip (ns);
//   local    - the same two 64 KiB copies on CPU A alone (us), the machine's speed without a second core.
// A shared-memory all-reduce between two ranks is such handoffs in both directions plus a reduction; when handoff
// and pingpong jump 3-4x while local does not, the cores' link is slower (on a virtual machine: where the host placed
// its virtual CPUs), and every collective between those cores is slower with it.
//
// Build and run:  gcc -O2 -Wall -pthread scripts/cross-core.c -o /tmp/cross-core && /tmp/cross-core 60 [A B]
// Output: one line per 0.5 s: seconds since start, handoff (us), pingpong (ns), local (us).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEN (64 * 1024)
#define STOP (-1L)

static char *src, *buf, *dst;
static _Atomic long ask __attribute__((aligned(128)));    // round A asks for (STOP: end)
static _Atomic long answer __attribute__((aligned(128))); // round B answered
static _Atomic int copying;                               // 1: B copies buf out before answering
static int cpuB = 1;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
    if (rc != 0) {
        fprintf(stderr, "cross-core: cannot pin to CPU %d: %s (this machine has %ld CPUs online)\n", cpu, strerror(rc),
                sysconf(_SC_NPROCESSORS_ONLN));
        exit(2);
    }
}

/** The number in {@code arg}, or exit with a usage line naming {@code what}. */
static double number(const char *arg, const char *what) {
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || v < 0) {
        fprintf(stderr, "cross-core: %s must be a number of at least 0, not '%s'\nusage: cross-core [SECONDS [CPU_A CPU_B]]\n",
                what, arg);
        exit(2);
    }
    return v;
}

static void *partner(void *unused) {
    (void) unused;
    pin(cpuB);
    for (long r = 1;; r++) {
        long v;
        while ((v = atomic_load_explicit(&ask, memory_order_acquire)) < r && v != STOP) {
        }
        if (v == STOP) {
            return NULL;
        }
        if (atomic_load_explicit(&copying, memory_order_relaxed)) {
            memcpy(dst, buf, LEN);
        }
        atomic_store_explicit(&answer, r, memory_order_release);
    }
}

/** Mean seconds of a round over {@code seconds} of rounds, A writing the message first when {@code message}. */
static double rounds(long *r, double seconds, int message) {
    atomic_store(&copying, message);
    double t0 = now();
    long n = 0;
    for (; n % 100 != 0 || now() - t0 < seconds; n++) {
        long me = ++*r;
        if (message) {
            memcpy(buf, src, LEN);
        }
        atomic_store_explicit(&ask, me, memory_order_release);
        while (atomic_load_explicit(&answer, memory_order_acquire) < me) {
        }
    }
    return (now() - t0) / n;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? number(argv[1], "SECONDS") : 60;
    int cpuA = argc > 2 ? (int) number(argv[2], "CPU_A") : 0;
    cpuB = argc > 3 ? (int) number(argv[3], "CPU_B") : 1;
    if (argc == 3 || argc > 4 || cpuA == cpuB) {
        fprintf(stderr, "cross-core: give two different CPUs (or none: 0 and 1)\nusage: cross-core [SECONDS [CPU_A CPU_B]]\n");
        return 2;
    }
    src = aligned_alloc(4096, LEN);
    buf = aligned_alloc(4096, LEN);
    dst = aligned_alloc(4096, LEN);
    memset(src, 1, LEN);
    memset(buf, 0, LEN);
    memset(dst, 0, LEN);
    pthread_t t;
    pthread_create(&t, NULL, partner, NULL);
    pin(cpuA);
    printf("# CPUs %d and %d; every 0.5 s: seconds, 64 KiB handoff (us), ping-pong (ns), two local 64 KiB copies (us)\n",
           cpuA, cpuB);
    long r = 0;
    double start = now();
    while (now() - start < seconds) {
        double hand = rounds(&r, 0.25, 1);
        double pp = rounds(&r, 0.2, 0) / 2;
        double t0 = now();
        long n = 0;
        for (; n % 100 != 0 || now() - t0 < 0.05; n++) {
            memcpy(buf, src, LEN);
            memcpy(dst, buf, LEN);
            __asm__ volatile("" : : "r"(dst) : "memory");
        }
        double local = (now() - t0) / n;
        printf("%7.2f  handoff %6.1f us  pingpong %5.0f ns  local %5.2f us\n", now() - start, hand * 1e6, pp * 1e9,
               local * 1e6);
        fflush(stdout);
    }
    atomic_store_explicit(&ask, STOP, memory_order_release);
    pthread_join(t, NULL);
    return 0;
}
