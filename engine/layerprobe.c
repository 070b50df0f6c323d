/*
 * layerprobe.c — compiled into a layer only when configured with
 * -DDRILL_LAYER_PROBE=<layer> (tests/checks/layers.sh): a deliberate call
 * from that layer up into the runner, which must fail to link.
 */
void runner_request_stop(int signo);   /* run/runner.h: a layer above */
void layer_probe_upward_call(void);

void layer_probe_upward_call(void)
{
    runner_request_stop(0);
}
