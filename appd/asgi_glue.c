/* asgi_glue.c: the parts of the ASGI worker that run once per worker, in
 * Python because they are Python's business and not on any request's path:
 * making the event loop (--asgi-loop: uvloop when installed), telling ASGI 3
 * apps from ASGI 2 double callables (wrapped), and the lifespan protocol
 * (--asgi-lifespan), whose startup completes before the worker reports
 * ready (the master hands it no proxy connection until then). */
#include "config.h"

#include <Python.h>

#include <string.h>

#include "ad_python.h"
#include "ad_worker.h"
#include "asgi_int.h"
#include "tc_log.h"

static const char glue_src[] =
    "import asyncio, inspect, traceback\n"
    "\n"
    "class ClientDisconnected(OSError):\n"
    "    'send() after the client went away (ASGI spec 2.4 asks for an OSError).'\n"
    "\n"
    "class LifespanFailed(Exception):\n"
    "    pass\n"
    "\n"
    "def new_loop(kind):\n"
    "    if kind != 1:\n"
    "        try:\n"
    "            import uvloop\n"
    "        except ImportError:\n"
    "            if kind == 2:\n"
    "                raise\n"
    "        else:\n"
    "            loop = uvloop.new_event_loop()\n"
    "            asyncio.set_event_loop(loop)\n"
    "            return loop, 'uvloop ' + uvloop.__version__\n"
    "    loop = asyncio.new_event_loop()\n"
    "    asyncio.set_event_loop(loop)\n"
    "    return loop, 'asyncio'\n"
    "\n"
    "def asgi3(app):\n"
    "    if inspect.isclass(app):\n"
    "        three = hasattr(app, '__await__')\n"
    "    elif inspect.isfunction(app) or inspect.ismethod(app):\n"
    "        three = inspect.iscoroutinefunction(app)\n"
    "    else:\n"
    "        three = inspect.iscoroutinefunction(getattr(app, '__call__', None))\n"
    "    if three:\n"
    "        return app, 3\n"
    "    async def asgi2(scope, receive, send):\n"
    "        instance = app(scope)\n"
    "        await instance(receive, send)\n"
    "    return asgi2, 2\n"
    "\n"
    "def _why(exc):\n"
    "    return '%s: %s' % (type(exc).__name__, exc) if str(exc) else type(exc).__name__\n"
    "\n"
    "class Lifespan:\n"
    "    def __init__(self, app, mode):\n"
    "        self.app, self.mode = app, mode\n"
    "        self.state = {}\n"
    "        self.inbox = asyncio.Queue()\n"
    "        self.phase = self.answer = self.task = None\n"
    "        self.supported = True\n"
    "\n"
    "    async def receive(self):\n"
    "        return await self.inbox.get()\n"
    "\n"
    "    async def send(self, message):\n"
    "        if not isinstance(message, dict):\n"
    "            raise TypeError('lifespan send() takes a dict, not %s' % type(message).__name__)\n"
    "        kind = message.get('type')\n"
    "        ok, bad = 'lifespan.%s.complete' % self.phase, 'lifespan.%s.failed' % self.phase\n"
    "        if kind not in (ok, bad):\n"
    "            raise RuntimeError('lifespan: unexpected message %r during %s (expected %r or "
    "%r)'\n"
    "                               % (kind, self.phase, ok, bad))\n"
    "        if not self.answer.done():\n"
    "            self.answer.set_result(None if kind == ok else\n"
    "                                   str(message.get('message') or '') or 'no message')\n"
    "\n"
    "    async def run(self):\n"
    "        scope = {'type': 'lifespan', 'asgi': {'version': '3.0', 'spec_version': '2.0'},\n"
    "                 'state': self.state}\n"
    "        await self.app(scope, self.receive, self.send)\n"
    "\n"
    "    async def phase_(self, name):\n"
    "        self.phase = name\n"
    "        self.answer = asyncio.get_running_loop().create_future()\n"
    "        await self.inbox.put({'type': 'lifespan.' + name})\n"
    "        await asyncio.wait({self.answer, self.task}, return_when=asyncio.FIRST_COMPLETED)\n"
    "        if self.answer.done():\n"
    "            return True, self.answer.result()\n"
    "        return False, None\n"
    "\n"
    "    async def startup(self):\n"
    "        self.task = asyncio.get_running_loop().create_task(self.run())\n"
    "        answered, failed = await self.phase_('startup')\n"
    "        if answered:\n"
    "            if failed is not None:\n"
    "                raise LifespanFailed('lifespan startup failed: ' + failed)\n"
    "            return\n"
    "        exc = None if self.task.cancelled() else self.task.exception()\n"
    "        self.supported = False\n"
    "        if self.mode == 1:\n"
    "            if exc is not None:\n"
    "                _log(40, ''.join(traceback.format_exception(exc)))\n"
    "            raise LifespanFailed('lifespan startup failed: ' + (_why(exc) if exc else\n"
    "                                 'the app returned without answering lifespan.startup'))\n"
    "        _log(20, \"ASGI 'lifespan' protocol appears unsupported (%s); going on without it\"\n"
    "             % (_why(exc) if exc else 'the app returned'))\n"
    "\n"
    "    async def shutdown(self, timeout):\n"
    "        if not self.supported or self.task is None or self.task.done():\n"
    "            return\n"
    "        try:\n"
    "            answered, failed = await asyncio.wait_for(self.phase_('shutdown'), timeout)\n"
    "        except asyncio.TimeoutError:\n"
    "            _log(40, 'lifespan shutdown did not finish within %s s' % timeout)\n"
    "            return\n"
    "        if answered and failed is not None:\n"
    "            _log(40, 'lifespan shutdown failed: ' + failed)\n"
    "        elif not answered and not self.task.cancelled() and self.task.exception():\n"
    "            _log(40, 'lifespan shutdown failed: ' + _why(self.task.exception()))\n";

static PyObject *glue, *lifespan, *loop_obj;
static long graceful_timeout;

static PyObject *glue_log(PyObject *self, PyObject *args)
{
    int level;
    const char *msg;
    if (!PyArg_ParseTuple(args, "is", &level, &msg))
        return NULL;
    tc_log(level, "%s", msg);
    Py_RETURN_NONE;
}

static PyMethodDef log_def = { "_log", glue_log, METH_VARARGS, NULL };

static PyObject *load_glue(void)
{
    PyObject *m = PyModule_New("_tandem_asgi");
    if (m == NULL)
        return NULL;
    PyObject *d = PyModule_GetDict(m);
    PyObject *log = PyCFunction_New(&log_def, NULL);
    PyObject *code = Py_CompileString(glue_src, "<tandem asgi>", Py_file_input);
    PyObject *r = NULL;
    if (log && code && PyDict_SetItemString(d, "__builtins__", PyEval_GetBuiltins()) == 0 &&
        PyDict_SetItemString(d, "_log", log) == 0)
        r = PyEval_EvalCode(code, d, d);
    Py_XDECREF(log);
    Py_XDECREF(code);
    if (r == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    Py_DECREF(r);
    return m;
}

/* Runs coro on the loop to its end: its result (new), or NULL. */
static PyObject *run(PyObject *coro)
{
    if (coro == NULL)
        return NULL;
    PyObject *r = PyObject_CallMethod(loop_obj, "run_until_complete", "O", coro);
    Py_DECREF(coro);
    return r;
}

/* Lifespan startup; a failure the app reports ends the worker. */
static int startup(int mode, PyObject *app3, PyObject **state)
{
    *state = NULL;
    if (mode == AD_LIFESPAN_OFF)
        return 0;
    lifespan = PyObject_CallMethod(glue, "Lifespan", "Oi", app3, mode);
    PyObject *r = lifespan ? run(PyObject_CallMethod(lifespan, "startup", NULL)) : NULL;
    if (r == NULL) {
        /* No API call with an exception pending: it may be lost. */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyObject *failed = PyObject_GetAttrString(glue, "LifespanFailed");
        int app_said = failed && t && PyErr_GivenExceptionMatches(t, failed);
        Py_XDECREF(failed);
        PyErr_Restore(t, v, tb);
        if (app_said) {
            char line[1024];
            ad_python_exc_line(line, sizeof line);
            PyErr_Clear();
            const char *msg = strchr(line, ':') ? strchr(line, ':') + 2 : line;
            tc_error("%s", msg);
            ad_worker_fail_app(msg);
        }
        ad_python_log_exception(TC_LOG_CRITICAL, "lifespan startup");
        return -1;
    }
    Py_DECREF(r);
    PyObject *sup = PyObject_GetAttrString(lifespan, "supported");
    if (sup == Py_True)
        *state = PyObject_GetAttrString(lifespan, "state");
    Py_XDECREF(sup);
    PyErr_Clear();
    return 0;
}

int asgi_glue_init(const ad_settings *s, PyObject *app, PyObject **loop, PyObject **app3,
                   PyObject **state)
{
    graceful_timeout = (long)s->graceful_timeout;
    glue = load_glue();
    PyObject *lt = glue ? PyObject_CallMethod(glue, "new_loop", "i", s->asgi_loop) : NULL;
    PyObject *at = lt ? PyObject_CallMethod(glue, "asgi3", "O", app) : NULL;
    if (at == NULL) {
        ad_python_log_exception(TC_LOG_CRITICAL, "cannot set up the asgi worker");
        Py_XDECREF(lt);
        return -1;
    }
    loop_obj = Py_NewRef(PyTuple_GET_ITEM(lt, 0));
    tc_info("asgi worker: event loop %s", PyUnicode_AsUTF8(PyTuple_GET_ITEM(lt, 1)));
    *app3 = Py_NewRef(PyTuple_GET_ITEM(at, 0));
    if (PyLong_AsLong(PyTuple_GET_ITEM(at, 1)) == 2)
        tc_info("asgi worker: the app is an ASGI 2 double callable; wrapped as ASGI 3");
    Py_DECREF(lt);
    Py_DECREF(at);
    asgi_client_gone = PyObject_GetAttrString(glue, "ClientDisconnected");
    if (asgi_client_gone == NULL)
        return -1;
    *loop = loop_obj;
    return startup(s->asgi_lifespan, *app3, state);
}

void asgi_glue_shutdown(void)
{
    if (lifespan == NULL)
        return;
    PyObject *r = run(PyObject_CallMethod(lifespan, "shutdown", "l", graceful_timeout));
    if (r == NULL)
        ad_python_log_exception(TC_LOG_ERROR, "lifespan shutdown");
    Py_XDECREF(r);
}
