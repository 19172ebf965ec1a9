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
        /* Whatever schedule was accepted, the search for its next change ends and its answer
         * is in order: a closing after now, an opening after now. */
        static GTimeZone *tz;
        if (!tz)
            tz = g_time_zone_new_identifier("CET-1CEST,M3.5.0,M10.5.0/3");
        const gint64 now = 1790000000; /* 2026-09-21, a Monday */
        HoursState st;
        hours_state_at(&c->hours, NULL, tz, now, &st);
        if ((st.open && st.opens_at) || (!st.open && st.closes_at) || (st.closes_at && st.closes_at <= now) ||
            (st.opens_at && st.opens_at <= now))
            abort();
        rk_config_free(c);
    } else if (!error || !error->message || !*error->message) {
        abort();
    }
    g_clear_error(&error);
    free(text);
    return 0;
}
