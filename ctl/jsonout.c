/* rentarkctl --json through json-glib: a JsonBuilder makes the tree, a JsonGenerator writes it.
 * json-glib escapes what JSON asks ('"', '\\', control characters) in the one place that knows
 * the grammar; this file only decides each value's type and that every string is UTF-8. */
#include "jsonout.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The protocol's flags (common/proto.h): status and session-config. */
static const char *const flag_keys[] = {
    "guided", "verified", "waiting_input", "locked",
    "guided_enabled", "screen_reader", "start_on_first_input", NULL,
};

/* Names, ids, texts and lists written as text: never numbers, even when all digits. */
static const char *const text_keys[] = {
    "seat_name", "volunteer", "session", "id", "name", "what", "text", "state", "caller",
    "closed", "override", "lang", "languages", "notice_dir", "warnings", "closing_warnings", NULL,
};

bool jsonout_is_flag(const char *key)
{
    return g_strv_contains(flag_keys, key);
}

bool jsonout_is_text(const char *key)
{
    g_autofree char *base = g_strdup(key);
    for (size_t n = strlen(base); n > 0 && g_ascii_isdigit(base[n - 1]); n--)
        base[n - 1] = '\0';
    return g_strv_contains(text_keys, base);
}

/* v as JSON writes an integer ("-12", "0"; not "+1", "007", " 5") that fits in 64 bits. */
static bool as_integer(const char *v, gint64 *ret)
{
    const char *d = v[0] == '-' ? v + 1 : v;
    if (!g_ascii_isdigit(d[0]) || (d[0] == '0' && d[1]))
        return false;
    for (const char *p = d; *p; p++)
        if (!g_ascii_isdigit(*p))
            return false;
    return g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, ret, NULL);
}

static void add_value(JsonBuilder *b, const char *key, const char *v)
{
    gint64 n;

    if (jsonout_is_flag(key) && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
        json_builder_add_boolean_value(b, v[0] == '1');
    } else if (!jsonout_is_text(key) && as_integer(v, &n)) {
        json_builder_add_int_value(b, n);
    } else {
        /* The protocol carries any bytes; JSON strings are Unicode. */
        g_autofree char *valid = g_utf8_make_valid(v, -1);
        json_builder_add_string_value(b, valid);
    }
}

/* The document root as one line. json-glib 1.6 (Debian 12's 1.6.6) writes U+001F as it is,
 * which JSON forbids in a string; it escapes every other control character. Without pretty
 * printing the generator writes no byte below 0x20 outside a string, so each one left in its
 * output is inside a string and becomes its \u escape here. */
static char *generate(JsonNode *root)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, FALSE);
    json_generator_set_root(gen, root);
    g_autofree char *data = json_generator_to_data(gen, NULL);
    GString *out = g_string_sized_new(strlen(data) + 1);
    for (const unsigned char *p = (const unsigned char *)data; *p; p++) {
        if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    return g_string_free(out, FALSE);
}

char *jsonout_reply(const RkParsedReply *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(GList) keys = g_hash_table_get_keys(r->kv);
    keys = g_list_sort(keys, (GCompareFunc)strcmp);

    json_builder_begin_object(b);
    for (GList *k = keys; k; k = k->next) {
        g_autofree char *name = g_utf8_make_valid(k->data, -1);
        json_builder_set_member_name(b, name);
        add_value(b, k->data, g_hash_table_lookup(r->kv, k->data));
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return generate(root);
}

char *jsonout_document(const char *json, GError **error)
{
    if (!g_utf8_validate(json, -1, NULL)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the daemon's JSON is not valid UTF-8");
        return NULL;
    }
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, error))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    if (!root) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the daemon sent an empty JSON document");
        return NULL;
    }
    return generate(root);
}
