/* rentarkctl --json: what the daemon answered, as one line of JSON built and written by
 * json-glib (never by hand), so that the output is valid UTF-8 JSON whatever bytes a value
 * holds. Nothing here logs or prints; the strings returned are the caller's (g_free).
 *
 * jsonout_reply() turns the key=value pairs of an OK reply into one object, keys sorted, each
 * value typed by its key: the 0/1 flags of the protocol (jsonout_is_flag) are booleans, an
 * integer is a number unless the key is a name, an id or a text (jsonout_is_text), anything
 * else is a string. Bytes that are not UTF-8 become U+FFFD.
 *
 * jsonout_document() checks a JSON document the daemon sent (`stats json`) and writes it anew:
 * NULL with a GError (G_IO_ERROR_INVALID_DATA, or json-glib's parser error) when it is not
 * valid UTF-8 JSON. */
#pragma once

#include "proto.h"

#include <gio/gio.h>
#include <stdbool.h>

char *jsonout_reply(const RkParsedReply *r) G_GNUC_WARN_UNUSED_RESULT;
char *jsonout_document(const char *json, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Whether the value of key is a 0/1 flag (status, session-config), written as a boolean. */
bool jsonout_is_flag(const char *key);
/* Whether the value of key is always text, even when it is all digits (a PC named "3", an
 * incident id, a single warning "600" of a list). A key of a numbered list ("name0", "id12")
 * counts as its base name. */
bool jsonout_is_text(const char *key);
