/*
 * layercheck.c — the empty program each drill_layercheck_<layer> links the
 * layer's whole archive into (engine/CMakeLists.txt). Every object of the
 * layer is pulled in, so any symbol it uses must come from the layer itself
 * or from the layers it declares below it: an upward call fails to link.
 */
int main(void)
{
    return 0;
}
