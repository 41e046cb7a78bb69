/* px_prio.h: RFC 9218 priority signals: the Priority field value (a
 * Structured Fields dictionary, RFC 8941) and the PRIORITY_UPDATE frame
 * payload.  Pure functions: no I/O, no allocation. */
#ifndef TANDEM_PX_PRIO_H
#define TANDEM_PX_PRIO_H

#include <stddef.h>
#include <stdint.h>

#define PX_PRIO_URGENCY_DEFAULT 3
#define PX_PRIO_WEIGHT_DEFAULT 16 /* RFC 7540 §5.3.5 */

/* Parses a Priority field value.  A value that is not a valid Structured
 * Fields dictionary is ignored as a whole (returns -1, outputs untouched).
 * Otherwise returns 0 with *urgency and *incremental set as RFC 9218 §4
 * says: "u" an integer 0..7 (default 3), "i" a boolean (default false; a
 * bare "i" is true); a member of another type or out of range, and any
 * unknown member, is ignored; of repeated keys the last one counts. */
int px_prio_parse(const uint8_t *v, size_t len, uint8_t *urgency, uint8_t *incremental);

/* The PRIORITY_UPDATE payload (RFC 9218 §7.1): a 31-bit prioritized
 * stream id, then the field value.  0, or -1 when shorter than 4 bytes. */
int px_prio_update_decode(const uint8_t *p, size_t len, uint32_t *stream_id, const uint8_t **value,
                          size_t *value_len);

#endif
