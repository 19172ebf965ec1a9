/* libFuzzer target: the configuration loader must reject or accept any bytes without a crash,
 * a leak or undefined behaviour, and every rejection must carry a message. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    /* @include reads other files (even /dev/zero); the loader is not the place that decides
     * which files an admin may include, so the fuzzer leaves it out. */
    if (strstr(text, "@include")) {
        free(text);
        return 0;
    }
    GError *error = NULL;
    RkConfig *c = rk_config_load_string(text, "fuzz.conf", false, &error);
    if (c) {
        if (error)
            abort();
        (void)rk_config_find_volunteer(c, "x");
        rk_config_free(c);
    } else if (!error || !error->message || !*error->message) {
        abort();
    }
    g_clear_error(&error);
    free(text);
    return 0;
}
