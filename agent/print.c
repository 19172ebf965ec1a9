/* Private printing: the guest's jobs on the CUPS server and in its spool, through libcups. */
#include "print.h"

#include "util.h"

#include <cups/cups.h>
#include <cups/file.h>
#include <cups/http.h>
#include <cups/ipp.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long one wait on the socket lasts before the deadline is looked at again. */
#define PRINT_WAIT_SLICE_S 0.25

typedef struct {
    long long deadline_ns;
} Deadline;

static long long deadline_left_ms(const Deadline *d)
{
    long long left = (d->deadline_ns - rk_now_ns()) / 1000000;
    return left > 0 ? left : 0;
}

/* libcups calls this each time a wait on the socket has lasted PRINT_WAIT_SLICE_S: go on
 * waiting only while the deadline is ahead. This is what bounds a server that accepts the
 * connection and then never answers. */
static int print_timeout_cb(http_t *http, void *data)
{
    return deadline_left_ms(data) > 0;
}

/* No password is ever asked for: a prompt would wait on a terminal the daemon does not have. */
static const char *print_no_password(const char *prompt, http_t *http, const char *method, const char *resource,
                                     void *data)
{
    return NULL;
}

/* The IPP status of a reply, or the transport's failure, as 0 / -errno. */
static int print_status(http_t *http, ipp_t *resp)
{
    ipp_status_t s = resp ? ippGetStatusCode(resp) : cupsLastError();
    if (!resp && (httpError(http) == ETIMEDOUT || httpError(http) == EAGAIN))
        return -ETIMEDOUT;
    if (s <= IPP_STATUS_OK_EVENTS_COMPLETE)
        return 0;
    switch (s) {
    case IPP_STATUS_ERROR_NOT_FOUND:
        return -ENOENT;
    case IPP_STATUS_ERROR_FORBIDDEN:
    case IPP_STATUS_ERROR_NOT_AUTHENTICATED:
    case IPP_STATUS_ERROR_NOT_AUTHORIZED:
    case IPP_STATUS_ERROR_CUPS_AUTHENTICATION_CANCELED:
        return -EACCES;
    default:
        return -EIO;
    }
}

/* One request and its reply; req is consumed. Each request gets the time that is left. */
static ipp_t *print_request(http_t *http, ipp_t *req, const char *resource, const Deadline *d, int *ret_r)
{
    if (deadline_left_ms(d) == 0) {
        ippDelete(req);
        *ret_r = -ETIMEDOUT;
        return NULL;
    }
    ipp_t *resp = cupsDoRequest(http, req, resource);
    *ret_r = print_status(http, resp);
    if (*ret_r == 0 && deadline_left_ms(d) == 0 && !resp)
        *ret_r = -ETIMEDOUT;
    return resp;
}

/* Every job of every printer, completed ones too: the ids of user's jobs into ids (an array
 * of int). Only the id and the owner are asked for; never the title or a file name. A job
 * whose owner the server does not show counts in *ret_hidden. */
static int print_list(http_t *http, const char *me, const char *user, const Deadline *d, GArray *ids,
                      uint64_t *ret_hidden)
{
    static const char *const attrs[] = { "job-id", "job-originating-user-name" };
    ipp_t *req = ippNewRequest(IPP_OP_GET_JOBS);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, "ipp://localhost/");
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, me);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "which-jobs", NULL, "all");
    ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", (int)G_N_ELEMENTS(attrs), NULL,
                  attrs);
    int r;
    ipp_t *resp = print_request(http, req, "/", d, &r);
    g_array_set_size(ids, 0);
    *ret_hidden = 0;
    if (r == -ENOENT) { /* no job at all */
        ippDelete(resp);
        return 0;
    }
    if (r < 0) {
        ippDelete(resp);
        return r;
    }
    /* Jobs come as groups of attributes; libcups puts a nameless separator between two. */
    int id = 0;
    const char *owner = NULL;
    bool in_job = false;
    for (ipp_attribute_t *a = ippFirstAttribute(resp);; a = ippNextAttribute(resp)) {
        const char *name = a ? ippGetName(a) : NULL;
        if (!a || !name || ippGetGroupTag(a) != IPP_TAG_JOB) {
            if (in_job && id > 0) {
                if (!owner)
                    (*ret_hidden)++;
                else if (strcmp(owner, user) == 0)
                    g_array_append_val(ids, id);
            }
            in_job = false, id = 0, owner = NULL;
            if (!a)
                break;
            continue;
        }
        in_job = true;
        ipp_tag_t tag = ippGetValueTag(a);
        if (strcmp(name, "job-id") == 0 && tag == IPP_TAG_INTEGER)
            id = ippGetInteger(a, 0);
        else if (strcmp(name, "job-originating-user-name") == 0 && (tag == IPP_TAG_NAME || tag == IPP_TAG_NAMELANG))
            owner = ippGetString(a, 0, NULL);
    }
    ippDelete(resp);
    return 0;
}

/* Cancel-Job with purge-job=true: the server stops the job if it is printing, and forgets it
 * with its files and its history entry. Root may do it for any job (cupsd's @SYSTEM, and
 * root authenticated by its peer credentials); a job that is already gone is not an error. */
static int print_cancel(http_t *http, const char *me, int id, const Deadline *d)
{
    char uri[64];
    snprintf(uri, sizeof uri, "ipp://localhost/jobs/%d", id);
    ipp_t *req = ippNewRequest(IPP_OP_CANCEL_JOB);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", NULL, uri);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, me);
    ippAddBoolean(req, IPP_TAG_OPERATION, "purge-job", 1);
    int r;
    ipp_t *resp = print_request(http, req, "/jobs/", d, &r);
    ippDelete(resp);
    return r;
}

static void print_add_ids(GHashTable *set, const GArray *ids)
{
    if (!set)
        return;
    for (guint i = 0; i < ids->len; i++)
        g_hash_table_add(set, GINT_TO_POINTER(g_array_index(ids, int, i)));
}

/* Whether a socket is there to connect to; a missing or refused one means no server runs. */
static bool print_no_server(int err)
{
    return err == ENOENT || err == ECONNREFUSED || err == ENOTDIR;
}

static int print_converse(http_t *http, const char *me, const char *user, PrintFlags flags, const Deadline *d,
                          GHashTable *ret_ids, PrintServerResult *ret)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));
    uint64_t hidden = 0;
    int r = print_list(http, me, user, d, ids, &hidden);
    if (r < 0)
        return r;
    ret->reached = true;
    ret->jobs_found = ids->len;
    ret->jobs_left = ids->len;
    print_add_ids(ret_ids, ids);
    /* A job whose owner the server hides cannot be judged: fail closed. */
    if (hidden > 0)
        return -EACCES;
    if (!(flags & PRINT_CANCEL) || ids->len == 0)
        return 0;

    int first = 0;
    for (guint i = 0; i < ids->len; i++) {
        r = print_cancel(http, me, g_array_index(ids, int, i), d);
        if (r == 0)
            ret->jobs_cancelled++;
        else if (r != -ENOENT)
            RK_KEEP_FIRST(first, r);
        if (r == -ETIMEDOUT)
            return r;
    }
    /* A job that was printing is purged once its filters have stopped: wait for that, within
     * the time left, so that the verification finds the server holding nothing of the guest. */
    for (;;) {
        r = print_list(http, me, user, d, ids, &hidden);
        if (r < 0)
            return r;
        print_add_ids(ret_ids, ids);
        ret->jobs_left = ids->len;
        if (ids->len == 0)
            return first;
        if (deadline_left_ms(d) < 100)
            return first < 0 ? first : -ENOTEMPTY;
        g_usleep(100 * 1000);
    }
}

int print_server_purge(const char *server, const char *user, PrintFlags flags, int timeout_ms, GHashTable *ret_ids,
                       PrintServerResult *ret)
{
    Deadline d = { .deadline_ns = rk_now_ns() + (long long)timeout_ms * 1000000 };
    struct stat st;

    *ret = (PrintServerResult){ 0 };
    if (!server || !*server || !user || !*user)
        return -EINVAL;
    /* Only a unix socket is asked: the configuration is root's, and no request leaves the PC. */
    if (server[0] != '/')
        return -EINVAL;
    if (stat(server, &st) < 0)
        return print_no_server(errno) ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;

    /* The name the server authenticates us by: the caller's own (root's), never the guest's. */
    char pwbuf[1024];
    struct passwd pw, *pwp = NULL;
    if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &pwp) != 0 || !pwp)
        return -ENOENT;
    g_autofree char *me = g_strdup(pw.pw_name);

    /* libcups keeps these per thread; they are put back before returning. */
    cupsSetServer(server);
    cupsSetUser(me);
    cupsSetPasswordCB2(print_no_password, NULL);

    int r;
    http_t *http = httpConnect2(server, 631, NULL, AF_UNSPEC, HTTP_ENCRYPTION_IF_REQUESTED, 1,
                                (int)deadline_left_ms(&d), NULL);
    if (!http) {
        r = errno ? errno : ECONNREFUSED;
        r = print_no_server(r) ? 0 : -r;
    } else {
        ret->connected = true;
        httpSetTimeout(http, PRINT_WAIT_SLICE_S, print_timeout_cb, &d);
        /* Authenticate by the socket's peer credentials from the first request on: the server
         * checks that our uid is the name's (SO_PEERCRED). Unauthenticated, cupsd would hide
         * the owner of every job (JobPrivateValues). */
        httpSetAuthString(http, "PeerCred", me);
        r = print_converse(http, me, user, flags, &d, ret_ids, ret);
        httpClose(http);
    }
    cupsSetPasswordCB2(NULL, NULL);
    cupsSetUser(NULL);
    cupsSetServer(NULL);
    return r;
}

static ssize_t print_file_read(void *context, ipp_uchar_t *buffer, size_t bytes)
{
    return cupsFileRead(context, (char *)buffer, bytes);
}

int print_control_file_owner(int dirfd, const char *name, const char *user)
{
    struct stat st;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > PRINT_CONTROL_MAX) {
        close(fd);
        return S_ISREG(st.st_mode) ? -EBADMSG : 0;
    }
    cups_file_t *fp = cupsFileOpenFd(fd, "r"); /* owns fd from here on */
    if (!fp) {
        close(fd);
        return -ENOMEM;
    }
    /* The bytes are cupsd's; libcups parses them (and bounds every value it reads). */
    ipp_t *ipp = ippNew();
    ipp_state_t s = ippReadIO(fp, print_file_read, 1, NULL, ipp);
    cupsFileClose(fp);
    /* What was read before an error still counts: a truncated file that names the guest is
     * the guest's. */
    ipp_attribute_t *a = ippFindAttribute(ipp, "job-originating-user-name", IPP_TAG_NAME);
    const char *owner = a ? ippGetString(a, 0, NULL) : NULL;
    int r = owner ? strcmp(owner, user) == 0 : s == IPP_STATE_ERROR ? -EBADMSG : 0;
    ippDelete(ipp);
    return r;
}
