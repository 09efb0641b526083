#include "gate.h"
#include "traffic.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    traffic_record rec;
    memset(&rec, 0, sizeof rec);
    char err[256];
    traffic_parse_line("fuzz", 1, (const char *)data, size, &rec, err, sizeof err);
    traffic_record_clear(&rec);
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    gate_expr e;
    gate_error ge;
    memset(&e, 0, sizeof e);
    gate_parse(s, NULL, &e, &ge);
    free(s);
    return 0;
}
