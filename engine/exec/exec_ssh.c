/*
 * exec_ssh.c — the SSH executor: runs an argv on a remote node through libssh
 * behind the exec.h interface. This is the ONLY module that calls libssh.
 *
 * Design decisions:
 *  - As strict as OpenSSH with StrictHostKeyChecking=yes: a changed key or a
 *    key of another type is refused; an unknown key is refused unless the
 *    target allows trust on first use, in which case it is written to the
 *    known_hosts file (and the caller records it). ~/.ssh/config and
 *    /etc/ssh/ssh_config are NOT read: the topology is the single description
 *    of how a node is reached.
 *  - The argv becomes one remote command line with every element
 *    single-quoted (exec_shell_quote), never spliced. Environment goes through
 *    `env K=V` (sshd drops client-sent variables unless AcceptEnv allows them);
 *    another OS user through `sudo -n -u USER --` or `runuser -u USER --`.
 *  - sshd starts the command's shell as a session (and process group) leader,
 *    and without a pty nothing gets SIGHUP when the channel closes. So the
 *    command line first prints "DRILL-PID $$" on stdout (stripped before
 *    capture): on a deadline or cancel drill sends a `signal` request, kills
 *    that process group through a second exec on the same session, then closes
 *    the channel — the remote command cannot outlive the step.
 *  - stdout and stderr arrive as channel data callbacks that consume every
 *    byte, so neither stream can stall the other; exit status and exit signal
 *    come from their own callbacks (ssh_channel_get_exit_status cannot tell a
 *    signal from an error in libssh 0.10).
 *  - One session per executor (= per node). A session found dead before a
 *    command is re-established once; a link lost DURING a command is an error
 *    for that command (it may or may not have run: never retried), and the
 *    next command reconnects.
 */
#define _DEFAULT_SOURCE 1   /* getpwuid_r buffers, strncasecmp */

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"

#define SSH_CONNECT_TIMEOUT_DEFAULT_MS 10000
#define SSH_COMMAND_MAX (128 * 1024)   /* sshd refuses much larger exec requests */
#define SSH_PID_HEAD_MAX 64            /* "DRILL-PID 123456\n" */
#define SSH_TICK_MS 50
#define SSH_KILL_GRACE_MS 500
#define SSH_LINGER_MS 1000             /* wait for exit status after a kill */
/* Wait for "DRILL-PID" after a deadline or cancel: without the pid nothing
 * can be killed, and sshd forking the command's shell took 1.2 s per command
 * on a 2-core host with two CPU hogs (measured), so 1 s was not enough. */
#define SSH_PID_WAIT_MS 10000
#define SSH_KILL_CONFIRM_TICKS 40      /* x 50 ms: wait for the group to be gone */
#define SSH_EXIT_LINGER_US 200000       /* drain after the exit status */
#define SSH_TIMEOUT_MAX_MS (366LL * 24 * 3600 * 1000)

typedef struct SshExec {
    Executor base;            /* first: Executor* <-> SshExec* */
    char *host, *user, *identity_file, *known_hosts, *become;
    int port;
    bool accept_new;
    int64_t connect_timeout_ms;
    ssh_session session;      /* NULL when not connected */
    char *fingerprint;        /* "SHA256:..." of the last verified host key */
    char *key_type;
    bool key_added;
} SshExec;

/* State of one remote command, filled by the channel callbacks. */
typedef struct SshRun {
    Buf out, err;
    char head[SSH_PID_HEAD_MAX];
    size_t head_len;
    bool head_done;
    long pid;                 /* remote process group, 0 if unknown */
    bool have_status;
    int64_t status_us;        /* when the exit status arrived */
    int exit_status;
    int term_signal;
    bool closed;
} SshRun;

/* ===================================================================== */
/* Connection, host key, authentication.                                  */
/* ===================================================================== */

static char *current_user(void)
{
    char buf[4096];
    struct passwd pw, *found = NULL;
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found != NULL)
        return xstrdup(pw.pw_name);
    return xasprintf("%ld", (long)geteuid());
}

static int ssh_fail(SshExec *s, DrillError *err, const char *what)
{
    drill_error_set(err, DRILL_E_SSH, "ssh %s@%s:%d: %s: %s", s->user, s->host, s->port, what,
                    s->session != NULL ? ssh_get_error(s->session) : "no session");
    return DRILL_E_SSH;
}

static void session_drop(SshExec *s)
{
    if (s->session == NULL)
        return;
    ssh_disconnect(s->session);
    ssh_free(s->session);
    s->session = NULL;
}

static int session_options(SshExec *s, DrillError *err)
{
    long timeout_s = (long)((s->connect_timeout_ms + 999) / 1000);
    bool no = false;
    unsigned int port = (unsigned int)s->port;
    if (ssh_options_set(s->session, SSH_OPTIONS_HOST, s->host) < 0 ||
        ssh_options_set(s->session, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(s->session, SSH_OPTIONS_USER, s->user) < 0 ||
        ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT, &timeout_s) < 0 ||
        ssh_options_set(s->session, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0)
        return ssh_fail(s, err, "invalid option");
    if (s->known_hosts != NULL &&
        ssh_options_set(s->session, SSH_OPTIONS_KNOWNHOSTS, s->known_hosts) < 0)
        return ssh_fail(s, err, "invalid known_hosts option");
    return 0;
}

static const char *known_hosts_name(const SshExec *s)
{
    return s->known_hosts != NULL ? s->known_hosts : "~/.ssh/known_hosts";
}

/* Fingerprint and type of the key the server just presented. */
static int hostkey_read(SshExec *s, DrillError *err)
{
    ssh_key key = NULL;
    if (ssh_get_server_publickey(s->session, &key) < 0)
        return ssh_fail(s, err, "no host key");
    unsigned char *hash = NULL;
    size_t hlen = 0;
    int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    free(s->key_type);
    s->key_type = xstrdup(ssh_key_type_to_char(ssh_key_type(key)));
    ssh_key_free(key);
    if (rc < 0)
        return ssh_fail(s, err, "cannot hash the host key");
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    ssh_clean_pubkey_hash(&hash);
    free(s->fingerprint);
    s->fingerprint = xstrdup(fp != NULL ? fp : "?");
    ssh_string_free_char(fp);
    return 0;
}

static int hostkey_unknown(SshExec *s, DrillError *err)
{
    if (!s->accept_new)
        return drill_error_set(err, DRILL_E_SSH,
                               "ssh %s:%d: the authenticity of host '%s' can't be established: "
                               "%s key fingerprint is %s, not in %s. Host key verification "
                               "failed.\n  hint: check the fingerprint out of band, then add it to "
                               "%s, or pass --accept-new-hostkey (or set `accept_new_hostkey: "
                               "true`) to trust it on first use",
                               s->host, s->port, s->host, s->key_type, s->fingerprint,
                               known_hosts_name(s), known_hosts_name(s));
    if (ssh_session_update_known_hosts(s->session) != SSH_OK)
        return ssh_fail(s, err, "cannot add the new host key to known_hosts");
    s->key_added = true;
    return 0;
}

/* The decision table of OpenSSH's StrictHostKeyChecking=yes (accept-new on request). */
static int hostkey_verify(SshExec *s, DrillError *err)
{
    int rc = hostkey_read(s, err);
    if (rc < 0)
        return rc;
    switch (ssh_session_is_known_server(s->session)) {
    case SSH_KNOWN_HOSTS_OK:
        return 0;
    case SSH_KNOWN_HOSTS_CHANGED:
        return drill_error_set(err, DRILL_E_SSH,
                               "ssh %s:%d: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The %s "
                               "host key sent by the remote host is %s, which does not match %s. "
                               "Someone could be eavesdropping on you right now "
                               "(man-in-the-middle attack), or the host key has just been changed. "
                               "Host key verification failed.\n  hint: if the change is expected, "
                               "remove the old key (ssh-keygen -R '[%s]:%d' -f %s)",
                               s->host, s->port, s->key_type, s->fingerprint, known_hosts_name(s),
                               s->host, s->port, known_hosts_name(s));
    case SSH_KNOWN_HOSTS_OTHER:
        return drill_error_set(err, DRILL_E_SSH,
                               "ssh %s:%d: WARNING: the %s host key for '%s' (%s) is not known, "
                               "but a key of another type is in %s. An attacker might change the "
                               "default server key to confuse your client. Host key verification "
                               "failed.", s->host, s->port, s->key_type, s->host, s->fingerprint,
                               known_hosts_name(s));
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        return hostkey_unknown(s, err);
    default:
        return ssh_fail(s, err, "cannot check the host key");
    }
}

static int session_auth(SshExec *s, DrillError *err)
{
    int rc;
    if (s->identity_file != NULL) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(s->identity_file, NULL, NULL, NULL, &key) != SSH_OK)
            return drill_error_set(err, DRILL_E_SSH,
                                   "ssh %s@%s:%d: cannot load identity file %s\n  hint: it must "
                                   "exist, be readable and not need a passphrase (use ssh-agent "
                                   "for protected keys: omit identity_file)",
                                   s->user, s->host, s->port, s->identity_file);
        rc = ssh_userauth_publickey(s->session, NULL, key);
        ssh_key_free(key);
    } else {
        rc = ssh_userauth_publickey_auto(s->session, NULL, NULL);
    }
    if (rc == SSH_AUTH_SUCCESS)
        return 0;
    return drill_error_set(err, DRILL_E_SSH,
                           "ssh %s@%s:%d: Permission denied (publickey)%s\n  hint: the key (%s) "
                           "must be in ~%s/.ssh/authorized_keys on the node",
                           s->user, s->host, s->port, rc == SSH_AUTH_ERROR ? ": " : "",
                           s->identity_file ? s->identity_file : "ssh-agent / ~/.ssh/id_*",
                           s->user);
}

static int session_open(SshExec *s, DrillError *err)
{
    s->session = ssh_new();
    if (s->session == NULL)
        return drill_error_set(err, DRILL_E_NOMEM, "ssh: cannot create a session");
    int rc = session_options(s, err);
    if (rc == 0 && ssh_connect(s->session) != SSH_OK)
        rc = ssh_fail(s, err, "cannot connect");
    if (rc == 0)
        rc = hostkey_verify(s, err);
    if (rc == 0)
        rc = session_auth(s, err);
    if (rc < 0)
        session_drop(s);
    return rc;
}

int exec_ssh_connect(Executor *ex, DrillError *err)
{
    SshExec *s = (SshExec *)ex;
    if (s->session != NULL && ssh_is_connected(s->session))
        return 0;
    session_drop(s);
    return session_open(s, err);
}

/* ===================================================================== */
/* The remote command line.                                               */
/* ===================================================================== */

static void quote_words(Buf *b, char *const *words)
{
    for (size_t i = 0; words != NULL && words[i] != NULL; i++) {
        buf_append(b, " ", 1);
        exec_shell_quote(b, words[i]);
    }
}

/* "printf 'DRILL-PID %s\n' "$$" [&& cd DIR] && exec [sudo -n -u U --] [env K=V]
 * argv...": exec keeps the command in the shell's process group (pid $$). */
static int remote_command(const SshExec *s, const ExecRequest *req, Buf *b, DrillError *err)
{
    bool sw = req->run_as != NULL && req->run_as[0] != '\0' && strcmp(req->run_as, s->user) != 0;
    if (sw && strcmp(s->become, "none") == 0)
        return drill_error_set(err, DRILL_E_EXEC,
                               "cannot run as user '%s' on %s: the ssh user is '%s' and `become: "
                               "none`\n  hint: set `become: sudo` (or runuser when the ssh user "
                               "is root), or log in as '%s'", req->run_as, s->host, s->user,
                               req->run_as);
    buf_appends(b, "printf 'DRILL-PID %s\\n' \"$$\"");
    /* Like the local executor: "/" when switching users, whose home may be
     * unreadable to the target user. */
    const char *cwd = req->cwd != NULL ? req->cwd : (sw ? "/" : NULL);
    if (cwd != NULL) {
        buf_appends(b, " && cd ");
        exec_shell_quote(b, cwd);
    }
    buf_appends(b, " && exec");
    if (sw && strcmp(s->become, "runuser") == 0)
        buf_appends(b, " runuser -u");
    else if (sw)
        buf_appends(b, " sudo -n -u");
    if (sw) {
        buf_append(b, " ", 1);
        exec_shell_quote(b, req->run_as);
        buf_appends(b, " --");
    }
    if (req->env_extra != NULL && req->env_extra[0] != NULL)
        buf_appends(b, " env");
    quote_words(b, req->env_extra);
    quote_words(b, req->argv);
    if (b->truncated)
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s' on %s: command line longer "
                               "than %d bytes", req->argv[0], s->host, SSH_COMMAND_MAX);
    return 0;
}

/* ===================================================================== */
/* Channel callbacks.                                                     */
/* ===================================================================== */

/* The first stdout line is our "DRILL-PID N" marker: parse and drop it. */
static void head_feed(SshRun *r, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && !r->head_done) {
        char c = data[i++];
        if (c == '\n' || r->head_len + 1 >= sizeof r->head) {
            r->head[r->head_len] = '\0';
            r->head_done = true;
            char *end;
            long pid = strncmp(r->head, "DRILL-PID ", 10) == 0 ? strtol(r->head + 10, &end, 10)
                                                                : 0;
            if (pid > 1)
                r->pid = pid;
            else   /* not our marker (cannot happen with a POSIX shell): keep it */
                buf_append(&r->out, r->head, r->head_len);
        } else {
            r->head[r->head_len++] = c;
        }
    }
    if (i < len)
        buf_append(&r->out, data + i, len - i);
}

static int cb_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
                   int is_stderr, void *userdata)
{
    SshRun *r = userdata;
    /* Past the limit buf_append drops bytes; consuming them all keeps the
     * window open so the remote side never blocks on a full stream. */
    if (is_stderr)
        buf_append(&r->err, data, len);
    else
        head_feed(r, data, len);
    return (int)len;
}

static void cb_exit_status(ssh_session session, ssh_channel channel, int status, void *userdata)
{
    SshRun *r = userdata;
    r->have_status = true;
    r->status_us = time_mono_us();
    r->exit_status = status;
}

static int signal_number(const char *name)
{
    static const struct { const char *name; int num; } sigs[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"FPE", SIGFPE},   {"HUP", SIGHUP},
        {"ILL", SIGILL},   {"INT", SIGINT},   {"KILL", SIGKILL}, {"PIPE", SIGPIPE},
        {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"TERM", SIGTERM}, {"USR1", SIGUSR1},
        {"USR2", SIGUSR2}, {"BUS", SIGBUS},   {"TRAP", SIGTRAP}, {"XCPU", SIGXCPU}};
    for (size_t i = 0; name != NULL && i < sizeof sigs / sizeof sigs[0]; i++)
        if (strcmp(name, sigs[i].name) == 0)
            return sigs[i].num;
    return 255;   /* a signal the protocol names but we do not know */
}

static void cb_exit_signal(ssh_session session, ssh_channel channel, const char *signal,
                           int core, const char *errmsg, const char *lang, void *userdata)
{
    SshRun *r = userdata;
    r->have_status = true;
    r->status_us = time_mono_us();
    r->exit_status = -1;
    r->term_signal = signal_number(signal);
}

static void cb_close(ssh_session session, ssh_channel channel, void *userdata)
{
    ((SshRun *)userdata)->closed = true;
}

/* ===================================================================== */
/* Running one command.                                                   */
/* ===================================================================== */

/* The command is over: the channel closed, or it exited and whatever it
 * left running in the background has held the output open past the linger
 * (like the local executor: a stray background process must not stall a step). */
static bool run_over(const SshRun *r)
{
    return r->closed || (r->have_status && time_mono_us() >= r->status_us + SSH_EXIT_LINGER_US);
}

/* The command's process group is known (or it will never be: it is over). */
static bool pid_known(const SshRun *r)
{
    return r->head_done || run_over(r);
}

/* Pumps the session until done(r) or until_us; false when the link failed. */
static bool pump(SshExec *s, ssh_event ev, const SshRun *r, bool (*done)(const SshRun *),
                 int64_t until_us, int (*cancelled)(void), bool *stopped)
{
    while (!done(r)) {
        int64_t now = time_mono_us();
        if (until_us > 0 && now >= until_us)
            return true;
        if (cancelled != NULL && cancelled() != 0) {
            *stopped = true;
            return true;
        }
        int slice = SSH_TICK_MS;
        if (until_us > 0 && (until_us - now) / 1000 < slice)
            slice = (int)((until_us - now) / 1000) + 1;
        if (ssh_event_dopoll(ev, slice) == SSH_ERROR || !ssh_is_connected(s->session))
            return false;
    }
    return true;
}

/* Kills the remote process group through a second exec on the session:
 * TERM, a grace period, KILL, then waits (bounded) until no process of the
 * group is left, so "killed" means gone, not merely signalled. As the login user, and as run_as if the command
 * switched users (a non-root login user cannot signal another user's process). */
static void remote_kill(SshExec *s, const ExecRequest *req, long pgid)
{
    if (pgid <= 1)
        return;
    char script[512];
    snprintf(script, sizeof script,
             "kill -s TERM -- -%ld; sleep %d.%03d; kill -s KILL -- -%ld 2>/dev/null; "
             "n=0; while kill -0 -- -%ld 2>/dev/null && [ $n -lt %d ]; do sleep 0.05; "
             "n=$((n+1)); done; exit 0", pgid,
             SSH_KILL_GRACE_MS / 1000, SSH_KILL_GRACE_MS % 1000, pgid, pgid,
             SSH_KILL_CONFIRM_TICKS);
    static char sh[] = "/bin/sh", dash_c[] = "-c";
    char *argv[] = {sh, dash_c, script, NULL};
    ExecRequest kreq = {.argv = argv, .run_as = req->run_as, .timeout_ms = 0};
    Buf cmd;
    buf_init(&cmd, SSH_COMMAND_MAX);
    if (remote_command(s, &kreq, &cmd, NULL) == 0) {
        ssh_channel ch = ssh_channel_new(s->session);
        if (ch != NULL && ssh_channel_open_session(ch) == SSH_OK &&
            ssh_channel_request_exec(ch, cmd.data) == SSH_OK)
            ssh_channel_get_exit_status(ch);   /* waits (session timeout bounds it) */
        if (ch != NULL) {
            ssh_channel_close(ch);
            ssh_channel_free(ch);
        }
    }
    buf_free(&cmd);
}

/* Opens a session channel, reconnecting once when the session is dead. */
static int channel_open(SshExec *s, ssh_channel *out, DrillError *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = exec_ssh_connect(&s->base, err);
        if (rc < 0 && attempt > 0 && err != NULL) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            drill_error_set(err, rc, "the SSH connection was lost and re-establishing it "
                            "failed: %s", why);
        }
        if (rc < 0)
            return rc;
        ssh_channel ch = ssh_channel_new(s->session);
        if (ch != NULL && ssh_channel_open_session(ch) == SSH_OK) {
            *out = ch;
            return 0;
        }
        if (ch != NULL)
            ssh_channel_free(ch);
        session_drop(s);   /* the link dropped since the last command: once more */
    }
    return drill_error_set(err, DRILL_E_SSH, "ssh %s@%s:%d: the connection was lost and could "
                           "not be re-established", s->user, s->host, s->port);
}

static int channel_start(SshExec *s, ssh_channel ch, const ExecRequest *req, const char *cmd,
                         DrillError *err)
{
    if (ssh_channel_request_exec(ch, cmd) != SSH_OK)
        return ssh_fail(s, err, "cannot start the remote command");
    size_t len = req->stdin_data != NULL ? strlen(req->stdin_data) : 0;
    if (len > 0 && ssh_channel_write(ch, req->stdin_data, (uint32_t)len) < 0)
        return ssh_fail(s, err, "cannot write the remote command's stdin");
    ssh_channel_send_eof(ch);
    return 0;
}

static void result_fill(SshRun *r, ExecResult *res)
{
    res->exit_code = r->have_status && r->term_signal == 0 ? r->exit_status : -1;
    res->term_signal = r->term_signal;
    exec_result_take_output(res, &r->out, &r->err, r->pid);
}

/* Waits for the command; on deadline or cancel kills it remotely. Returns
 * false when the link failed. */
static bool channel_wait(SshExec *s, ssh_channel ch, const ExecRequest *req, SshRun *r,
                         ExecResult *res, int64_t start)
{
    ssh_event ev = ssh_event_new();
    ssh_event_add_session(ev, s->session);
    int64_t deadline = 0;
    if (req->timeout_ms > 0)
        deadline = start + (req->timeout_ms < SSH_TIMEOUT_MAX_MS ? req->timeout_ms
                                                                 : SSH_TIMEOUT_MAX_MS) * 1000;
    bool stopped = false;
    bool alive = pump(s, ev, r, run_over, deadline, req->cancelled, &stopped);
    if (alive && !run_over(r)) {
        res->timed_out = !stopped;
        res->cancelled = stopped;
        /* Stopped before the shell reported its pid: wait for it, or the
         * command would survive the channel. */
        alive = pump(s, ev, r, pid_known, time_mono_us() + SSH_PID_WAIT_MS * 1000, NULL,
                     &stopped);
        /* The `signal` request is a courtesy (many sshd builds refuse it and
         * it reaches the direct child only); the group kill is what counts. */
        ssh_channel_request_send_signal(ch, "TERM");
        remote_kill(s, req, r->pid);
        if (alive)
            alive = pump(s, ev, r, run_over, time_mono_us() + SSH_LINGER_MS * 1000, NULL,
                         &stopped);
    }
    ssh_event_remove_session(ev, s->session);
    ssh_event_free(ev);
    return alive;
}

static int ssh_run(Executor *ex, const ExecRequest *req, ExecResult *res, DrillError *err)
{
    SshExec *s = (SshExec *)ex;
    if (req->detach)
        return drill_error_set(err, DRILL_E_EXEC, "cannot run '%s' on %s: detached starts are "
                               "local only (start servers with pg_ctl, which detaches itself)",
                               req->argv[0], s->host);
    Buf cmd;
    buf_init(&cmd, SSH_COMMAND_MAX);
    int rc = remote_command(s, req, &cmd, err);
    ssh_channel ch = NULL;
    if (rc == 0)
        rc = channel_open(s, &ch, err);
    int64_t start = time_mono_us();
    size_t limit = req->output_limit ? req->output_limit : EXEC_OUTPUT_LIMIT_DEFAULT;
    SshRun r = {.pid = 0};
    buf_init(&r.out, limit);
    buf_init(&r.err, limit);
    struct ssh_channel_callbacks_struct cb = {
        .userdata = &r, .channel_data_function = cb_data,
        .channel_exit_status_function = cb_exit_status,
        .channel_exit_signal_function = cb_exit_signal, .channel_close_function = cb_close};
    if (rc == 0) {
        ssh_callbacks_init(&cb);
        ssh_set_channel_callbacks(ch, &cb);
        rc = channel_start(s, ch, req, cmd.data, err);
    }
    if (rc == 0 && !channel_wait(s, ch, req, &r, res, start)) {
        rc = drill_error_set(err, DRILL_E_SSH, "ssh %s@%s:%d: connection lost while running "
                             "'%s' (it may have run in part; not retried)",
                             s->user, s->host, s->port, req->argv[0]);
        session_drop(s);   /* the next command reconnects */
        ch = NULL;         /* freed with the session */
    }
    result_fill(&r, res);
    res->duration_us = time_mono_us() - start;
    if (ch != NULL) {
        ssh_remove_channel_callbacks(ch, &cb);
        ssh_channel_close(ch);
        ssh_channel_free(ch);
    }
    buf_free(&cmd);
    return rc;
}

/* ===================================================================== */
/* Construction.                                                          */
/* ===================================================================== */

static void ssh_destroy(Executor *ex)
{
    SshExec *s = (SshExec *)ex;
    session_drop(s);
    free(s->host);
    free(s->user);
    free(s->identity_file);
    free(s->known_hosts);
    free(s->become);
    free(s->fingerprint);
    free(s->key_type);
    free(s);
}

static const ExecOps ssh_ops = {ssh_run, ssh_destroy};

Executor *exec_ssh_new(const ExecSshTarget *t)
{
    SshExec *s = xcalloc(1, sizeof *s);
    s->base.ops = &ssh_ops;
    s->host = xstrdup(t->host != NULL ? t->host : "localhost");
    s->port = t->port > 0 ? t->port : 22;
    s->user = t->user != NULL ? xstrdup(t->user) : current_user();
    s->identity_file = xstrdup(t->identity_file);
    s->known_hosts = xstrdup(t->known_hosts);
    s->become = xstrdup(t->become != NULL ? t->become : "sudo");
    s->accept_new = t->accept_new_hostkey;
    s->connect_timeout_ms =
        t->connect_timeout_ms > 0 ? t->connect_timeout_ms : SSH_CONNECT_TIMEOUT_DEFAULT_MS;
    return &s->base;
}

const char *exec_ssh_hostkey_fingerprint(const Executor *ex)
{
    return ((const SshExec *)ex)->fingerprint;
}

const char *exec_ssh_hostkey_type(const Executor *ex)
{
    return ((const SshExec *)ex)->key_type;
}

bool exec_ssh_hostkey_added(const Executor *ex)
{
    return ((const SshExec *)ex)->key_added;
}

const char *exec_ssh_library_version(void)
{
    return ssh_version(0);
}
