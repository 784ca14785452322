/* What a dict or list holds that orjson would mishandle: the compiled form of
 * fastjson/_scan.py's fallback, which documents the rules. It reads the
 * payload with the GIL held and runs no Python code, so nothing can change
 * the containers while they are read through borrowed references.
 */
#define PY_SSIZE_T_CLEAN
/* A dict's values are read from its table where CPython's layout is known
 * (3.11 to 3.13, with the GIL): through PyDict_Next a list of records takes
 * several times as long. The table's layout is
 * in CPython's internal headers, which 3.12 accepts only before Python.h. */
#include <patchlevel.h>
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED)
#define DICT_TABLE 1
#define Py_BUILD_CORE 1
#endif
#include <Python.h>
#ifdef DICT_TABLE
#include "internal/pycore_dict.h"
#undef Py_BUILD_CORE
#endif
#include <datetime.h>

#define TUPLE 1
#define DEEP 2
#define FRAGMENT 4
#define DATES 8

/* The commonest scalars, passed over without a call. */
#define PLAIN(v)                                                                         \
    (Py_TYPE(v) == &PyUnicode_Type || Py_TYPE(v) == &PyLong_Type ||                     \
     Py_TYPE(v) == &PyFloat_Type || (v) == Py_None || Py_TYPE(v) == &PyBool_Type)

/* What a scan reports (mask) and what ends it early (stop): the payload's
 * scan goes on past a date, to learn whether the walk is needed. */
typedef struct {
    PyTypeObject *fragment;
    int limit;
    int mask;
    int stop;
} Scan;

static int scan_value(const Scan *s, PyObject *o, int level);
static int scan_dict(const Scan *s, PyDictObject *d, int level);

static int
scan_items(const Scan *s, PyObject *const *items, Py_ssize_t n, int level)
{
    int found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PLAIN(items[i])) {
            found |= scan_value(s, items[i], level);
            if (found & s->stop) {
                break;
            }
        }
    }
    return found;
}

/* The values of a dict, as scan_items reads a list's (a NULL is a deleted entry). */
static int
scan_dict(const Scan *s, PyDictObject *d, int level)
{
    int found = 0;
#ifdef DICT_TABLE
    /* The values sit one pointer apart in a split table, and at a fixed
     * stride in the entries of a combined one. */
    PyDictKeysObject *keys = d->ma_keys;
    Py_ssize_t n = keys->dk_nentries, stride = 1;
    PyObject **values;
    if (d->ma_values != NULL) {
        values = d->ma_values->values;
    } else if (DK_IS_UNICODE(keys)) {
        values = &DK_UNICODE_ENTRIES(keys)[0].me_value;
        stride = sizeof(PyDictUnicodeEntry) / sizeof(PyObject *);
    } else {
        values = &DK_ENTRIES(keys)[0].me_value;
        stride = sizeof(PyDictKeyEntry) / sizeof(PyObject *);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *value = values[i * stride];
        if (value != NULL && !PLAIN(value)) {
            found |= scan_value(s, value, level);
            if (found & s->stop) {
                break;
            }
        }
    }
#else
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next((PyObject *)d, &pos, &key, &value)) {
        if (!PLAIN(value)) {
            found |= scan_value(s, value, level);
            if (found & s->stop) {
                break;
            }
        }
    }
#endif
    return found;
}

/* DATES for a date or time orjson would write otherwise than fastjson/_dates.py:
 * all but an exact date and an exact datetime that is naive or in UTC. */
static int
moment(PyObject *o, PyTypeObject *t)
{
    if (t == PyDateTimeAPI->DateTimeType) {
        PyObject *zone = PyDateTime_DATE_GET_TZINFO(o);
        return zone == Py_None || zone == PyDateTime_TimeZone_UTC ? 0 : DATES;
    }
    if (t == PyDateTimeAPI->DateType) {
        return 0;
    }
    return PyType_IsSubtype(t, PyDateTimeAPI->DateType) ||
                   PyType_IsSubtype(t, PyDateTimeAPI->TimeType)
               ? DATES
               : 0;
}

static int
scan_value(const Scan *s, PyObject *o, int level)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyDict_Type) {
        if (PyDict_GET_SIZE(o) == 0) {
            return 0;
        }
        if (level >= s->limit) {
            return DEEP;
        }
        return scan_dict(s, (PyDictObject *)o, level + 1);
    }
    if (t == &PyList_Type) {
        if (PyList_GET_SIZE(o) == 0) {
            return 0;
        }
        if (level >= s->limit) {
            return DEEP;
        }
        return scan_items(s, ((PyListObject *)o)->ob_item, PyList_GET_SIZE(o), level + 1);
    }
    if (t == &PyTuple_Type) {
        if (PyTuple_GET_SIZE(o) == 0) {
            return 0;
        }
        if (level >= s->limit) {
            return TUPLE | DEEP;
        }
        return TUPLE | scan_items(s, ((PyTupleObject *)o)->ob_item, PyTuple_GET_SIZE(o),
                                  level + 1);
    }
    if (t == s->fragment) {
        return FRAGMENT;
    }
    return s->mask & DATES ? moment(o, t) : 0;
}

/* Set once by configure(): orjson.Fragment, the level orjson checks, and what
 * result() looks for (tuples only where orjson does not bound them). */
static Scan payload_scan = {NULL, 0, DEEP | FRAGMENT | DATES, DEEP | FRAGMENT};
static Scan result_scan = {NULL, 0, TUPLE | DEEP | FRAGMENT | DATES, TUPLE | DEEP | FRAGMENT | DATES};

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "configure(fragment_type, limit, result_mask)");
        return NULL;
    }
    long limit = PyLong_AsLong(args[1]);
    long mask = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (limit < 0 || limit > 10000 || mask < 0 || mask > 15) {
        PyErr_SetString(PyExc_ValueError, "limit must be within 0..10000, result_mask within 0..15");
        return NULL;
    }
    Py_INCREF(args[0]); /* kept for good: the pointer is compared on every scan */
    payload_scan.fragment = result_scan.fragment = (PyTypeObject *)args[0];
    payload_scan.limit = result_scan.limit = (int)limit; /* also bounds this pass's recursion */
    result_scan.mask = result_scan.stop = (int)mask;
    Py_RETURN_NONE;
}

static PyObject *
run(const Scan *s, PyObject *obj)
{
    if (s->fragment == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "fastjson._cscan.configure() was not called");
        return NULL;
    }
    return PyLong_FromLong(scan_value(s, obj, 0) & s->mask);
}

static PyObject *
payload(PyObject *Py_UNUSED(module), PyObject *obj)
{
    return run(&payload_scan, obj);
}

static PyObject *
result(PyObject *Py_UNUSED(module), PyObject *obj)
{
    return run(&result_scan, obj);
}

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL,
     "configure(fragment_type, limit, result_mask): see fastjson._scan."},
    {"payload", payload, METH_O, "payload(obj) -> flags: see fastjson._scan.payload_flags."},
    {"result", result, METH_O, "result(obj) -> flags: see fastjson._scan.result_flags."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fastjson._cscan", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit__cscan(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    return PyModuleDef_Init(&module);
}
