/*
 * identity.c — who ran a drill (contract in identity.h).
 */
#include "identity.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A CI system: the variable that identifies it and where its actor, job URL
 * and commit are. GitHub's job URL is assembled from three variables. */
typedef struct CiSystem {
    const char *name, *marker, *actor, *job_url, *commit;
} CiSystem;

static const CiSystem CI_SYSTEMS[] = {
    {"github", "GITHUB_ACTIONS", "GITHUB_ACTOR", NULL, "GITHUB_SHA"},
    {"gitlab", "GITLAB_CI", "GITLAB_USER_LOGIN", "CI_JOB_URL", "CI_COMMIT_SHA"},
    {"jenkins", "JENKINS_URL", "BUILD_USER_ID", "BUILD_URL", "GIT_COMMIT"},
    {"generic", "CI", NULL, NULL, NULL},
};

static const char *env_nonempty(const char *name)
{
    const char *v = name != NULL ? getenv(name) : NULL;
    return v != NULL && *v != '\0' ? v : NULL;
}

static void add(IdentityFact *out, size_t *n, const char *key, const char *value)
{
    if (value == NULL || *value == '\0' || *n >= IDENTITY_MAX_FACTS)
        return;
    out[*n].key = key;
    snprintf(out[*n].value, sizeof out[*n].value, "%s", value);
    (*n)++;
}

static void collect_ci(IdentityFact *out, size_t *n)
{
    for (size_t i = 0; i < sizeof CI_SYSTEMS / sizeof CI_SYSTEMS[0]; i++) {
        const CiSystem *c = &CI_SYSTEMS[i];
        if (env_nonempty(c->marker) == NULL)
            continue;
        add(out, n, "who.ci", c->name);
        add(out, n, "who.ci_actor", env_nonempty(c->actor));
        add(out, n, "who.ci_commit", env_nonempty(c->commit));
        const char *server = env_nonempty("GITHUB_SERVER_URL");
        const char *repo = env_nonempty("GITHUB_REPOSITORY");
        const char *id = env_nonempty("GITHUB_RUN_ID");
        if (strcmp(c->name, "github") == 0 && server && repo && id) {
            char url[512];
            snprintf(url, sizeof url, "%s/%s/actions/runs/%s", server, repo, id);
            add(out, n, "who.ci_job_url", url);
        } else {
            add(out, n, "who.ci_job_url", env_nonempty(c->job_url));
        }
        return;
    }
}

size_t identity_collect(const char *operator_name, const char *change_ref,
                        IdentityFact out[IDENTITY_MAX_FACTS])
{
    size_t n = 0;
    const struct passwd *pw = getpwuid(geteuid());
    char uid[32];
    snprintf(uid, sizeof uid, "uid %ld", (long)geteuid());
    add(out, &n, "who.os_user", pw != NULL ? pw->pw_name : uid);
    add(out, &n, "who.sudo_user", env_nonempty("SUDO_USER"));
    add(out, &n, "who.operator", operator_name ? operator_name : env_nonempty("DRILL_OPERATOR"));
    add(out, &n, "who.change_ref", change_ref ? change_ref : env_nonempty("DRILL_CHANGE_REF"));
    collect_ci(out, &n);
    return n;
}

void identity_record(Store *st, int64_t run_id, const char *operator_name,
                     const char *change_ref)
{
    IdentityFact facts[IDENTITY_MAX_FACTS];
    size_t n = identity_collect(operator_name, change_ref, facts);
    for (size_t i = 0; i < n; i++)
        store_fact_add(st, run_id, facts[i].key, facts[i].value, NULL);
}
