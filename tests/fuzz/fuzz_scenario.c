#include "diag.h"
#include "scenario.h"
#include "ytree.h"
#include <stdint.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag d;
    memset(&d, 0, sizeof d);
    ytree_node *n = NULL;
    if (ytree_parse((const char *)data, size, &d, &n) == 0) ytree_free(n);
    diag_free(&d);
    memset(&d, 0, sizeof d);
    scenario *sc = NULL;
    if (scenario_load_buffer((const char *)data, size, "fuzz.yaml", NULL, &d, &sc) == 0)
        scenario_free(sc);
    diag_free(&d);
    return 0;
}
