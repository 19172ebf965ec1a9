/* rentarkctl: the command line client of rentarkd. It only speaks the socket protocol
 * (common/proto.h); every decision is the daemon's.
 *
 * Exit codes: 0 done; 1 the daemon refused or failed (ERR); 2 usage; 3 the daemon is not
 * running or did not answer. */
#include "call.h"
#include "config.h"
#include "ctl-incident.h"
#include "jsonout.h"
#include "util.h"

#include <crypt.h>
#include <gio/gio.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define TIMEOUT_MS 30000
/* How long a session-setup hook waits for the previous session's wipe. */
#define HOOK_WAIT_MS 120000

static void usage(FILE *f)
{
    fprintf(f, "Usage: rentarkctl [-s SOCKET | -c CONFIG] [--json] COMMAND\n"
               "\n"
               "Commands:\n"
               "  status                          state of the seat and the session\n"
               "  end                             end the session now and erase it\n"
               "  accept | decline                answer the notice (the guest)\n"
               "  extend                          more time for the running session (the guest)\n"
               "  guided VOLUNTEER                start a guided session (asks for the PIN)\n"
               "  stats [--json]                  statistics\n"
               "  incidents [resolve ID]          open incidents; mark one resolved\n"
               "  incident list | show ID | export ID [--format=md|json] [--lang nb|en]\n"
               "                                  the breach register and the report for the authority\n"
               "  incident close ID --note TEXT   staff: close an incident, with a note kept for good\n"
               "  open --until HH:MM              staff: open the seat now until HH:MM today\n"
               "  close                           staff: close now (a session ends) until the next opening\n"
               "  hook session-setup|session-cleanup [USER]\n"
               "                                  for the display manager (USER: $USER)\n"
               "  wipe --dry-run                  what a wipe would remove, as counts\n"
               "  session-config                  the settings the session client takes from rentarkd\n"
               "  hash-pin                        make a pin_hash for rentark.conf (asks for the PIN)\n");
}

/* Read a PIN from the terminal without echo. */
static char *read_secret(const char *prompt)
{
    struct termios old, raw;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    char buf[128];

    fputs(prompt, stderr);
    if (tty) {
        raw = old;
        raw.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    }
    char *r = fgets(buf, sizeof buf, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!r)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *s = g_strdup(buf);
    explicit_bzero(buf, sizeof buf);
    return s;
}

static int hash_pin(void)
{
    g_autofree char *a = read_secret("PIN: ");
    g_autofree char *b = read_secret("PIN again: ");
    if (!a || !b || strcmp(a, b) != 0 || strlen(a) < 4) {
        fprintf(stderr, "rentarkctl: the PINs differ or are shorter than 4 characters\n");
        return 1;
    }
    char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
    struct crypt_data cd = { 0 };
    const char *h = salt ? crypt_r(a, salt, &cd) : NULL;
    free(salt);
    explicit_bzero(a, strlen(a));
    explicit_bzero(b, strlen(b));
    if (!h || h[0] != '$') {
        fprintf(stderr, "rentarkctl: crypt(3) failed\n");
        return 1;
    }
    printf("%s\n", h);
    return 0;
}

/* The keys of a reply as a table for people. */
static void print_kv(const RkParsedReply *r)
{
    g_autoptr(GList) keys = g_hash_table_get_keys(r->kv);
    keys = g_list_sort(keys, (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next)
        printf("%-16s %s\n", (char *)k->data, (char *)g_hash_table_lookup(r->kv, k->data));
}

/* One request, one reply, printed. Returns the exit code. */
static int call(const char *socket_path, const char *const *req, bool json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RkParsedReply) r = rk_call_argv(socket_path, TIMEOUT_MS, req[0], req + 1, &error);
    if (!r) {
        fprintf(stderr, "rentarkctl: %s%s\n", error->message,
                rk_call_daemon_absent(error) ? " (is rentarkd running?)" : "");
        return 3;
    }
    if (!r->ok) {
        fprintf(stderr, "rentarkctl: %s (%s)\n", r->message, r->code);
        return 1;
    }
    /* --json: the daemon's JSON if it sent one (checked and written anew), else the keys as
     * JSON; otherwise the daemon's text for humans if it sent one, else the keys as a table. */
    const char *j = rk_reply_get(r, "json"), *text = rk_reply_get(r, "text");
    if (j || json) {
        g_autofree char *out = j ? jsonout_document(j, &error) : jsonout_reply(r);
        if (!out) {
            fprintf(stderr, "rentarkctl: the daemon's reply is not valid JSON: %s\n", error->message);
            return 1;
        }
        printf("%s\n", out);
    } else if (text) {
        printf("%s", text);
    } else {
        print_kv(r);
    }
    return 0;
}

/* The seat's state, or NULL when the daemon does not answer. */
static char *seat_state(const char *socket_path)
{
    g_autoptr(RkParsedReply) r = rk_call(socket_path, TIMEOUT_MS, NULL, "status", NULL);
    const char *st = r && r->ok ? rk_reply_get(r, "state") : NULL;
    return g_strdup(st);
}

/* The socket: -s, else paths.socket of -c FILE or of the default file (which a user who is not
 * root may not be able to read: then the default socket). Only that one setting is read: the
 * rest of the file is the daemon's to judge. NULL after printing an error. */
static char *socket_path_from(const char *socket_opt, const char *config_path)
{
    static const char *const keys[] = { "paths.socket", NULL };
    if (socket_opt)
        return g_strdup(socket_opt);
    g_autoptr(GError) error = NULL;
    g_autoptr(RkConfig) cfg = rk_config_load_keys(config_path ? config_path : RK_CONFIG_DEFAULT_PATH, keys, &error);
    if (!cfg && !config_path && g_error_matches(error, RK_CONFIG_ERROR, RK_CONFIG_ERROR_IO)) {
        g_clear_error(&error);
        cfg = rk_config_load_string("", "(defaults)", false, &error);
    }
    if (!cfg) {
        fprintf(stderr, "rentarkctl: %s\n", error->message);
        return NULL;
    }
    return g_strdup(cfg->socket);
}

/* The commands that are sent as they are: VERB [ARG ...], each argument escaped. */
static bool plain_command(const char *cmd)
{
    static const char *const plain[] = { "status", "end", "accept", "decline", "stats", "incidents", "consent",
                                         "volunteers", "idle", "session-config", "extend", "close", NULL };
    return g_strv_contains(plain, cmd);
}

/* The request for the command line's COMMAND ARGS into req (verb first; *ret_pin holds the
 * PIN of `guided`, for the caller to wipe). Returns 0, or the exit code after a message. */
static int build_request(const char *cmd, char **args, int nargs, bool json, GPtrArray *req, char **ret_pin,
                         bool *ret_hook_setup)
{
    if (strcmp(cmd, "wipe") == 0) {
        if (nargs != 1 || strcmp(args[0], "--dry-run") != 0) {
            fprintf(stderr, "rentarkctl: only \"wipe --dry-run\" is offered; a real wipe is the daemon's to run\n");
            return 2;
        }
        g_ptr_array_add(req, "wipe-dry-run");
    } else if (strcmp(cmd, "hook") == 0) {
        /* LightDM and GDM run their session scripts as root with the session's user in $USER. */
        const char *user = nargs == 2 ? args[1] : getenv("USER");
        if (nargs < 1 || nargs > 2 ||
            (strcmp(args[0], "session-setup") != 0 && strcmp(args[0], "session-cleanup") != 0)) {
            usage(stderr);
            return 2;
        }
        if (!user || !*user) {
            fprintf(stderr, "rentarkctl: hook: no USER given and $USER is not set\n");
            return 2;
        }
        *ret_hook_setup = strcmp(args[0], "session-setup") == 0;
        g_ptr_array_add(req, "hook"), g_ptr_array_add(req, args[0]), g_ptr_array_add(req, (char *)user);
    } else if (strcmp(cmd, "open") == 0) {
        /* The daemon checks the time; the command line only names it. */
        if (nargs != 2 || strcmp(args[0], "--until") != 0) {
            fprintf(stderr, "rentarkctl: usage: open --until HH:MM\n");
            return 2;
        }
        g_ptr_array_add(req, "open"), g_ptr_array_add(req, args[1]);
    } else if (strcmp(cmd, "incidents") == 0 && nargs == 2 && strcmp(args[0], "resolve") == 0) {
        g_ptr_array_add(req, "resolve"), g_ptr_array_add(req, args[1]);
    } else if (strcmp(cmd, "guided") == 0) {
        if (nargs != 1) {
            usage(stderr);
            return 2;
        }
        if (!(*ret_pin = read_secret("PIN: ")))
            return 2;
        g_ptr_array_add(req, "guided"), g_ptr_array_add(req, args[0]), g_ptr_array_add(req, *ret_pin);
    } else if (plain_command(cmd)) {
        g_ptr_array_add(req, (char *)cmd);
        for (int i = 0; i < nargs; i++)
            if (strcmp(args[i], "--json") != 0)
                g_ptr_array_add(req, args[i]);
        /* The statistics have a JSON of the daemon's own, before or after the command. */
        if (json && strcmp(cmd, "stats") == 0)
            g_ptr_array_add(req, "json");
    } else {
        fprintf(stderr, "rentarkctl: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return 2;
    }
    g_ptr_array_add(req, NULL);
    return 0;
}

/* A login during the previous session's wipe (a display manager logs the guest in again at
 * once) waits for the clean seat instead of failing; a BLOCKED seat fails at once, so that no
 * session starts on a seat whose wipe was not verified. rc is the first call's exit code. */
static int wait_for_clean_seat(const char *socket_path, const char *const *req, bool json, int rc)
{
    bool said = false, asked_ready = false;
    for (int waited = 0; rc == 1 && waited < HOOK_WAIT_MS; waited += 200) {
        g_autofree char *st = seat_state(socket_path);
        if (st && strcmp(st, "READY") == 0 && !asked_ready) {
            /* The wipe ended between the refusal and this look (a valgrind run of the suite
             * once lost a login so): the seat is clean now, so ask once more, at once. */
            asked_ready = true;
            rc = call(socket_path, req, json);
            continue;
        }
        if (!st || (strcmp(st, "ENDING") != 0 && strcmp(st, "WIPING") != 0))
            break;
        if (!said)
            fprintf(stderr, "rentarkctl: the seat is %s: waiting for the wipe to finish\n", st);
        said = true;
        g_usleep(200 * 1000);
        rc = call(socket_path, req, json);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' }, { "config", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },      {},
    };
    const char *socket_opt = NULL, *config_path = NULL;
    bool json = false;
    int c;

    while ((c = getopt_long(argc, argv, "+s:c:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's': socket_opt = optarg; break;
        case 'c': config_path = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("rentarkctl %s\n", RK_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    char **args = argv + optind + 1;
    int nargs = argc - optind - 1;
    for (int i = 0; i < nargs; i++)
        json |= strcmp(args[i], "--json") == 0;
    if (strcmp(cmd, "hash-pin") == 0)
        return hash_pin();

    g_autofree char *socket_path = socket_path_from(socket_opt, config_path);
    if (!socket_path)
        return 2;
    if (strcmp(cmd, "incident") == 0)
        return ctl_incident(socket_path, args, nargs, json);
    g_autoptr(GPtrArray) req = g_ptr_array_new();
    g_autofree char *pin = NULL;
    bool hook_setup = false;
    int rc = build_request(cmd, args, nargs, json, req, &pin, &hook_setup);
    if (rc == 0) {
        const char *const *r = (const char *const *)req->pdata;
        rc = call(socket_path, r, json);
        if (hook_setup)
            rc = wait_for_clean_seat(socket_path, r, json, rc);
    }
    if (pin)
        explicit_bzero(pin, strlen(pin));
    return rc;
}
