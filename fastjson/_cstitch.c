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
 * code), or the whole text in every row (a constant: bounds NULL). */
typedef struct {
    Py_buffer text, bounds, codes;
    Py_ssize_t tokens; /* bounds' pairs */
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
    if (size != 2 && size != 3) {
        PyErr_SetString(PyExc_TypeError, "a slot is bytes, (text, bounds) or (text, bounds, codes)");
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

static void
copy_rows(char *out, const Slot *slots, Py_ssize_t count, Py_ssize_t n)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        for (Py_ssize_t k = 0; k < count; k++) {
            const Slot *slot = &slots[k];
            const char *text = slot->text.buf;
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
        Py_BEGIN_ALLOW_THREADS
        copy_rows(out, slots, count, n);
        Py_END_ALLOW_THREADS
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
