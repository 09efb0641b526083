#include "json.h"
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = NULL;
    size_t off = 0;
    if (json_parse((const char *)data, size, 64, &root, &off) == JSON_OK) cJSON_Delete(root);
    return 0;
}
