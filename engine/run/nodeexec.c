/*
 * nodeexec.c — see nodeexec.h.
 */
#include "nodeexec.h"

int node_exec_open(const Node *n, bool accept_new, Executor **out, DrillError *err)
{
    *out = NULL;
    if (n == NULL || n->access != ACCESS_SSH)
        return 0;
    const SshAccess *a = &n->ssh;
    ExecSshTarget t = {.host = a->host, .port = a->port, .user = a->user,
                       .identity_file = a->identity_file, .known_hosts = a->known_hosts,
                       .accept_new_hostkey = accept_new,
                       .become = a->become};
    Executor *ex = exec_ssh_new(&t);
    int rc = exec_ssh_connect(ex, err);
    if (rc < 0) {
        exec_free(ex);
        return rc;
    }
    *out = ex;
    return 0;
}
