/* ad_pyfields.h: the rules WSGI (wsgi_fields.c) and ASGI (asgi_fields.c)
 * apply alike to the header fields an app gives, once each interface has
 * the bytes of a field's name and value: trailer names, HTTP tokens, values
 * without control bytes (compared and sent without the blanks around
 * them), hop-by-hop fields dropped with one warning per worker, and
 * Content-Length (never in 103 hints; one value however often given).
 * Errors are Python exceptions naming the field by the app's own objects;
 * the GIL is held. */
#ifndef TANDEM_AD_PYFIELDS_H
#define TANDEM_AD_PYFIELDS_H

#include <Python.h>

#include <stddef.h>
#include <stdint.h>

/* The name's bytes (np, nl; np NULL when the name has none the wire can
 * carry), of a trailer or not: 0, or -1 with a ValueError. */
int ad_pyfields_name(PyObject *name, const uint8_t *np, size_t nl, int trailer);

enum { AD_PYFIELD_KEEP = 0, AD_PYFIELD_DROP = 1 };
/* The value's bytes (vp, vl) of the field name (np, nl), in 103 hints or
 * not: *tp, *tl get the value without surrounding blanks, and *clen a
 * Content-Length (AD_RESP_NO_LENGTH until one is seen).  AD_PYFIELD_KEEP,
 * AD_PYFIELD_DROP (hop-by-hop), or -1 with a ValueError. */
int ad_pyfields_value(PyObject *name, PyObject *value, const uint8_t *np, size_t nl,
                      const uint8_t *vp, size_t vl, int hints, const uint8_t **tp, size_t *tl,
                      uint64_t *clen);

#endif
