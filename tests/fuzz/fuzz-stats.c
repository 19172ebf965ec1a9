/* libFuzzer target: the statistics file readers (the record file, and the JSON of earlier
 * versions, flattened into a record) must reject or accept any bytes without a crash, a leak or
 * undefined behaviour; every rejection carries a message, and whatever they accept must survive
 * a write and a read unchanged (the daemon saves what it loaded). */
#include "stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    Stats *rec = stats_from_records((const char *)data, size, &error);
    if (!rec && (!error || !error->message || !*error->message))
        abort();
    g_clear_error(&error);
    stats_free(rec);
    Stats *s = stats_from_json((const char *)data, size, &error);
    if (!s) {
        if (!error || !error->message || !*error->message)
            abort();
        g_clear_error(&error);
        return 0;
    }
    if (error)
        abort();
    char *json = stats_to_json(s);
    Stats *again = stats_from_json(json, strlen(json), &error);
    if (!again)
        abort();
    char *json2 = stats_to_json(again);
    if (strcmp(json, json2) != 0)
        abort();
    uint64_t entries[RK_WIPE_N] = { 1, 2, 3, 4, 5, 6, 7 };
    stats_record_session(again, TRUE, END_IDLE, 3600000);
    stats_record_wipe(again, 1234, TRUE, entries, 1790000000);
    stats_record_incident(again, STATS_INCIDENT_RESOLVED);
    char *text = stats_to_text(again);
    StatsLive live = { .seat_name = "PC \"3\" \\ 2", .state = SEAT_BLOCKED, .incidents_open = 1,
                       .now_unix = 1790000000 };
    char *prom = stats_to_prometheus(again, &live);
    g_free(text);
    g_free(prom);
    g_free(json);
    g_free(json2);
    stats_free(s);
    stats_free(again);
    return 0;
}
