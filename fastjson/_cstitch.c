/* Rows stitched from column tokens: the compiled form of
 * fastjson/encoders/_tokens.py's assemble(), which documents it.
 *
 * A row is the concatenation of its slots: a constant (the same bytes in
 * every row) or one token per row, cut out of a column's text by bounds. The
 * Python form makes a bytes object per cell and joins them; this one copies
 * each token once, into an output of the exact size, with no object per cell.
 * Every bound is checked before the first copy, and the copy runs without the
 * GIL: the buffers are held for the whole call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* One slot: text[bounds[2r]:bounds[2r + 1]] for row r, or
 * text[bounds[2c]:bounds[2c + 1]] with c = codes[r] (a few tokens picked by
 * code), or the whole text in every row (a constant: bounds NULL), or the
 * r-th of n tokens one after the other in the text with a separator between
 * two (separated: found as it is copied, by its marker byte, `before` bytes
 * after a token's end and `after` bytes before the next one's start). */
typedef struct {
    Py_buffer text, bounds, codes;
    Py_ssize_t tokens; /* bounds' pairs */
    int separated, marker;
    Py_ssize_t before, after;
    Py_ssize_t cursor, budget; /* separated: where the next token starts, bytes left */
} Slot;

static void
release(Slot *slot)
{
    PyBuffer_Release(&slot->text);
    PyBuffer_Release(&slot->bounds);
    PyBuffer_Release(&slot->codes);
}

static int
int64_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t count, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    const char *format = view->format ? view->format : "";
    format += (*format == '@' || *format == '=' || *format == '<');
    if (view->itemsize != 8 || *format == 0 || strchr("qlQL", *format) == NULL || format[1] ||
        (count >= 0 && view->len != count * 8)) {
        PyErr_Format(PyExc_ValueError, "%s: %zd int64 values expected", what, count);
        return -1;
    }
    return 0;
}

/* A separated slot: n tokens take the text less n - 1 separators. Whether
 * there are n is checked as they are copied (copy_separated), within that
 * budget, so that a wrong count can never write past the output. */
static Py_ssize_t
open_separated(PyObject *obj, Slot *slot, Py_ssize_t n)
{
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(obj, 0), &slot->text, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    long marker = PyLong_AsLong(PyTuple_GET_ITEM(obj, 1));
    Py_ssize_t before = PyLong_AsSsize_t(PyTuple_GET_ITEM(obj, 2));
    Py_ssize_t after = PyLong_AsSsize_t(PyTuple_GET_ITEM(obj, 3));
    if (PyErr_Occurred()) {
        return -1;
    }
    if (marker < 0 || marker > 255 || before < 0 || before > 63 || after < 1 || after > 64 ||
        before + after > 64) {
        PyErr_SetString(PyExc_ValueError, "a separator is one marker byte with 0-63 around it");
        return -1; /* (each bound first: their sum cannot overflow) */
    }
    Py_ssize_t between = before + after;
    if ((n > 1 && n - 1 > slot->text.len / between) || (n == 0 && slot->text.len)) {
        PyErr_SetString(PyExc_ValueError, "a separated text does not hold one token a row");
        return -1;
    }
    Py_ssize_t size = n ? slot->text.len - (n - 1) * between : 0; /* >= 0: checked above */
    slot->separated = 1;
    slot->marker = (int)marker;
    slot->before = before;
    slot->after = after;
    slot->budget = size;
    return size;
}

/* Copy token r of a separated slot; 0 when the text does not hold its n tokens. */
static int
copy_separated(char **out, Slot *slot, Py_ssize_t r, Py_ssize_t n)
{
    const char *text = slot->text.buf;
    const char *start = text + slot->cursor;
    const char *end = text + slot->text.len;
    const char *mark = memchr(start, slot->marker, end - start);
    Py_ssize_t length;
    if (r + 1 < n) {
        if (mark == NULL || mark - start < slot->before) {
            return 0;
        }
        length = (mark - start) - slot->before;
        slot->cursor = (mark - text) + slot->after;
    }
    else {
        if (mark != NULL) {
            return 0; /* more tokens than rows */
        }
        length = end - start;
        slot->cursor = slot->text.len;
    }
    if (length > slot->budget || slot->cursor > slot->text.len) {
        return 0;
    }
    memcpy(*out, start, length);
    *out += length;
    slot->budget -= length;
    return 1;
}

/* Read a slot and check it: every bound within the text, every code a token.
 * Returns the bytes it adds to n rows, or -1. */
static Py_ssize_t
open_slot(PyObject *obj, Slot *slot, Py_ssize_t n)
{
    if (!PyTuple_Check(obj)) {
        if (PyObject_GetBuffer(obj, &slot->text, PyBUF_SIMPLE) < 0) {
            return -1;
        }
        if (n && slot->text.len > PY_SSIZE_T_MAX / n) {
            PyErr_NoMemory();
            return -1;
        }
        return slot->text.len * n;
    }
    Py_ssize_t size = PyTuple_GET_SIZE(obj);
    if (size == 4) {
        return open_separated(obj, slot, n);
    }
    if (size != 2 && size != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "a slot is bytes, (text, bounds), (text, bounds, codes) or "
                        "(text, marker, before, after)");
        return -1;
    }
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(obj, 0), &slot->text, PyBUF_SIMPLE) < 0 ||
        int64_buffer(PyTuple_GET_ITEM(obj, 1), &slot->bounds, size == 2 ? 2 * n : -1, "bounds") < 0 ||
        (size == 3 && int64_buffer(PyTuple_GET_ITEM(obj, 2), &slot->codes, n, "codes") < 0)) {
        return -1;
    }
    const int64_t *bounds = slot->bounds.buf;
    slot->tokens = slot->bounds.len / 16;
    Py_ssize_t sizes = 0;
    for (Py_ssize_t t = 0; t < slot->tokens; t++) {
        if (bounds[2 * t] < 0 || bounds[2 * t + 1] < bounds[2 * t] ||
            bounds[2 * t + 1] > slot->text.len) {
            PyErr_SetString(PyExc_ValueError, "token bounds outside their text");
            return -1;
        }
        sizes += bounds[2 * t + 1] - bounds[2 * t];
    }
    if (size == 2) {
        return sizes;
    }
    const int64_t *codes = slot->codes.buf;
    Py_ssize_t total = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        if (codes[r] < 0 || codes[r] >= slot->tokens) {
            PyErr_SetString(PyExc_ValueError, "a code picks no token");
            return -1;
        }
        total += bounds[2 * codes[r] + 1] - bounds[2 * codes[r]];
    }
    return total;
}

/* Returns 0 when a separated slot does not hold its tokens (nothing is written
 * past the output). */
static int
copy_rows(char *out, Slot *slots, Py_ssize_t count, Py_ssize_t n)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        for (Py_ssize_t k = 0; k < count; k++) {
            Slot *slot = &slots[k];
            const char *text = slot->text.buf;
            if (slot->separated) {
                if (!copy_separated(&out, slot, r, n)) {
                    return 0;
                }
                continue;
            }
            if (slot->bounds.buf == NULL) {
                memcpy(out, text, slot->text.len);
                out += slot->text.len;
                continue;
            }
            const int64_t *bounds = slot->bounds.buf;
            Py_ssize_t t = slot->codes.buf ? ((const int64_t *)slot->codes.buf)[r] : r;
            Py_ssize_t length = bounds[2 * t + 1] - bounds[2 * t];
            memcpy(out, text + bounds[2 * t], length);
            out += length;
        }
    }
    return 1;
}

static PyObject *
stitch(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "stitch(n, slots) takes two arguments");
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[0]);
    if (n < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "n must be >= 0");
        }
        return NULL;
    }
    PyObject *items = PySequence_Fast(args[1], "slots must be a sequence");
    if (items == NULL) {
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    Slot *slots = PyMem_Calloc(count ? count : 1, sizeof(Slot));
    PyObject *result = NULL;
    Py_ssize_t opened = 0, total = 0;
    if (slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; opened < count; opened++) {
        Py_ssize_t size = open_slot(PySequence_Fast_GET_ITEM(items, opened), &slots[opened], n);
        if (size < 0 || total > PY_SSIZE_T_MAX - size) {
            opened++; /* released below, whatever it holds */
            if (size >= 0) {
                PyErr_NoMemory();
            }
            goto done;
        }
        total += size;
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result != NULL) {
        char *out = PyBytes_AS_STRING(result);
        int copied;
        Py_BEGIN_ALLOW_THREADS
        copied = copy_rows(out, slots, count, n);
        Py_END_ALLOW_THREADS
        if (!copied) {
            PyErr_SetString(PyExc_ValueError, "a separated text does not hold one token a row");
            Py_CLEAR(result);
        }
    }
done:
    for (Py_ssize_t k = 0; k < opened; k++) {
        release(&slots[k]);
    }
    PyMem_Free(slots);
    Py_DECREF(items);
    return result;
}

static PyMethodDef methods[] = {
    {"stitch", (PyCFunction)(void (*)(void))stitch, METH_FASTCALL,
     "stitch(n, slots) -> bytes: see fastjson.encoders._tokens.assemble."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fastjson._cstitch", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit__cstitch(void)
{
    return PyModuleDef_Init(&module);
}
