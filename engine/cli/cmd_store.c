/*
 * cmd_store.c — `drill store copy FROM TO`: moves history between stores
 * (store_copy.c says what is kept and how the evidence is re-anchored).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill store copy [--format text|json] FROM TO\n\n"
         "Copies the finished runs of store FROM into store TO (created when missing),\n"
         "e.g. a CI runner's throw-away store into the one `drill fleet` reads.\n"
         "  - FROM's evidence chain is verified first: an altered store is refused whole\n"
         "    (exit 1, nothing copied).\n"
         "  - Each run keeps its UUID, times, steps, events, measures, objectives, facts\n"
         "    and samples, gets TO's next id, and is sealed as a new link of TO's chain:\n"
         "    re-anchored, and said so by two facts inside the sealed record:\n"
         "    copied.from (FROM#ID) and copied.chain_sha256 (its chain hash in FROM).\n"
         "  - Runs TO already holds (same UUID) are skipped: copying twice is harmless;\n"
         "    so are runs still running or never sealed, and runs stored before UUIDs.\n"
         "  - Report files are not copied (their paths are the runner's).\n\n"
         "  --format json  {\"command\": \"store\", from, to, copied, skipped_present,\n"
         "                 skipped_unsealed, skipped_no_uuid, runs: [{from_run_id,\n"
         "                 to_run_id, uuid}]}\n\n"
         "Exit status: 0 copied (or nothing to copy), 1 FROM's evidence is altered,\n"
         "2 usage, 3 a store cannot be read or written.");
}

static int print_result(const char *from, const char *to, const StoreCopyResult *r, bool json)
{
    if (!json) {
        for (size_t i = 0; i < r->nruns; i++)
            printf("run %lld -> %lld  %s\n", (long long)r->runs[i].from_id,
                   (long long)r->runs[i].to_id, r->runs[i].uuid);
        printf("copied %zu run(s) from %s to %s; skipped %zu already there, %zu unfinished or "
               "unsealed, %zu without a UUID\n", r->nruns, from, to, r->skipped_present,
               r->skipped_unsealed, r->skipped_no_uuid);
        return DRILL_EXIT_OK;
    }
    JsonWriter w;
    json_begin(&w, "store");
    json_kv_string(&w, "from", from);
    json_kv_string(&w, "to", to);
    json_kv_int(&w, "copied", (int64_t)r->nruns);
    json_kv_int(&w, "skipped_present", (int64_t)r->skipped_present);
    json_kv_int(&w, "skipped_unsealed", (int64_t)r->skipped_unsealed);
    json_kv_int(&w, "skipped_no_uuid", (int64_t)r->skipped_no_uuid);
    json_key(&w, "runs");
    json_array_begin(&w);
    for (size_t i = 0; i < r->nruns; i++) {
        json_object_begin(&w);
        json_kv_int(&w, "from_run_id", r->runs[i].from_id);
        json_kv_int(&w, "to_run_id", r->runs[i].to_id);
        json_kv_string(&w, "uuid", r->runs[i].uuid);
        json_object_end(&w);
    }
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("store", &err) : DRILL_EXIT_OK;
}

static int store_copy_cmd(const char *from_path, const char *to_path, bool json)
{
    if (str_eq(from_path, to_path)) {
        char *shown = redact_text(NULL, from_path);   /* a URI's password masked */
        int rc = cli_usage("store", "FROM and TO are the same store (%s)", shown);
        free(shown);
        return rc;
    }
    Store *from = NULL, *to = NULL;
    int rc = cli_open_existing_store("store", from_path, &from);
    if (rc != 0)
        return rc;
    DrillError err;
    if (store_copy_check(from, &err) < 0) {
        store_close(from);
        return cli_fail("store", &err);
    }
    rc = cli_open_store("store", to_path, &to);
    if (rc != 0) {
        store_close(from);
        return rc;
    }
    StoreCopyResult res;
    rc = store_copy(from, to, &res, &err);
    if (rc == 0)
        rc = print_result(store_path(from), store_path(to), &res, json);  /* passwords masked */
    else
        rc = cli_fail("store", &err);
    store_copy_result_free(&res);
    store_close(to);
    store_close(from);
    return rc;
}

int cmd_store(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'F'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    bool json = false;
    int c;
    while ((c = cli_getopt("store", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'F':
            if (cli_parse_format("store", optarg, &json) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'J': json = true; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("store", "name a subcommand: drill store copy FROM TO");
    if (!str_eq(argv[optind], "copy"))
        return cli_usage("store", "unknown subcommand \"%s\" (there is: copy)", argv[optind]);
    if (argc - optind != 3)
        return cli_usage("store", "drill store copy takes two stores: FROM TO");
    return store_copy_cmd(argv[optind + 1], argv[optind + 2], json);
}
