/* sockbench: a load generator for the control socket, and the reference it is measured against.
 *
 *   sockbench -s SOCKET [-c CLIENTS] [-n REQUESTS | -t SECONDS] [-r REQUEST]
 *             [--half N] [--slow N]
 *   sockbench --echo [-c CLIENTS] [-n REQUESTS]
 *   sockbench (-s SOCKET | --echo) --rate RATE [-c CLIENTS] [-t SECONDS] [-r REQUEST]
 *
 * CLIENTS threads each do connect + send one request line + read the reply line + close, one
 * after the other, REQUESTS times (or for SECONDS); every round trip is timed from before
 * connect() to the reply's newline. --echo runs the same clients against a trivial echo
 * server in a thread of this process (blocking, one connection at a time, a reply of the size
 * of a status reply): the floor any unix-socket server can reach on this machine.
 *
 * --rate RATE is the open loop: the CLIENTS threads together send RATE requests per second for
 * SECONDS (default 10), each on a fixed schedule (one request every CLIENTS/RATE seconds, from a
 * random phase), each request a fresh connection (connect, send, read the reply, close). A
 * request's latency runs from its scheduled send time to the reply's newline, so a client that
 * falls behind (its previous request still running, or its thread not scheduled in time) counts
 * the wait too (no coordinated omission). Each client has at most one request in flight, like
 * the real clients; a client that falls behind by more than a period sends at once until it has
 * caught up. Requests scheduled in the first 10 % of the run are warm-up and not counted.
 *
 * --half N adds N peers that send half a request line and wait; --slow N adds N peers that
 * send the request one byte per second. Both should be dropped by the server's timeout; the
 * time from connect to the server closing them is reported.
 *
 * Output: one line of key=value pairs (times in microseconds, drop times in milliseconds):
 *   requests= errors= p50_us= p99_us= max_us= rps= [half_dropped= half_drop_min_ms=
 *   half_drop_max_ms= slow_dropped= slow_drop_min_ms= slow_drop_max_ms=]
 * and with --rate also: p999_us= target_rps= lag_p99_us= lag_max_us= sent_p99_us= cpu_ms= (lag:
 * actual send start after the scheduled time, the load generator's own lateness; sent_p99: the
 * p99 timed from the actual send start instead, lateness left out; cpu_ms: the CPU time of
 * this process, echo server included; rps= is requests answered per second of the measured
 * window).
 * Exit 0 when every request was answered with a line starting "OK", 1 otherwise. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 4096

static const char *opt_socket;
static int opt_clients = 100;
static long opt_requests = 200;
static double opt_seconds;
static const char *opt_request = "status";
static int opt_half, opt_slow;
static double opt_rate; /* > 0: open loop, total requests per second */
static int64_t ol_start, ol_measure, ol_end; /* open loop: ns on CLOCK_MONOTONIC */

static atomic_bool stop;
static atomic_long errors;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A full backlog makes a blocking connect wait; that wait is part of the round trip. */
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Read until a newline; true if a whole line starting "OK" arrived. */
static bool read_reply(int fd)
{
    char buf[REPLY_MAX];
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
        if (memchr(buf, '\n', got))
            return got >= 2 && buf[0] == 'O' && buf[1] == 'K';
    }
    return false;
}

typedef struct {
    const char *path;
    int64_t *lat; /* ns */
    size_t n, cap;
    int64_t *lag; /* open loop: ns from the scheduled time to the actual send start */
    size_t nlag, caplag;
    int64_t *sent; /* open loop: ns from the actual send start to the reply */
    size_t nsent, capsent;
    unsigned index;
} Client;

static void push(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v)
            abort();
    }
    (*v)[(*n)++] = x;
}

static void client_add(Client *c, int64_t ns)
{
    push(&c->lat, &c->n, &c->cap, ns);
}

static void *client_thread(void *p)
{
    Client *c = p;
    char line[256];
    int len = snprintf(line, sizeof line, "%s\n", opt_request);
    for (long i = 0; opt_seconds > 0 ? !atomic_load(&stop) : i < opt_requests; i++) {
        int64_t t0 = now_ns();
        int fd = connect_to(c->path);
        if (fd < 0) {
            atomic_fetch_add(&errors, 1);
            usleep(1000);
            continue;
        }
        bool ok = write_all(fd, line, (size_t)len) && read_reply(fd);
        close(fd);
        if (!ok) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        client_add(c, now_ns() - t0);
    }
    return NULL;
}

static void sleep_until(int64_t t)
{
    struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* splitmix64: the random phase of each client */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void *open_loop_thread(void *p)
{
    Client *c = p;
    char line[256];
    int len = snprintf(line, sizeof line, "%s\n", opt_request);
    int64_t period = (int64_t)((double)opt_clients * 1e9 / opt_rate);
    if (period < 1)
        period = 1;
    uint64_t seed = mix64((uint64_t)now_ns() ^ ((uint64_t)c->index << 32));
    int64_t sched = ol_start + (int64_t)(seed % (uint64_t)period);
    for (; sched < ol_end; sched += period) {
        sleep_until(sched);
        int64_t t_send = now_ns();
        bool measured = sched >= ol_measure;
        int fd = connect_to(c->path);
        bool ok = fd >= 0 && write_all(fd, line, (size_t)len) && read_reply(fd);
        int64_t t_reply = now_ns();
        if (fd >= 0)
            close(fd);
        if (!measured)
            continue;
        if (!ok) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        client_add(c, t_reply - sched);
        push(&c->lag, &c->nlag, &c->caplag, t_send - sched);
        push(&c->sent, &c->nsent, &c->capsent, t_reply - t_send);
    }
    return NULL;
}

/* A peer that misbehaves: sends half a line (or one byte per second) and waits to be dropped. */
typedef struct {
    const char *path;
    bool slow;
    int64_t dropped_ns; /* connect until the server closed; 0 if never */
} Staller;

static void *staller_thread(void *p)
{
    Staller *s = p;
    const char *req = "status\n";
    int fd = connect_to(s->path);
    if (fd < 0)
        return NULL;
    int64_t t0 = now_ns();
    size_t sent = 0;
    if (!s->slow) {
        (void)write_all(fd, req, 3); /* "sta" */
        sent = 3;
    }
    /* Wait at most 30 s; the server's own limit is much shorter. */
    while (now_ns() - t0 < 30 * 1000000000LL) {
        if (s->slow && sent < strlen(req) - 1) {
            /* Never the newline: the line stays incomplete however long the server waits. */
            if (!write_all(fd, req + sent, 1))
                break;
            sent++;
        }
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, s->slow ? 1000 : 30000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0) {
            char b[64];
            ssize_t n = read(fd, b, sizeof b);
            if (n <= 0)
                break; /* closed by the server */
        }
    }
    s->dropped_ns = now_ns() - t0;
    close(fd);
    return NULL;
}

/* The reference: the least a unix-socket request/reply server can do. */
static char echo_path[108];
static int echo_fd = -1;

static void *echo_thread(void *p)
{
    /* As long as a status reply, so that both servers move the same bytes. */
    static const char reply[] = "OK state=READY session=- guided=0 volunteer=- time_left=-1 idle_left=-1 "
                                "idle_timeout=900 idle_warning=60 idle_report_interval=30 warn=0 "
                                "last_wipe=1700000000 verified=1 lang=nb\n";
    (void)p;
    for (;;) {
        int c = accept4(echo_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;
        }
        char buf[REPLY_MAX];
        size_t got = 0;
        while (got < sizeof buf) {
            ssize_t n = read(c, buf + got, sizeof buf - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            if (memchr(buf, '\n', got)) {
                (void)write_all(c, reply, sizeof reply - 1);
                break;
            }
        }
        close(c);
    }
}

static int start_echo(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(echo_path, sizeof echo_path, "/tmp/sockbench-echo.%d.sock", (int)getpid());
    (void)unlink(echo_path);
    strcpy(sa.sun_path, echo_path);
    echo_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* The same backlog as rentarkd's listen(). */
    if (echo_fd < 0 || bind(echo_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(echo_fd, 64) < 0) {
        perror("sockbench: echo server");
        return -1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, echo_thread, NULL) != 0)
        return -1;
    pthread_detach(t);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t percentile(const int64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sockbench (-s SOCKET | --echo) [-c CLIENTS] [-n REQUESTS | -t SECONDS] [-r REQUEST] "
               "[--half N] [--slow N]\n"
               "       sockbench (-s SOCKET | --echo) --rate REQUESTS_PER_SECOND [-c CLIENTS] [-t SECONDS] "
               "[-r REQUEST]\n");
}

static void drop_stats(const char *name, const Staller *s, int n, bool slow)
{
    int dropped = 0;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].slow != slow || s[i].dropped_ns == 0 || s[i].dropped_ns >= 30 * 1000000000LL)
            continue;
        dropped++;
        lo = s[i].dropped_ns < lo ? s[i].dropped_ns : lo;
        hi = s[i].dropped_ns > hi ? s[i].dropped_ns : hi;
    }
    printf(" %s_dropped=%d %s_drop_min_ms=%lld %s_drop_max_ms=%lld", name, dropped, name,
           dropped ? (long long)(lo / 1000000) : -1LL, name, dropped ? (long long)(hi / 1000000) : -1LL);
}

int main(int argc, char **argv)
{
    enum { OPT_ECHO = 256, OPT_HALF, OPT_SLOW, OPT_RATE };
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' }, { "clients", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'n' }, { "seconds", required_argument, NULL, 't' },
        { "request", required_argument, NULL, 'r' }, { "echo", no_argument, NULL, OPT_ECHO },
        { "half", required_argument, NULL, OPT_HALF }, { "slow", required_argument, NULL, OPT_SLOW },
        { "rate", required_argument, NULL, OPT_RATE },
        {},
    };
    bool echo = false;
    int c;
    while ((c = getopt_long(argc, argv, "s:c:n:t:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': opt_socket = optarg; break;
        case 'c': opt_clients = atoi(optarg); break;
        case 'n': opt_requests = atol(optarg); break;
        case 't': opt_seconds = atof(optarg); break;
        case 'r': opt_request = optarg; break;
        case OPT_ECHO: echo = true; break;
        case OPT_HALF: opt_half = atoi(optarg); break;
        case OPT_SLOW: opt_slow = atoi(optarg); break;
        case OPT_RATE: opt_rate = atof(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || echo == (opt_socket != NULL) || opt_clients < 1 || opt_clients > 4096 || opt_half < 0 ||
        opt_slow < 0 || opt_half + opt_slow > 4096 || strlen(opt_request) > 200 || opt_rate < 0 ||
        (opt_rate > 0 && (opt_half + opt_slow > 0 || opt_rate > 1e6 || opt_seconds < 0))) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (echo) {
        if (start_echo() < 0)
            return 1;
        opt_socket = echo_path;
    }

    int ns = opt_half + opt_slow;
    Staller *st = calloc((size_t)ns + 1, sizeof *st);
    pthread_t *sth = calloc((size_t)ns + 1, sizeof *sth);
    Client *cl = calloc((size_t)opt_clients, sizeof *cl);
    pthread_t *th = calloc((size_t)opt_clients, sizeof *th);
    if (!st || !sth || !cl || !th)
        abort();
    /* Small stacks: hundreds of threads that each hold a few kilobytes. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < ns; i++) {
        st[i] = (Staller){ .path = opt_socket, .slow = i >= opt_half };
        if (pthread_create(&sth[i], &attr, staller_thread, &st[i]) != 0)
            abort();
    }
    if (ns > 0)
        usleep(200 * 1000); /* the stallers are connected before the measured clients start */

    if (opt_rate > 0) {
        /* Every thread is created before the schedule starts; the first 10 % is warm-up. */
        double secs = opt_seconds > 0 ? opt_seconds : 10;
        ol_start = now_ns() + 100 * 1000000LL + (int64_t)opt_clients * 200000;
        ol_measure = ol_start + (int64_t)(secs * 0.1e9);
        ol_end = ol_start + (int64_t)(secs * 1e9);
    }
    int64_t t0 = now_ns();
    for (int i = 0; i < opt_clients; i++) {
        cl[i].path = opt_socket;
        cl[i].index = (unsigned)i;
        if (pthread_create(&th[i], &attr, opt_rate > 0 ? open_loop_thread : client_thread, &cl[i]) != 0)
            abort();
    }
    if (opt_seconds > 0 && opt_rate <= 0) {
        usleep((useconds_t)(opt_seconds * 1e6));
        atomic_store(&stop, true);
    }
    size_t total = 0;
    for (int i = 0; i < opt_clients; i++) {
        pthread_join(th[i], NULL);
        total += cl[i].n;
    }
    int64_t elapsed = opt_rate > 0 ? ol_end - ol_measure : now_ns() - t0;
    for (int i = 0; i < ns; i++)
        pthread_join(sth[i], NULL);

    int64_t *all = malloc((total + 1) * sizeof *all);
    if (!all)
        abort();
    size_t k = 0;
    for (int i = 0; i < opt_clients; i++) {
        memcpy(all + k, cl[i].lat, cl[i].n * sizeof *all);
        k += cl[i].n;
        free(cl[i].lat);
    }
    qsort(all, total, sizeof *all, cmp_i64);
    printf("requests=%zu errors=%ld p50_us=%lld p99_us=%lld max_us=%lld rps=%lld", total, atomic_load(&errors),
           (long long)(percentile(all, total, 0.50) / 1000), (long long)(percentile(all, total, 0.99) / 1000),
           (long long)(total ? all[total - 1] / 1000 : 0), (long long)(elapsed > 0 ? (double)total * 1e9 / (double)elapsed : 0));
    if (opt_rate > 0) {
        printf(" p999_us=%lld target_rps=%lld", (long long)(percentile(all, total, 0.999) / 1000),
               (long long)(opt_rate + 0.5));
        size_t nl = 0;
        for (int i = 0; i < opt_clients; i++)
            nl += cl[i].nlag; /* == nsent */
        int64_t *lag = malloc((nl + 1) * sizeof *lag), *sent = malloc((nl + 1) * sizeof *sent);
        if (!lag || !sent)
            abort();
        k = 0;
        for (int i = 0; i < opt_clients; i++) {
            if (cl[i].nlag) {
                memcpy(lag + k, cl[i].lag, cl[i].nlag * sizeof *lag);
                memcpy(sent + k, cl[i].sent, cl[i].nlag * sizeof *sent);
            }
            k += cl[i].nlag;
            free(cl[i].lag);
            free(cl[i].sent);
        }
        qsort(lag, nl, sizeof *lag, cmp_i64);
        qsort(sent, nl, sizeof *sent, cmp_i64);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long long cpu_ms = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
        printf(" lag_p99_us=%lld lag_max_us=%lld sent_p99_us=%lld cpu_ms=%lld",
               (long long)(percentile(lag, nl, 0.99) / 1000), (long long)(nl ? lag[nl - 1] / 1000 : 0),
               (long long)(percentile(sent, nl, 0.99) / 1000), cpu_ms);
        free(lag);
        free(sent);
    }
    if (opt_half)
        drop_stats("half", st, ns, false);
    if (opt_slow)
        drop_stats("slow", st, ns, true);
    printf("\n");
    if (echo)
        (void)unlink(echo_path);
    free(all);
    free(st);
    free(sth);
    free(cl);
    free(th);
    return atomic_load(&errors) == 0 && total > 0 ? 0 : 1;
}
