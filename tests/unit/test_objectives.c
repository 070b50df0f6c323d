/*
 * test_objectives.c — objective overrides: NAME=VALUE parsing (as given to
 * --objective and $DRILL_OBJECTIVES), the precedence of the levels, and how
 * a run describes the targets it was judged against.
 */
#include <string.h>

#include "duration.h"
#include "harness.h"
#include "objectives.h"

TEST(parse_arg_single_and_list)
{
    Objectives o;
    DrillError err = {0};
    objectives_init(&o, OBJ_FROM_CLI);
    CHECK_INT(objectives_parse_arg("rto=10m", "--objective", &o, &err), 0);
    CHECK_INT(o.value[OBJ_RTO], 600000);
    CHECK_INT(o.value[OBJ_RPO], OBJECTIVE_UNSET);

    objectives_init(&o, OBJ_FROM_ENV);
    CHECK_INT(objectives_parse_arg("rpo=none,rpo_transactions=0,slot_retained_alert=64MB",
                                   "DRILL_OBJECTIVES", &o, &err),
              0);
    CHECK_INT(o.value[OBJ_RTO], OBJECTIVE_UNSET);
    CHECK_INT(o.value[OBJ_RPO], OBJECTIVE_NONE);
    CHECK_INT(o.value[OBJ_RPO_TRANSACTIONS], 0);
    CHECK_INT(o.value[OBJ_SLOT_RETAINED_ALERT], 64LL * 1024 * 1024);
}

static const char *arg_error(const char *arg)
{
    static DrillError err;
    Objectives o;
    objectives_init(&o, OBJ_FROM_CLI);
    memset(&err, 0, sizeof err);
    if (objectives_parse_arg(arg, "--objective", &o, &err) != DRILL_E_INVALID)
        return "(accepted)";
    return err.message;
}

TEST(parse_arg_errors)
{
    CHECK(strstr(arg_error("rto"), "\"rto\" is not NAME=VALUE") != NULL);
    CHECK(strstr(arg_error("rtt=1s"), "unknown objective \"rtt\"") != NULL);
    CHECK(strstr(arg_error("rto=30"), "invalid duration \"30\" for rto") != NULL);
    CHECK(strstr(arg_error("rto=30"), "or none") != NULL);
    CHECK(strstr(arg_error("rto="), "invalid duration \"\"") != NULL);
    CHECK(strstr(arg_error("rpo_transactions=-1"), "invalid number \"-1\"") != NULL);
    CHECK(strstr(arg_error("rpo_transactions=1x"), "invalid number") != NULL);
    CHECK(strstr(arg_error("slot_retained_alert=64"), "invalid size \"64\"") != NULL);
    CHECK(strstr(arg_error("rto=1m,"), "is not NAME=VALUE") != NULL);   /* empty piece */
    CHECK(strstr(arg_error("rto=1m,rpo=x"), "invalid duration \"x\" for rpo") != NULL);
    CHECK(strstr(arg_error("rto=none"), "(accepted)") != NULL);
}

TEST(precedence)
{
    /* drill file < topology < topology drill_objectives < env < CLI */
    Objectives run, level;
    DrillError err = {0};
    objectives_init(&run, OBJ_FROM_DRILL);
    run.value[OBJ_RTO] = 30000;
    run.value[OBJ_RPO] = 0;
    objectives_finish(&run);   /* as the drill file's parse ends */

    objectives_init(&level, OBJ_FROM_TOPOLOGY);
    level.value[OBJ_RTO] = 300000;
    level.value[OBJ_SLOT_RETAINED_ALERT] = 1024;   /* the drill has none: not imposed */
    objectives_apply(&run, &level, false);
    CHECK_INT(run.value[OBJ_SLOT_RETAINED_ALERT], OBJECTIVE_NONE);
    CHECK_INT(run.value[OBJ_RTO], 300000);
    CHECK_INT(run.origin[OBJ_RTO], OBJ_FROM_TOPOLOGY);
    CHECK_INT(run.origin[OBJ_RPO], OBJ_FROM_DRILL);   /* silent levels leave it */

    objectives_init(&level, OBJ_FROM_ENV);
    CHECK_INT(objectives_parse_arg("rto=2m,rpo=none,rpo_transactions=5", "DRILL_OBJECTIVES", &level,
                                   &err),
              0);
    objectives_apply(&run, &level, false);
    CHECK_INT(run.value[OBJ_RPO_TRANSACTIONS], OBJECTIVE_NONE);   /* not declared: not imposed */
    objectives_init(&level, OBJ_FROM_CLI);
    CHECK_INT(objectives_parse_arg("rto=10m,rpo=3s", "--objective", &level, &err), 0);
    objectives_apply(&run, &level, false);
    objectives_finish(&run);
    CHECK_INT(run.value[OBJ_RPO], 3000);   /* removed by env, still declared: retargeted */
    CHECK_INT(run.origin[OBJ_RPO], OBJ_FROM_CLI);
    objectives_init(&level, OBJ_FROM_ENV);
    CHECK_INT(objectives_parse_arg("rpo=none", "DRILL_OBJECTIVES", &level, &err), 0);
    objectives_apply(&run, &level, false);

    CHECK_INT(run.value[OBJ_RTO], 600000);
    CHECK_INT(run.origin[OBJ_RTO], OBJ_FROM_CLI);
    CHECK_INT(run.value[OBJ_RPO], OBJECTIVE_NONE);
    CHECK_INT(run.origin[OBJ_RPO], OBJ_FROM_ENV);
    CHECK_INT(run.value[OBJ_RPO_TRANSACTIONS], OBJECTIVE_NONE);   /* UNSET -> NONE */

    char text[256];
    objectives_describe(&run, text, sizeof text);
    /* rpo was removed by an override: said so; rpo_transactions nobody asked for */
    Objectives added;
    objectives_init(&added, OBJ_FROM_TOPOLOGY_DRILL);
    added.value[OBJ_RPO_TRANSACTIONS] = 2;   /* drill_objectives names the drill: may add */
    CHECK_STR(text, "rto 10m (--objective), rpo none ($DRILL_OBJECTIVES)");
    objectives_apply(&run, &added, true);
    CHECK_INT(run.value[OBJ_RPO_TRANSACTIONS], 2);
    CHECK(run.declared[OBJ_RPO_TRANSACTIONS]);
}

TEST(describe_and_format)
{
    Objectives o;
    objectives_init(&o, OBJ_FROM_DRILL);
    objectives_finish(&o);
    char text[256];
    objectives_describe(&o, text, sizeof text);
    CHECK_STR(text, "none");

    o.value[OBJ_RTO] = 30000;
    o.value[OBJ_RPO_TRANSACTIONS] = 0;
    o.value[OBJ_SLOT_RETAINED_ALERT] = 64LL * 1024 * 1024;
    objectives_describe(&o, text, sizeof text);
    CHECK_STR(text, "rto 30s (drill file), rpo_transactions 0 tx (drill file), "
                    "slot_retained_alert 64.0 MB (drill file)");
    char small[16];
    objectives_describe(&o, small, sizeof small);   /* truncates, stays a string */
    CHECK_INT((long long)strlen(small), 15);
    CHECK_STR(objectives_origin_name(OBJ_FROM_TOPOLOGY_DRILL), "topology drill_objectives");
}

TEST(duration_format)
{
    char s[32];
    duration_format_ms(600000, s, sizeof s);
    CHECK_STR(s, "10m");
    duration_format_ms(0, s, sizeof s);
    CHECK_STR(s, "0");
    duration_format_ms(90500, s, sizeof s);
    CHECK_STR(s, "1m30s500ms");
    duration_format_ms(3600000, s, sizeof s);
    CHECK_STR(s, "1h");
    /* what duration_format_ms writes, duration_parse_ms reads back */
    int64_t ms = -1;
    CHECK_INT(duration_parse_ms("1m30s500ms", &ms), 0);
    CHECK_INT(ms, 90500);
}

int main(void)
{
    RUN(parse_arg_single_and_list);
    RUN(parse_arg_errors);
    RUN(precedence);
    RUN(describe_and_format);
    RUN(duration_format);
    return harness_done();
}
