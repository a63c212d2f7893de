/*
 * Zero-copy views of guarded memory for the Python binding, written against
 * the CPython C API. build_ffi.py includes this file in the C source of the
 * cffi module securememory._native, so it calls the same statically linked
 * core as lib.*; smpy_views_init() (called once by securememory/_access.py)
 * publishes the functions below as the module securememory._views.
 *
 * A grant is one access to guarded memory: a secret's sm_secret_acquire() up
 * to its sm_secret_release(), or a buffer's data while a view is open. Python
 * reaches the bytes through a memoryview whose exporter is a separate small
 * object, the export:
 *
 *     memoryview -> managed buffer -> export -> grant -> host (Secret, Buffer)
 *
 * Only the memoryview machinery references the export (and whoever took
 * mv.obj); the grant points back at it without a reference. Once the
 * memoryview is released, the export therefore still exists exactly when
 * something derived from the view escaped (a slice, a cast, memoryview(mv),
 * mv.obj, a buffer export of mv): no reference-count arithmetic. The access
 * then stays open (the bytes stay mapped and readable, so the escaped object
 * can never fault) and ends when the export is freed.
 *
 * A grant is in one of three states, each with its list:
 *   - holding: its owner (a with_bytes() call, a view() block) has not
 *     finished; it records the owner's thread, so that close(), purge() and
 *     exit() can refuse to wait for a view of their own thread;
 *   - orphaned: the owner finished while the export lived (an escaped view);
 *   - ended: the secret is released and on_end was called.
 *
 * Grants and exports are not tracked by the cyclic garbage collector: a
 * cycle through them is never collected, so their host (and its sm_secret)
 * is never finalized while an access is open. Everything here runs with the
 * GIL held, except the core calls, around which the GIL is released as cffi
 * does for lib.* calls; the GIL protects the lists.
 *
 * It compiles against the full C API (the default: meson.build passes
 * -D_CFFI_NO_LIMITED_API) and against the limited API of Python 3.11 or
 * later (Py_LIMITED_API=0x030B0000, which has the buffer protocol), where
 * the one-argument calls go through the variadic call functions instead of
 * vectorcall (see docs/python.md, "abi3", for what that costs).
 */
#include <Python.h>

#include "securememory.h"

#if defined(Py_LIMITED_API) && Py_LIMITED_API + 0 < 0x030B0000
#error "views_glue.c needs the full C API or the limited API of Python 3.11 or later"
#endif

/* ---------------------------------------------------------------------- */
/* Calls that the limited API spells differently                          */
/* ---------------------------------------------------------------------- */

#if !defined(Py_LIMITED_API) || Py_LIMITED_API + 0 >= 0x030C0000
#define SMPY_VECTORCALL 1 /* PyObject_Vectorcall(Method) is available */
#endif

/* fn(arg) */
static PyObject *smpy_call1(PyObject *fn, PyObject *arg) {
#ifdef SMPY_VECTORCALL
    PyObject *args[1] = {arg};
    return PyObject_Vectorcall(fn, args, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
#else
    return PyObject_CallFunctionObjArgs(fn, arg, NULL);
#endif
}

/* memoryview.release, looked up once by smpy_views_init(). */
static PyObject *smpy_mv_release;

/* mv.release() */
static PyObject *smpy_release_view(PyObject *mv) {
    return smpy_call1(smpy_mv_release, mv);
}

/* ---------------------------------------------------------------------- */
/* Core calls, with the GIL released around them (as cffi does for lib.*) */
/* ---------------------------------------------------------------------- */

static sm_status smpy_acquire(sm_secret *s, const uint8_t **data, size_t *len) {
    PyThreadState *ts = PyEval_SaveThread(); /* Py_BEGIN_ALLOW_THREADS */
    sm_status st = sm_secret_acquire(s, data, len);
    PyEval_RestoreThread(ts); /* Py_END_ALLOW_THREADS */
    return st;
}

static void smpy_release(sm_secret *s) {
    PyThreadState *ts = PyEval_SaveThread();
    (void)sm_secret_release(s); /* fails only without an outstanding access */
    PyEval_RestoreThread(ts);
}

/* ---------------------------------------------------------------------- */
/* Saving the pending exception around calls made while one propagates    */
/* ---------------------------------------------------------------------- */

#if defined(Py_LIMITED_API) ? Py_LIMITED_API + 0 >= 0x030C0000 : PY_VERSION_HEX >= 0x030C0000
#define SMPY_RAISED_EXCEPTION 1 /* PyErr_GetRaisedException (3.12) */
#endif

typedef struct {
#ifdef SMPY_RAISED_EXCEPTION
    PyObject *exc;
#else
    PyObject *type, *value, *tb;
#endif
} smpy_saved_exc;

static void smpy_save_exc(smpy_saved_exc *s) {
#ifdef SMPY_RAISED_EXCEPTION
    s->exc = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&s->type, &s->value, &s->tb);
#endif
}

static void smpy_restore_exc(smpy_saved_exc *s) {
#ifdef SMPY_RAISED_EXCEPTION
    PyErr_SetRaisedException(s->exc);
#else
    PyErr_Restore(s->type, s->value, s->tb);
#endif
}

/* Calls fn() for its side effects; reports (never raises) its errors. */
static void smpy_call_quietly(PyObject *fn) {
    smpy_saved_exc saved;
    smpy_save_exc(&saved);
    PyObject *r = PyObject_CallNoArgs(fn);
    if (r == NULL)
        PyErr_WriteUnraisable(fn);
    else
        Py_DECREF(r);
    smpy_restore_exc(&saved);
}

/* ---------------------------------------------------------------------- */
/* Grants and exports                                                     */
/* ---------------------------------------------------------------------- */

typedef struct smpy_export smpy_export;
typedef struct smpy_grant smpy_grant;

enum { SMPY_HOLDING, SMPY_ORPHANED, SMPY_ENDED };

struct smpy_grant {
    PyObject_HEAD PyObject *host; /* the Secret or Buffer: kept alive while the access lasts */
    sm_secret *secret;            /* released when the access ends; NULL for buffer views */
    void *data;
    Py_ssize_t len;
    int readonly;
    int state;               /* SMPY_HOLDING, SMPY_ORPHANED or SMPY_ENDED */
    unsigned long thread;    /* the owner's thread (threading.get_ident()) */
    smpy_export *export;     /* borrowed; cleared by the export's deallocation */
    PyObject *on_end;        /* called once when the access ends (or NULL) */
    PyObject *leak_end;      /* called once when an escaped access ends (or NULL) */
    smpy_grant *prev, *next; /* in the list of its state (holding, orphaned) */
};

struct smpy_export {
    PyObject_HEAD smpy_grant *grant; /* strong */
};

/* Heap types (PyType_FromSpec), made once by smpy_views_init(). */
static PyTypeObject *smpy_grant_type;
static PyTypeObject *smpy_export_type;

static smpy_grant *smpy_holding; /* grants whose owner has not finished */
static smpy_grant *smpy_orphans; /* accesses kept open for escaped views */

/* Python callables set by configure(). */
static PyObject *smpy_raise_for; /* raise_for(status): raises the status' exception */
static PyObject *smpy_on_leak;   /* on_leak(host) -> callable: records an escaped view */


static const char smpy_escaped_message[] =
    "a view derived from the memoryview (a slice, cast, .obj or an export) outlived the "
    "access; the memory stays readable until that object is garbage collected";

static void smpy_link(smpy_grant **list, smpy_grant *g) {
    g->prev = NULL;
    g->next = *list;
    if (*list != NULL)
        (*list)->prev = g;
    *list = g;
}

static void smpy_unlink(smpy_grant **list, smpy_grant *g) {
    if (g->prev != NULL)
        g->prev->next = g->next;
    else
        *list = g->next;
    if (g->next != NULL)
        g->next->prev = g->prev;
    g->prev = g->next = NULL;
}

static smpy_grant **smpy_list_of(smpy_grant *g) {
    return g->state == SMPY_HOLDING ? &smpy_holding : &smpy_orphans;
}

/* Ends the access (idempotent): releases the secret, then calls on_end and
 * leak_end. The pending exception, if any, is kept. The caller holds a
 * reference to g. */
static void smpy_end(smpy_grant *g) {
    if (g->state == SMPY_ENDED)
        return;
    smpy_unlink(smpy_list_of(g), g);
    g->state = SMPY_ENDED;
    if (g->secret != NULL)
        smpy_release(g->secret);
    PyObject *on_end = g->on_end, *leak_end = g->leak_end;
    g->on_end = g->leak_end = NULL;
    if (leak_end != NULL) {
        smpy_call_quietly(leak_end);
        Py_DECREF(leak_end);
    }
    if (on_end != NULL) {
        smpy_call_quietly(on_end);
        Py_DECREF(on_end);
    }
}

/*
 * A new holding grant, with its memoryview in *mv, for memory the calling
 * thread has access to. On failure the access is ended (the secret released,
 * on_end called) and NULL returned.
 */
static smpy_grant *smpy_grant_new(PyObject *host, sm_secret *secret, const void *data, size_t len,
                                  int readonly, PyObject *on_end, PyObject **mv) {
    if (on_end == Py_None)
        on_end = NULL;
    smpy_grant *g = PyObject_New(smpy_grant, smpy_grant_type);
    if (g == NULL) {
        if (secret != NULL)
            smpy_release(secret);
        if (on_end != NULL)
            smpy_call_quietly(on_end);
        return NULL;
    }
    Py_INCREF(host);
    g->host = host;
    g->secret = secret;
    g->data = (void *)data; /* exported read-only when readonly */
    g->len = (Py_ssize_t)len;
    g->readonly = readonly;
    g->state = SMPY_HOLDING;
    g->thread = PyThread_get_thread_ident();
    g->export = NULL;
    Py_XINCREF(on_end);
    g->on_end = on_end;
    g->leak_end = NULL;
    smpy_link(&smpy_holding, g);

    smpy_export *e = PyObject_New(smpy_export, smpy_export_type);
    if (e == NULL) {
        Py_DECREF((PyObject *)g); /* ends the access */
        return NULL;
    }
    Py_INCREF((PyObject *)g);
    e->grant = g;
    g->export = e;
    *mv = PyMemoryView_FromObject((PyObject *)e);
    Py_DECREF((PyObject *)e); /* from here on only the memoryview (and mv.obj) hold it */
    if (*mv == NULL) {
        Py_DECREF((PyObject *)g);
        return NULL;
    }
    return g;
}

static void smpy_grant_dealloc(PyObject *self) {
    smpy_grant *g = (smpy_grant *)self;
    PyTypeObject *type = Py_TYPE(self);
    /* Never orphaned here (an orphan's export holds a reference). A grant
     * dropped while holding (a view never released) ends now. */
    smpy_end(g);
    Py_DECREF(g->host);
    PyObject_Free(g);
    Py_DECREF(type); /* instances of heap types hold their type */
}

static void smpy_export_dealloc(PyObject *self) {
    smpy_export *e = (smpy_export *)self;
    PyTypeObject *type = Py_TYPE(self);
    smpy_grant *g = e->grant;
    g->export = NULL;
    if (g->state == SMPY_ORPHANED)
        smpy_end(g); /* the last escaped view is gone */
    Py_DECREF((PyObject *)g);
    PyObject_Free(e);
    Py_DECREF(type);
}

static int smpy_export_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    smpy_grant *g = ((smpy_export *)self)->grant;
    if (g->state == SMPY_ENDED) { /* only after end_orphans(): the process is ending */
        view->obj = NULL;
        PyErr_SetString(PyExc_BufferError, "the access to this memory has ended");
        return -1;
    }
    return PyBuffer_FillInfo(view, self, g->data, g->len, g->readonly, flags);
}

/*
 * The owner of a holding grant is done with its memoryview: releases mv,
 * then ends the access, or, when something derived from the view escaped,
 * records the leak (on_leak) and keeps the access open as an orphan.
 * Returns 1 when the access ended, 0 when it was orphaned. The pending
 * exception, if any, is kept. The caller holds a reference to g.
 */
static int smpy_finish_grant(smpy_grant *g, PyObject *mv) {
    smpy_saved_exc saved;
    smpy_save_exc(&saved);
    PyObject *r = smpy_release_view(mv);
    if (r == NULL)
        PyErr_Clear(); /* BufferError: mv itself is exported, so the export lives on */
    else
        Py_DECREF(r);
    if (g->export != NULL && g->state == SMPY_HOLDING && smpy_on_leak != NULL) {
        /* Recorded before the grant stops holding, so that no state change
         * (a buffer's freeze, a close) slips in between. */
        PyObject *leak_end = smpy_call1(smpy_on_leak, g->host);
        if (leak_end == NULL) {
            PyErr_WriteUnraisable(g->host);
        } else if (leak_end == Py_None) {
            Py_DECREF(leak_end);
        } else {
            PyObject *old = g->leak_end;
            g->leak_end = leak_end;
            Py_XDECREF(old);
        }
    }
    smpy_restore_exc(&saved);
    if (g->state != SMPY_HOLDING) /* already ended (end_orphans() cannot, but be safe) */
        return g->state == SMPY_ENDED;
    if (g->export == NULL) { /* gone, possibly while on_leak ran */
        smpy_end(g);
        return 1;
    }
    smpy_unlink(&smpy_holding, g);
    g->state = SMPY_ORPHANED;
    smpy_link(&smpy_orphans, g);
    return 0;
}

/* Neither type can be instantiated from Python: their fields are set only
 * here (Py_TPFLAGS_DISALLOW_INSTANTIATION needs Python 3.10). */
static PyObject *smpy_no_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)type;
    (void)args;
    (void)kwargs;
    PyErr_SetString(PyExc_TypeError, "securememory._views objects cannot be created from Python");
    return NULL;
}

static PyType_Slot smpy_grant_slots[] = {
    {Py_tp_new, (void *)smpy_no_new},
    {Py_tp_dealloc, (void *)smpy_grant_dealloc},
    {Py_tp_doc, (void *)"One access to guarded memory (internal)."},
    {0, NULL},
};

static PyType_Spec smpy_grant_spec = {
    .name = "securememory._views.Grant",
    .basicsize = sizeof(smpy_grant),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = smpy_grant_slots,
};

static PyType_Slot smpy_export_slots[] = {
    {Py_tp_new, (void *)smpy_no_new},
    {Py_tp_dealloc, (void *)smpy_export_dealloc},
    {Py_bf_getbuffer, (void *)smpy_export_getbuffer},
    {Py_tp_doc, (void *)"The exporter of a view of guarded memory (internal)."},
    {0, NULL},
};

static PyType_Spec smpy_export_spec = {
    .name = "securememory._views.Export",
    .basicsize = sizeof(smpy_export),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = smpy_export_slots,
};

/* ---------------------------------------------------------------------- */
/* Module functions                                                       */
/* ---------------------------------------------------------------------- */

static int smpy_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t want) {
    if (nargs == want)
        return 1;
    PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, want, nargs);
    return 0;
}

static int smpy_pointer(PyObject *o, void **out) {
    *out = PyLong_AsVoidPtr(o);
    return *out != NULL || !PyErr_Occurred();
}

/* Starts an access to a secret: a new holding grant and its memoryview, or
 * NULL with the status' exception raised (by raise_for). */
static smpy_grant *smpy_secret_grant_new(PyObject *host, PyObject *addr, PyObject *on_end,
                                         PyObject **mv) {
    void *s;
    if (!smpy_pointer(addr, &s))
        return NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    sm_status st = smpy_acquire((sm_secret *)s, &data, &len);
    if (st == SM_OK)
        return smpy_grant_new(host, (sm_secret *)s, data, len, 1, on_end, mv);
    if (smpy_raise_for == NULL) {
        PyErr_Format(PyExc_RuntimeError, "cannot access the secret (status %d)", (int)st);
        return NULL;
    }
    PyObject *code = PyLong_FromLong((long)st);
    if (code != NULL) {
        PyObject *r = smpy_call1(smpy_raise_for, code);
        Py_DECREF(code);
        if (r != NULL) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_RuntimeError, "raise_for() did not raise");
        }
    }
    return NULL;
}

PyDoc_STRVAR(smpy_with_bytes_doc,
             "secret_with_bytes(secret, handle_address, fn) -> fn(view)\n\n"
             "Secret.with_bytes() in one call: acquire, fn(read-only memoryview), release.");

static PyObject *smpy_with_bytes(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (!smpy_nargs("secret_with_bytes", nargs, 3))
        return NULL;
    PyObject *mv;
    smpy_grant *g = smpy_secret_grant_new(args[0], args[1], NULL, &mv);
    if (g == NULL)
        return NULL;
    PyObject *result = smpy_call1(args[2], mv);
    int ended = smpy_finish_grant(g, mv);
    Py_DECREF(mv);
    Py_DECREF((PyObject *)g);
    if (!ended && result != NULL) { /* fn returned: report the escaped view */
        Py_CLEAR(result);
        PyErr_SetString(PyExc_BufferError, smpy_escaped_message);
    }
    return result;
}

/* (grant, memoryview), or NULL. */
static PyObject *smpy_pair(smpy_grant *g, PyObject *mv) {
    if (g == NULL)
        return NULL;
    PyObject *pair = PyTuple_Pack(2, (PyObject *)g, mv);
    Py_DECREF(mv);
    Py_DECREF((PyObject *)g); /* a grant dropped with the pair ends its access */
    return pair;
}

PyDoc_STRVAR(smpy_secret_grant_doc,
             "secret_grant(secret, handle_address) -> (grant, memoryview)\n\n"
             "Acquire a secret for a view; finish(grant, memoryview) ends it.");

static PyObject *smpy_secret_grant(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (!smpy_nargs("secret_grant", nargs, 2))
        return NULL;
    PyObject *mv = NULL;
    smpy_grant *g = smpy_secret_grant_new(args[0], args[1], NULL, &mv);
    return smpy_pair(g, mv);
}

PyDoc_STRVAR(smpy_buffer_grant_doc,
             "buffer_grant(buffer, data_address, size, readonly, on_end) -> (grant, memoryview)\n\n"
             "A view of a buffer's data; finish(grant, memoryview) ends it. on_end() runs\n"
             "once when the access ends, also when this call fails.");

static PyObject *smpy_buffer_grant(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (!smpy_nargs("buffer_grant", nargs, 5))
        return NULL;
    void *data;
    Py_ssize_t len = -1;
    int readonly = -1;
    if (smpy_pointer(args[1], &data) && (len = PyLong_AsSsize_t(args[2])) >= 0)
        readonly = PyObject_IsTrue(args[3]);
    if (readonly < 0) { /* bad arguments: the access ends at once */
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "negative size");
        if (args[4] != Py_None)
            smpy_call_quietly(args[4]);
        return NULL;
    }
    PyObject *mv = NULL;
    smpy_grant *g = smpy_grant_new(args[0], NULL, data, (size_t)len, readonly, args[4], &mv);
    return smpy_pair(g, mv);
}

PyDoc_STRVAR(smpy_finish_doc,
             "finish(grant, memoryview) -> bool\n\n"
             "Release the memoryview and end the access: True. False when a view derived\n"
             "from it escaped: the access then ends when that object is collected.");

static PyObject *smpy_finish(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (!smpy_nargs("finish", nargs, 2))
        return NULL;
    if (Py_TYPE(args[0]) != smpy_grant_type) {
        PyErr_SetString(PyExc_TypeError, "finish() needs a securememory._views.Grant");
        return NULL;
    }
    smpy_grant *g = (smpy_grant *)args[0];
    if (g->state != SMPY_HOLDING) {
        PyErr_SetString(PyExc_ValueError, "this access is already finished");
        return NULL;
    }
    Py_INCREF((PyObject *)g);
    int ended = smpy_finish_grant(g, args[1]);
    Py_DECREF((PyObject *)g);
    return PyBool_FromLong(ended);
}

PyDoc_STRVAR(smpy_end_orphans_doc,
             "end_orphans() -> int\n\n"
             "End every access kept open for escaped views (the process is ending).");

static PyObject *smpy_end_orphans(PyObject *mod, PyObject *unused) {
    (void)mod;
    (void)unused;
    long n = 0;
    while (smpy_orphans != NULL) {
        smpy_grant *g = smpy_orphans;
        Py_INCREF((PyObject *)g);
        smpy_end(g); /* unlinks it */
        Py_DECREF((PyObject *)g);
        n++;
    }
    return PyLong_FromLong(n);
}

/* Whether a holding grant matches: of this thread (any host) or of host
 * (any thread) or both. */
static int smpy_any_holding(int this_thread, PyObject *host) {
    unsigned long me = this_thread ? PyThread_get_thread_ident() : 0;
    for (smpy_grant *g = smpy_holding; g != NULL; g = g->next)
        if ((!this_thread || g->thread == me) && (host == NULL || g->host == host))
            return 1;
    return 0;
}

PyDoc_STRVAR(smpy_in_view_doc,
             "thread_in_view() -> bool: the calling thread is inside a view (any host).");

static PyObject *smpy_in_view(PyObject *mod, PyObject *unused) {
    (void)mod;
    (void)unused;
    return PyBool_FromLong(smpy_any_holding(1, NULL));
}

PyDoc_STRVAR(smpy_holds_doc, "thread_holds(host) -> bool: the calling thread is inside a view "
                             "of host.");

static PyObject *smpy_holds(PyObject *mod, PyObject *host) {
    (void)mod;
    return PyBool_FromLong(smpy_any_holding(1, host));
}

PyDoc_STRVAR(smpy_views_open_doc,
             "views_open(host) -> bool: a view of host is open on any thread.");

static PyObject *smpy_views_open(PyObject *mod, PyObject *host) {
    (void)mod;
    return PyBool_FromLong(smpy_any_holding(0, host));
}

PyDoc_STRVAR(smpy_configure_doc,
             "configure(raise_for, on_leak)\n\n"
             "raise_for(status) raises the exception of a failed acquire; on_leak(host)\n"
             "records an escaped view of host and returns what to call when it ends.");

static PyObject *smpy_configure(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (!smpy_nargs("configure", nargs, 2))
        return NULL;
    PyObject *old_raise_for = smpy_raise_for, *old_on_leak = smpy_on_leak;
    Py_INCREF(args[0]);
    smpy_raise_for = args[0];
    Py_INCREF(args[1]);
    smpy_on_leak = args[1];
    Py_XDECREF(old_raise_for);
    Py_XDECREF(old_on_leak);
    Py_RETURN_NONE;
}

#define SMPY_FASTCALL(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL

static PyMethodDef smpy_methods[] = {
    {"secret_with_bytes", SMPY_FASTCALL(smpy_with_bytes), smpy_with_bytes_doc},
    {"secret_grant", SMPY_FASTCALL(smpy_secret_grant), smpy_secret_grant_doc},
    {"buffer_grant", SMPY_FASTCALL(smpy_buffer_grant), smpy_buffer_grant_doc},
    {"finish", SMPY_FASTCALL(smpy_finish), smpy_finish_doc},
    {"configure", SMPY_FASTCALL(smpy_configure), smpy_configure_doc},
    {"end_orphans", smpy_end_orphans, METH_NOARGS, smpy_end_orphans_doc},
    {"thread_in_view", smpy_in_view, METH_NOARGS, smpy_in_view_doc},
    {"thread_holds", smpy_holds, METH_O, smpy_holds_doc},
    {"views_open", smpy_views_open, METH_O, smpy_views_open_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef smpy_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "securememory._views",
    .m_doc = "Zero-copy views of guarded memory (internal; see securememory/_access.py).",
    .m_size = -1,
    .m_methods = smpy_methods,
};

/* Publishes securememory._views in sys.modules; 0 on success. Called through
 * cffi, which has released the GIL: take it back for the C API calls. */
static int smpy_views_init(void) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = -1;
    PyObject *modules = PyImport_GetModuleDict();
    if (PyDict_GetItemString(modules, "securememory._views") != NULL) {
        rc = 0;
    } else if ((smpy_grant_type != NULL ||
                (smpy_grant_type = (PyTypeObject *)PyType_FromSpec(&smpy_grant_spec)) != NULL) &&
               (smpy_export_type != NULL ||
                (smpy_export_type = (PyTypeObject *)PyType_FromSpec(&smpy_export_spec)) != NULL) &&
               (smpy_mv_release != NULL ||
                (smpy_mv_release = PyObject_GetAttrString((PyObject *)&PyMemoryView_Type,
                                                          "release")) != NULL)) {
        PyObject *m = PyModule_Create(&smpy_module);
        if (m != NULL) {
            rc = PyDict_SetItemString(modules, "securememory._views", m);
            Py_DECREF(m);
        }
    }
    if (rc != 0)
        PyErr_Print(); /* cffi's caller expects no pending exception */
    PyGILState_Release(gil);
    return rc;
}
