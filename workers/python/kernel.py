# Cellbox Python language worker: runs one code cell like a Jupyter kernel, events on fd 3.
#
# Started as `/usr/bin/python3 -I kernel.py` (see workers/protocol.ts for the contract).
# `-I` ignores the environment and the user site, but keeps `site`, which Debian needs to
# put /usr/lib/python3/dist-packages (numpy, matplotlib) on sys.path.
import sys

# First of all: nothing this process imports may write __pycache__ into the cell's directory.
sys.dont_write_bytecode = True

import ast
import atexit
import base64
import builtins
import io
import json
import linecache
import mmap
import os
import time
import traceback
import types
import _signal
import _thread

# The worker's own references: a cell that replaces json.dumps or os.write for itself must
# not silence the worker's reports of what it printed.
_json_dumps = json.dumps
_os_write = os.write
_os_exit = os._exit
# And the one that starts a thread as any program's does (HiddenOutput gives the threads a linked
# cell starts descriptors of their own).
_start_thread = _thread.start_new_thread

EVENT_FD = 3
CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
CELL = '<cell>'  # the filename of the cell's code in tracebacks
# The filename of the code of the n-th linked cell before it (run_linked()), in tracebacks.
LINKED_CELL = '<linked cell {}>'
KERNEL_FILE = os.path.abspath(__file__)

# Built before the code runs, so that an exhausted address space (RLIMIT_AS) cannot stop the
# worker from reporting it: if even formatting the MemoryError fails, these bytes go out as is.
MEMORY_ERROR_LINE = b'{"type":"error","ename":"MemoryError","evalue":"","traceback":["MemoryError"]}\n'
DONE_ERROR_LINE = b'{"type":"done","status":"error"}\n'
# Address space given back when the code runs out of it, to give the worker room to format
# the error. An anonymous mapping: it counts against RLIMIT_AS but occupies no memory.
_memory_reserve = mmap.mmap(-1, 8 << 20)


def close_inherited_fds():
    """Close every descriptor above the event pipe: the cell must not see the device's."""
    try:
        fds = [int(name) for name in os.listdir('/proc/self/fd')]
    except OSError:
        os.closerange(EVENT_FD + 1, 65536)
        return
    for fd in fds:
        if fd > EVENT_FD:
            try:
                os.close(fd)
            except OSError:
                pass  # the descriptor listdir itself used, already closed


# --- events ---------------------------------------------------------------------------------

# Threads of the cell may print concurrently: one lock keeps every event line whole.
# Reentrant because a signal handler that prints may interrupt a write in the same thread.
_emit_lock = _thread.RLock()

# Stream text not yet sent: print() writes its arguments, separators and end one by one, and
# a line is one `stream` event, as in Jupyter. Held until a newline, a flush, another event,
# or STREAM_HOLD_SECONDS (a prompt without a newline still appears while the cell runs).
STREAM_HOLD_SECONDS = 0.05
STREAM_HOLD_BYTES = 1 << 16
_pending = {'name': None, 'parts': [], 'size': 0, 'since': 0.0}

# The cell's output limit (its options' `outputBytes`, workers/protocol.ts 6), None where the
# device did not say it, and the bytes of the event lines the cell's own code has sent so far
# (linked cells' hidden output is not its: run_cell() starts the count after them). What is left
# of the two is what a choice between a large display and a smaller one goes by (a Sage 3D
# graphic's page or its PNG, sage.py): the device also counts each message's envelope and the
# raw bytes on fds 1 and 2, which the worker does not see.
_output = {'limit': None, 'sent': 0}
_flusher_wake = None  # the lock the flusher thread sleeps on; None until it is started


# The threads a linked cell's code started (HiddenOutput): what they show later is that cell's
# output, hidden as the rest of it is, not the cell's own. Thread objects, not idents, which a
# thread of the cell's own may take again once one has ended; each to where it came from
# (LinkedPlace), which names that cell if it ends the process (_exit_naming_linked()).
_hidden_threads = {}


def _from_hidden_thread():
    return bool(_hidden_threads) and sys.modules['threading'].current_thread() in _hidden_threads


def emit(event):
    """Write one event as a JSON line on fd 3, completely, before returning."""
    if _hidden_threads and _from_hidden_thread():
        return
    with _emit_lock:
        _send_pending()
        _send(event)
    if _interrupt_pending:
        _deliver_interrupt()


# Processes the cell forked (a multiprocessing pool, os.fork()) write their events on the same
# pipe as the cell, each under a lock of its own, and a pipe keeps a write whole only up to
# PIPE_BUF bytes (Linux's 4096): longer event lines of two processes were cut into each other,
# and the device dropped both as lines that are no events (a pool printing 10,000-character
# lines lost lines at random, silently). So once the cell forks, its processes take a POSIX
# record lock around each event line: on an unnamed file of the cell's /tmp made at its first
# fork, inherited by the processes it forks (a record lock is a process's, and dies with it:
# a process killed while it held the lock does not stop the others). And they send stream text
# in writes of at most PIPE_BUF bytes, each a whole event, which the device joins: a process
# killed halfway through its text leaves no half line for the next event to be cut with.
# Until the cell forks (nearly every cell), events go as they come.
PIPE_BUF = 4096
_pipe = {'cell': False, 'lock': None}  # the cell's code runs here; the lock's descriptor


def _share_pipe():
    """Before a fork in the cell's code: the lock, once (never in a fork server, whose forks
    are cells of other sandboxes, which must share nothing)."""
    if not _pipe['cell'] or _pipe['lock'] is not None:
        return
    try:
        _pipe['lock'] = os.open('/tmp', os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except OSError:  # no /tmp to make it in: whole stream events still go in one write each
        _pipe['lock'] = -1


os.register_at_fork(before=_share_pipe)


class _PipeLock:
    """Holds the pipe's record lock, where the cell has forked, for one event's writes. Taken
    under _emit_lock only, so by one thread at a time; counted, as a record lock is not (the
    first unlock would release it between the pieces of one text)."""
    depth = 0

    def __enter__(self):
        self.depth += 1
        if self.depth == 1 and _pipe['lock'] is not None and _pipe['lock'] >= 0:
            import fcntl
            try:
                fcntl.lockf(_pipe['lock'], fcntl.LOCK_EX)
            except BaseException:
                # Stop's KeyboardInterrupt while waiting for another process to let go: no
                # __exit__ follows, and the count left at 1 had every later write skip the lock.
                self.depth -= 1
                raise

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0 and _pipe['lock'] is not None and _pipe['lock'] >= 0:
            import fcntl
            fcntl.lockf(_pipe['lock'], fcntl.LOCK_UN)


_pipe_lock = _PipeLock()


def _encode(event):
    try:
        return _json_dumps(event, ensure_ascii=False, allow_nan=False, separators=(',', ':')).encode('utf-8')
    except UnicodeEncodeError:
        # Lone surrogates (e.g. from surrogateescape) are not UTF-8: let JSON escape them.
        return _json_dumps(event, allow_nan=False, separators=(',', ':')).encode('ascii')


def _send(event, fd=EVENT_FD):
    line = _encode(event)
    if _pipe['lock'] is not None and len(line) >= PIPE_BUF and event.get('type') == 'stream':
        with _emit_lock, _pipe_lock:
            _send_in_pieces(event['name'], event['text'], fd)
        return
    write_line(line + b'\n', fd)
    _output['sent'] += len(line) + 1


def _send_in_pieces(name, text, fd):
    """Sends stream text as events whose lines, newline included, are at most PIPE_BUF bytes."""
    start = 0
    while start < len(text):
        count = min(len(text) - start, PIPE_BUF)
        while True:
            line = _encode({'type': 'stream', 'name': name, 'text': text[start:start + count]})
            if len(line) < PIPE_BUF or count == 1:
                break
            # Fewer characters, in proportion to how far over the line is (UTF-8, escapes).
            count = max(1, min(count - 1, count * (PIPE_BUF - 64) // len(line)))
        write_line(line + b'\n', fd)
        _output['sent'] += len(line) + 1
        start += count


def output_room():
    """The bytes of output left to the cell, as far as the worker knows (_output), the text it
    holds back to send counted as sent; None where the device did not say the cell's limit."""
    if _output['limit'] is None:
        return None
    return _output['limit'] - _output['sent'] - _pending['size']


def _send_pending(fd=EVENT_FD):
    if _pending['parts']:
        text = ''.join(_pending['parts'])
        _pending['parts'] = []
        _pending['size'] = 0
        _send({'type': 'stream', 'name': _pending['name'], 'text': text}, fd)


def write_stream(name, text):
    if _hidden_threads and _from_hidden_thread():
        return
    with _emit_lock:
        if _pending['parts'] and _pending['name'] != name:
            _send_pending()
        if not _pending['parts']:
            _pending['since'] = time.monotonic()
        _pending['name'] = name
        _pending['parts'].append(text)
        _pending['size'] += len(text)
        if _pending['size'] >= STREAM_HOLD_BYTES:
            _send_pending()
        elif '\n' in text:
            # Whole lines go now; the start of the next line waits for the rest of it.
            held = ''.join(_pending['parts'])
            cut = held.rindex('\n') + 1
            _pending['parts'] = [held[:cut]]
            _send_pending()
            if cut < len(held):
                _pending['parts'] = [held[cut:]]
                _pending['size'] = len(held) - cut
                _pending['since'] = time.monotonic()
                _wake_flusher()
        else:
            _wake_flusher()
    if _interrupt_pending:
        _deliver_interrupt()


def flush_streams():
    with _emit_lock:
        _send_pending()
    if _interrupt_pending:
        _deliver_interrupt()


def start_flusher():
    """Starts the flusher thread, asleep until a partial line waits. A cell starts it before
    its code comes: nearly every cell prints, print() writes its text and its newline apart,
    and a process's first thread took 0.6-0.9 ms to start, on the cell's round trip."""
    global _flusher_wake
    if _flusher_wake is not None:
        return
    wake = _thread.allocate_lock()
    wake.acquire()
    try:
        _start_thread(_flusher, (wake,))
    except RuntimeError:  # no thread to be had (a process limit): partial lines go at once
        return
    _flusher_wake = wake


def _wake_flusher():
    start_flusher()  # a process forked by the cell has none (_after_fork_in_child())
    if _flusher_wake is None:
        _send_pending()
    elif _flusher_wake.locked():
        _flusher_wake.release()


def _flusher(wake):
    """Sends a partial line that has waited STREAM_HOLD_SECONDS; sleeps on `wake` while none
    waits."""
    while True:
        wake.acquire()
        while True:
            with _emit_lock:
                if not _pending['parts']:
                    break
                due = _pending['since'] + STREAM_HOLD_SECONDS - time.monotonic()
                if due <= 0:
                    _send_pending()
                    break
            time.sleep(due)


def _after_fork_in_child():
    # The forking thread held the lock (see below) and is the child's only thread; the
    # flusher thread did not come along.
    global _flusher_wake
    _flusher_wake = None
    _emit_lock.release()


# A fork while another thread is halfway through an event would leave the child a lock it can
# never take: fork only between events.
os.register_at_fork(before=_emit_lock.acquire, after_in_parent=_emit_lock.release,
                    after_in_child=_after_fork_in_child)


def write_line(data, fd=EVENT_FD):
    with _emit_lock, _pipe_lock:
        view = memoryview(data)
        while view:
            view = view[_os_write(fd, view):]


# --- interrupts -------------------------------------------------------------------------------
#
# The device stops a running cell as Jupyter does: SIGINT to its process (device/run.ts), which
# Python turns into a KeyboardInterrupt where the cell's code is; run_guarded() reports it with
# a traceback like any other error, and the device names it `Interrupted`. If the cell has not
# ended shortly after, the device kills it. The handler keeps the worker's own state whole: a
# KeyboardInterrupt in the middle of an event line would cut it (and the error after it with
# it), and one in the worker's own code after the cell's would end the worker, not the cell.

SIGINT = 2
# The signal came (the reader stopped the cell); it is raised in the cell's code, at once or
# as soon as the event being written is whole.
_interrupted = False
_interrupt_pending = False
# The cell's code (or what it left to do: its threads, its figures) runs: run_guarded().
_in_cell_code = False
# What raises the KeyboardInterrupt: Python's handler, or the one a preload installed
# (Sage's cysignals, whose C handler also stops its long computations).
_prior_interrupt_handler = _signal.default_int_handler
# The thread Python runs signal handlers in, its main one: the only one to raise it in, never
# a thread of the cell's that prints (it would end that thread, not the cell).
_main_thread = None


def _on_interrupt(signum, frame):
    global _interrupted, _interrupt_pending, _main_thread
    _main_thread = _thread.get_ident()
    _interrupted = True
    _interrupt_pending = True
    _deliver_interrupt(frame)


def _deliver_interrupt(frame=None):
    """Raises the interrupt that came, where the cell's code runs and no event is half written."""
    global _interrupt_pending
    if _in_cell_code and not _emit_lock._is_owned() and _thread.get_ident() == _main_thread:
        _interrupt_pending = False
        _prior_interrupt_handler(SIGINT, frame)


def _end_at_interrupted_line(exc):
    """A KeyboardInterrupt's traceback ends where the cell was: the frames of the handlers the
    signal went through (ours, and a preload's: cysignals') are none of the cell's."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        if tb.tb_next.tb_frame.f_code in (_on_interrupt.__code__, _deliver_interrupt.__code__):
            tb.tb_next = None
            return
        tb = tb.tb_next


def install_interrupt_handler():
    """Makes SIGINT the cell's KeyboardInterrupt, through _on_interrupt(); once per process,
    after the preloads, which may have installed a handler of their own (kept as the prior).
    A handler in C (cysignals') stays the one the signal reaches: it stops C code itself, and
    hands the rest to Python, whose handler for SIGINT is then ours."""
    global _prior_interrupt_handler
    current = _signal.getsignal(SIGINT)
    if current is _on_interrupt:
        return
    if current is _signal.default_int_handler or not callable(current):  # Python's, or none
        _prior_interrupt_handler = _signal.default_int_handler
        _signal.signal(SIGINT, _on_interrupt)
        return
    _prior_interrupt_handler = current
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    action = ctypes.create_string_buffer(512)  # a struct sigaction, as is: bigger than any
    if libc.sigaction(SIGINT, None, action) != 0:
        return  # left as it was: the prior handler raises the KeyboardInterrupt itself
    _signal.signal(SIGINT, _on_interrupt)  # sets Python's handler, and its C handler too
    libc.sigaction(SIGINT, action, None)  # the C handler back


class EventStream(io.TextIOBase):
    """sys.stdout / sys.stderr: text becomes `stream` events line by line, so it keeps its
    place among displays and appears while the cell is still running."""

    encoding = 'utf-8'
    errors = 'strict'

    def __init__(self, name, fd):
        self.name = f'<{name}>'
        self._stream_name = name
        self._fd = fd
        self._buffer = None

    @property
    def buffer(self):
        """The binary stream under it, as a script's sys.stdout has one: code that writes bytes
        (sys.stdout.buffer.write) was an AttributeError."""
        if self._buffer is None:
            self._buffer = EventBuffer(self)
        return self._buffer

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        # Code that hands sys.stdout to a subprocess or faulthandler gets the raw descriptor,
        # which the device also shows as stream output.
        return self._fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f'write() argument must be str, not {type(text).__name__}')
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        if text:
            # The start of a character written to .buffer, and now text: as on a terminal, the
            # bytes are a U+FFFD before it (they were dropped, and the text went on as if none).
            self.end_bytes()
            write_stream(self._stream_name, text)
        return len(text)

    def end_bytes(self):
        """The bytes .buffer holds back, the start of a character whose rest never came, as
        U+FFFD: before text written to this stream, and when the cell ends."""
        if self._buffer is not None:
            text = self._buffer._decoder.decode(b'', final=True)
            if text:
                write_stream(self._stream_name, text)

    def flush(self):
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        flush_streams()


class EventBuffer(io.BufferedIOBase):
    """sys.stdout.buffer / sys.stderr.buffer: bytes become the text stream's text, as UTF-8, a
    character split between writes kept whole, a byte that is not UTF-8 shown as U+FFFD as a
    UTF-8 terminal shows it."""

    def __init__(self, text_stream):
        import codecs
        self._text = text_stream
        self._decoder = codecs.getincrementaldecoder('utf-8')('replace')

    def writable(self):
        return True

    def fileno(self):
        return self._text.fileno()

    def write(self, data):
        if isinstance(data, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        data = memoryview(data).cast('B')
        text = self._decoder.decode(data)
        if text:
            write_stream(self._text._stream_name, text)
        return len(data)

    def flush(self):
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        self._text.flush()


# --- rich display -----------------------------------------------------------------------------

# MIME type → the IPython repr method that produces it, in IPython's order.
REPR_METHODS = {
    'text/html': '_repr_html_',
    'text/markdown': '_repr_markdown_',
    'image/svg+xml': '_repr_svg_',
    'image/png': '_repr_png_',
    'image/jpeg': '_repr_jpeg_',
    'text/latex': '_repr_latex_',
    'application/json': '_repr_json_',
    'application/javascript': '_repr_javascript_',
    'application/pdf': '_repr_pdf_',
}
# Binary MIME types travel base64-encoded, as in Jupyter.
BINARY_TYPES = {'image/png', 'image/jpeg', 'image/gif', 'application/pdf'}

# Formatters for types without _repr_*_ methods (matplotlib figures, sympy expressions, ...).
# Key: a class, or its dotted name 'module.QualName' so that a formatter can be registered
# without importing its library. Value: obj -> data or (data, metadata), data a MIME bundle,
# or None to pass. The first class in the object's MRO with a formatter wins, and what it
# returns takes precedence over the object's own repr methods.
FORMATTERS = {}


def _lookup_formatter(cls):
    for klass in cls.__mro__:
        formatter = FORMATTERS.get(klass) or FORMATTERS.get(f'{klass.__module__}.{klass.__qualname__}')
        if formatter is not None:
            return formatter
    return None


def _warn(message):
    sys.stderr.write(f'display: {message}\n')


def _call_formatter(what, function, *args, **kwargs):
    """Run a formatter; one that fails is reported on stderr and skipped, like IPython does."""
    try:
        return function(*args, **kwargs)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any error in user repr code
        _warn(f'{what} failed: {type(exc).__name__}: {exc}')
        return None


def _get_method(obj, name):
    # A class has the repr methods of its instances, unbound: it is shown by repr only.
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a __getattr__ that raises something else
        return None
    return method if callable(method) else None


def _normalize(mime, value):
    """The JSON form of one bundle entry, or None if it has no valid one."""
    if mime in BINARY_TYPES and isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode('ascii')
    if isinstance(value, str):
        return value
    if mime == 'application/json' or mime.endswith('+json'):
        try:
            _json_dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            _warn(f'{mime} data is not JSON: {exc}')
            return None
        return value
    _warn(f'{mime} data must be str, not {type(value).__name__}')
    return None


def format_bundle(obj, include=None, exclude=None):
    """The MIME bundle and metadata that show obj, as IPython's display formatter builds them:
    only the MIME types in `include` when given, none in `exclude`. An object with an
    `_ipython_display_` method shows itself (it calls display()): its bundle is empty."""
    own_display = _get_method(obj, '_ipython_display_')
    if own_display is not None:
        _call_formatter('_ipython_display_', own_display)
        return {}, {}
    data, metadata = {}, {}

    def merge(result, what):
        if result is None:
            return
        bundle, meta = result if isinstance(result, tuple) else (result, None)
        if not isinstance(bundle, dict):
            _warn(f'{what} must return a dict, not {type(bundle).__name__}')
            return
        for mime, value in bundle.items():
            if mime not in data and value is not None:
                value = _normalize(mime, value)
                if value is not None:
                    data[mime] = value
        for key, value in (meta or {}).items():
            metadata.setdefault(key, value)

    formatter = _lookup_formatter(type(obj))
    if formatter is not None:
        merge(_call_formatter(f'formatter for {type(obj).__name__}', formatter, obj), 'formatter')
    mimebundle = _get_method(obj, '_repr_mimebundle_')
    if mimebundle is not None:
        merge(_call_formatter('_repr_mimebundle_', mimebundle, include=include, exclude=exclude), '_repr_mimebundle_')
    for mime, name in REPR_METHODS.items():
        method = None if mime in data else _get_method(obj, name)
        if method is None:
            continue
        result = _call_formatter(name, method)
        # A repr method may return (data, metadata), metadata being for its own MIME type.
        value, meta = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        if value is not None:
            value = _normalize(mime, value)
        if value is not None:
            data[mime] = value
            if meta:
                metadata[mime] = meta
    if 'text/plain' not in data and (not include or 'text/plain' in include):
        text = _call_formatter('repr', pretty, obj)
        data['text/plain'] = text if isinstance(text, str) else f'<{type(obj).__name__} object>'
    if include or exclude:
        data = {mime: value for mime, value in data.items()
                if (not include or mime in include) and not (exclude and mime in exclude)}
        metadata = {key: value for key, value in metadata.items() if key in data or '/' not in key}
    return data, metadata


# IPython's text of a value: the built-in containers laid out over lines where they do not fit
# in PRETTY_WIDTH, one item a line, and cut after PRETTY_MAX_ITEMS items with "...". repr() put
# list(range(100)) or a dict of lists on one line that ran far off the page. IPython.lib.pretty
# does this, but importing it imports IPython whole (some 0.3 s, which no light cell has paid
# for): this is its layout for the built-in containers alone, checked against it in
# test/workers/python.test.ts.
PRETTY_WIDTH = 79
PRETTY_MAX_ITEMS = 1000
_PRETTY_BRACKETS = {list: ('[', ']'), tuple: ('(', ')'), dict: ('{', '}'), set: ('{', '}'),
                    frozenset: ('frozenset({', '})')}


def pretty(obj):
    """The text IPython shows for obj: its repr, but a list, tuple, dict, set or frozenset
    (those types themselves, whose repr is the built-in one) as IPython's pretty printer lays
    it out."""
    if type(obj) not in _PRETTY_BRACKETS:
        return repr(obj)
    return _pretty(obj, 0, 0, 0, set())


def _pretty_items(obj):
    """The container's items, at most PRETTY_MAX_ITEMS, and whether there were more; a set's
    sorted where they can be, as IPython sorts them."""
    kind = type(obj)
    if kind is dict:
        items = []
        for index, item in enumerate(obj.items()):
            if index == PRETTY_MAX_ITEMS:
                return items, True
            items.append(item)
        return items, False
    if kind in (set, frozenset):
        try:
            obj = sorted(obj)
        except Exception:  # noqa: BLE001 - items that do not compare: by their str, as IPython
            try:
                obj = sorted(obj, key=str)
            except Exception:  # noqa: BLE001 - nor that: the set's own order
                pass
    items = []
    for index, item in enumerate(obj):
        if index == PRETTY_MAX_ITEMS:
            return items, True
        items.append(item)
    return items, False


def _pretty(obj, column, indent, trail, seen):
    """obj's text starting at `column`, its broken lines indented `indent` plus its bracket (as
    IPython nests them: by depth, not by where the container starts), `trail` characters
    following it on its last line (a comma, closing brackets)."""
    kind = type(obj)
    if kind not in _PRETTY_BRACKETS:
        return repr(obj)
    open_, close = _PRETTY_BRACKETS[kind]
    if id(obj) in seen:  # a container inside itself, as repr shows it
        return {dict: '{...}', frozenset: 'frozenset({...})'}.get(kind, f'{open_}...{close}')
    items, more = _pretty_items(obj)
    if not items:
        return {set: 'set()', frozenset: 'frozenset()'}.get(kind, open_ + close)
    seen = seen | {id(obj)}
    inner = indent + len(open_)
    tail = ',' if kind is tuple and len(items) == 1 else ''
    count = len(items)

    def after(index):  # what follows item `index` on its line
        return 1 if index < count - 1 or more else len(tail + close) + trail

    def layout(start):  # the items' texts, the first starting at `start`, the others at `inner`
        parts = []
        for index, item in enumerate(items):
            at = start if index == 0 else inner
            if kind is dict:
                key = _pretty(item[0], at, inner, 2, seen)
                parts.append(f'{key}: {_pretty(item[1], at + len(key) + 2, inner, after(index), seen)}')
            else:
                parts.append(_pretty(item, at, inner, after(index), seen))
        return parts

    # The items' texts are the same on one line as over lines: each is broken only where even
    # alone on its line it does not fit, and then the container is broken too.
    parts = layout(column + len(open_)) + (['...'] if more else [])
    flat = open_ + ', '.join(parts) + tail + close
    if column + len(flat) + trail <= PRETTY_WIDTH and '\n' not in flat:
        return flat
    return open_ + (',\n' + ' ' * inner).join(parts) + tail + close


class DisplayHandle:
    """What display(..., display_id=...) returns: shows or replaces that display."""

    def __init__(self, display_id):
        self.display_id = display_id

    def display(self, obj, **kwargs):
        display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj, **kwargs):
        display(obj, display_id=self.display_id, update=True, **kwargs)

    def __repr__(self):
        return f'<DisplayHandle display_id={self.display_id}>'


def display(*objs, include=None, exclude=None, metadata=None, transient=None, display_id=None,
            raw=False, clear=False, update=False, **kwargs):
    """Show objects as rich output, as IPython.display.display does (the same arguments):
    display_id=True makes a new id; update=True replaces the output shown under display_id;
    raw=True takes MIME bundles; include/exclude choose MIME types. With a display_id and no
    object, an empty output to update later. Other keyword arguments are IPython's, and taken."""
    if display_id is True:
        display_id = os.urandom(16).hex()
    if update and not display_id:
        raise TypeError('display(update=True) needs a display_id')
    if not objs and display_id:
        objs, raw = ({},), True
    if clear:
        clear_output(wait=True)
    for obj in objs:
        if raw:
            data, meta = obj, {}
        else:
            data, meta = format_bundle(obj, include, exclude)
            if not data:  # it showed itself (_ipython_display_), or nothing was left to show
                continue
        if metadata:
            meta = {**meta, **metadata}
        publish_display_data(data, meta, transient=transient, display_id=display_id, update=update)
    return DisplayHandle(display_id) if display_id else None


def update_display(obj, *, display_id, **kwargs):
    """Replace the output shown under display_id (IPython.display.update_display)."""
    display(obj, display_id=display_id, update=True, **kwargs)


def publish_display_data(data, metadata=None, source=None, *, transient=None, display_id=None,
                         update=False, **kwargs):
    """Send a MIME bundle as it is (IPython.display.publish_display_data): binary types may be
    bytes, which travel base64-encoded; an entry with no valid JSON form is reported and left
    out."""
    bundle = {}
    for mime, value in dict(data).items():
        value = _normalize(mime, value)
        if value is not None:
            bundle[mime] = value
    event = {'type': 'update_display_data' if update else 'display_data', 'data': bundle,
             'metadata': dict(metadata or {})}
    transient = dict(transient or {})
    if display_id:
        transient['display_id'] = str(display_id)
    if transient:
        event['transient'] = transient
    emit(event)


def clear_output(wait=False):
    """Clear this cell's output; with wait=True, only when the next output arrives."""
    emit({'type': 'clear_output', 'wait': bool(wait)})


_builtin_input = builtins.input
NO_INPUT = ('EOF when reading a line: a cell runs unattended, with nothing to type into it; '
            'put the value in the code instead')


def cell_input(prompt=''):
    """input(), as Python's, where an empty stdin (a cell's is /dev/null) says why it is empty:
    "EOF when reading a line" alone left a person who typed input() in a cell wondering. Still
    EOFError, which code may catch; a stdin the cell gave itself is read as usual."""
    try:
        return _builtin_input(prompt)
    except EOFError:
        if sys.stdin is not sys.__stdin__:
            raise
        raise EOFError(NO_INPUT) from None


# IPython's display functions print an object's text where no IPython shell runs, as here: a
# cell's `from IPython.display import display, HTML` showed "<IPython.core.display.HTML
# object>". Once IPython's module of them is loaded (by the cell: importing IPython takes some
# 0.3 s, which no cell that does not use it should pay), its functions are this kernel's, and
# so are those that IPython.display and the display classes call through it.
IPYTHON_DISPLAY_MODULE = 'IPython.core.display_functions'
# pandas chooses its display defaults as it is imported: a terminal's unless it finds an
# IPython kernel, and a terminal's `display.max_columns` is 0 (as many as fit in 80 characters
# of text, and every column in HTML: a frame of 500 columns was a table of 500). A cell is
# Jupyter's, not a terminal's: pandas is shown the kernel it looks for while its options
# module runs, and takes the defaults it has for Jupyter (20 columns), as its own defaults.
PANDAS_OPTIONS_MODULE = 'pandas.core.config_init'
# tqdm's notebook bar is an ipywidgets widget, which needs Jupyter's widget front end: the page
# has none, so a cell copied from a notebook (`from tqdm.notebook import tqdm`, Colab's habit)
# showed no bar, and with Debian's ipywidgets 6 ended in "AttributeError: 'FloatProgress' object
# has no attribute 'style'" after "Widget Javascript not detected". Here that module is tqdm's
# text bar, as tqdm.auto chooses where no widgets show; importing ipywidgets (0.5 s) is saved too.
TQDM_NOTEBOOK_MODULE = 'tqdm.notebook'


class _ImportHooks:
    """A meta path finder that finds a few modules as Python would and runs each with a hook
    of this kernel's around its code, before anything imports from it. Every other import it
    passes over with one dictionary lookup."""

    def __init__(self, hooks):
        self.hooks = hooks  # module name -> hook(module, run), run(module) running its code

    def find_spec(self, fullname, path, target=None):
        hook = self.hooks.get(fullname)
        if hook is None:
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        loader = getattr(spec, 'loader', None)
        if loader is None or not hasattr(loader, 'exec_module'):
            return spec
        run_module = loader.exec_module

        def exec_module(module):
            hook(module, run_module)

        loader.exec_module = exec_module
        return spec


def _use_kernel_display(module):
    module.display = display
    module.update_display = update_display
    module.publish_display_data = publish_display_data
    module.clear_output = clear_output


def _ipython_display_hook(module, run):
    run(module)
    _use_kernel_display(module)


class _NotebookShell:
    """What pandas' is_terminal() takes for IPython in a Jupyter kernel: a shell with a kernel."""
    kernel = True


def _pandas_options_hook(module, run):
    # is_terminal() calls the name get_ipython, which a module's globals answer before builtins.
    module.get_ipython = _NotebookShell
    try:
        run(module)
    finally:
        module.__dict__.pop('get_ipython', None)


def _tqdm_notebook_hook(module, run):
    # Not run: its code imports ipywidgets and makes widgets. Its names are the text bar's.
    from tqdm.std import tqdm, trange
    module.__dict__.update(tqdm=tqdm, trange=trange, tqdm_notebook=tqdm, tnrange=trange,
                           __all__=['tqdm_notebook', 'tnrange', 'tqdm', 'trange'])


def install_import_hooks():
    """Has IPython's display functions be this kernel's, pandas take its Jupyter defaults and
    tqdm.notebook be tqdm's text bar: now for IPython if it is loaded already (a dialect's
    library may import it), else when it is; pandas and tqdm only when they are (one loaded
    already keeps what it has)."""
    sys.meta_path.insert(0, _ImportHooks({IPYTHON_DISPLAY_MODULE: _ipython_display_hook,
                                          PANDAS_OPTIONS_MODULE: _pandas_options_hook,
                                          TQDM_NOTEBOOK_MODULE: _tqdm_notebook_hook}))
    loaded = sys.modules.get(IPYTHON_DISPLAY_MODULE)
    if loaded is not None:
        _use_kernel_display(loaded)


# --- matplotlib inline ------------------------------------------------------------------------

# The backend module (workers/python/inline/cellbox_inline.py) that pyplot loads when the cell
# uses it: Agg drawing, with show() handing figures to this kernel. Nothing is imported ahead.
INLINE_DIR = os.path.join(os.path.dirname(KERNEL_FILE), 'inline')
INLINE_BACKEND = 'module://cellbox_inline'
# Figures already shown, with the state they were shown in: shown again only if changed since.
_figures_shown = {}


def _png_size(png):
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big')


def _tight_png_in_one_draw(figure):
    """The PNG that savefig(bbox_inches='tight') makes, from one Agg draw cropped to the tight
    box, or None where that would differ. savefig draws twice: once without pixels, to find the
    box, then on a canvas of the box's size; the first pass was some 10 ms of a fresh cell's
    80 ms PNG. Taken only with savefig's defaults for what it would change (dpi, colours,
    transparency) and a box inside the figure: savefig would grow the canvas to reach an
    artist outside it (a legend placed beyond the axes), a crop would cut it off."""
    from matplotlib import image, rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = figure.canvas
    if type(canvas) is not FigureCanvasAgg:
        return None
    if (rcParams['savefig.dpi'] not in ('figure', figure.dpi) or rcParams['savefig.transparent']
            or rcParams['savefig.facecolor'] != 'auto' or rcParams['savefig.edgecolor'] != 'auto'
            or not isinstance(rcParams['savefig.pad_inches'], (int, float))):
        return None
    canvas.draw()
    renderer = canvas.get_renderer()
    box = figure.get_tightbbox(renderer)
    dpi = figure.dpi
    width, height = int(renderer.width), int(renderer.height)
    if box.x0 < 0 or box.y0 < 0 or box.x1 * dpi > width or box.y1 * dpi > height:
        return None
    # The padded box in pixels, of savefig's size (its canvas is the box's size, truncated, its
    # bottom-left corner at the box's), at the nearest whole pixel; rows count from the top.
    # The padding may reach past the canvas, where savefig's canvas shows the face colour.
    import numpy
    pad = rcParams['savefig.pad_inches']
    x0, y0 = (box.x0 - pad) * dpi, (box.y0 - pad) * dpi
    size_x, size_y = int((box.x1 + pad) * dpi - x0), int((box.y1 + pad) * dpi - y0)
    left, top = round(x0), round(height - y0 - size_y)
    right, bottom = left + size_x, top + size_y
    face = numpy.round(numpy.array(figure.patch.get_facecolor()) * 255).astype(numpy.uint8)
    pixels = numpy.empty((bottom - top, right - left, 4), numpy.uint8)
    pixels[:] = face
    rows, cols = slice(max(top, 0), min(bottom, height)), slice(max(left, 0), min(right, width))
    pixels[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left] = numpy.asarray(renderer.buffer_rgba())[rows, cols]
    buffer = io.BytesIO()
    # As savefig's PNG: Pillow through imsave, with the figure's dpi and matplotlib's metadata.
    image.imsave(buffer, pixels, format='png', origin='upper', dpi=dpi)
    return buffer.getvalue()


def format_figure(figure):
    """A matplotlib Figure as PNG, the way Jupyter's inline backend draws it: one draw where
    that gives savefig's picture, else savefig(bbox_inches='tight')."""
    png = _tight_png_in_one_draw(figure)
    if png is None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format='png', bbox_inches='tight')
        png = buffer.getvalue()
    _figures_shown[id(figure)] = figure
    figure.stale = False
    text, alt = repr(figure), describe_figure(figure)
    return png_bundle(png, text, alt if alt != text.strip('<>') else None)


def describe_figure(figure):
    """Words for a figure's picture, its alt text for a reader who cannot see it: Jupyter's
    words for the figure ('Figure size 640x480 with 1 Axes'), then what the figure says of
    itself, its title and each plot's title and axis labels. Never what it draws: that only
    its code can say."""
    words = [repr(figure).strip('<>')]
    # Figure.get_suptitle() is matplotlib 3.8's; Debian's is older.
    suptitle = getattr(figure, '_suptitle', None)
    if suptitle is not None and suptitle.get_text():
        words.append(f'titled "{suptitle.get_text()}"')
    for axes in figure.get_axes():
        said = []
        title = next((t for t in (axes.get_title(loc) for loc in ('center', 'left', 'right')) if t), '')
        if title:
            said.append(f'title "{title}"')
        if axes.get_xlabel():
            said.append(f'x axis "{axes.get_xlabel()}"')
        if axes.get_ylabel():
            said.append(f'y axis "{axes.get_ylabel()}"')
        if said:
            words.append(', '.join(said))
    return '; '.join(words)


def png_bundle(png, text, alt=None):
    """A PNG's MIME bundle, with its size in pixels as the metadata Jupyter gives an image,
    and its alt text (the embed's <img alt>) where there are words for it beyond `text`."""
    width, height = _png_size(png)
    meta = {'width': width, 'height': height}
    if alt:
        meta['alt'] = alt
    return {'image/png': png, 'text/plain': text}, {'image/png': meta}


FORMATTERS['matplotlib.figure.Figure'] = format_figure


def show_figures():
    """plt.show() and the end of the cell: display every open pyplot figure not yet shown as
    it is now, then close them all, so that the next plot starts on a new figure."""
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is None:
        return
    from matplotlib._pylab_helpers import Gcf
    try:
        for manager in Gcf.get_all_fig_managers():
            figure = manager.canvas.figure
            if _figures_shown.get(id(figure)) is not figure or figure.stale:
                display(figure)
    finally:
        pyplot.close('all')


def show_figures_at_end():
    """The end of the cell: figures left open appear, if the cell kept the inline backend."""
    matplotlib = sys.modules.get('matplotlib')
    if matplotlib is None or 'matplotlib.pyplot' not in sys.modules:
        return
    # The raw value: reading rcParams['backend'] would resolve (and import) a default backend.
    if dict.__getitem__(matplotlib.rcParams, 'backend') == INLINE_BACKEND:
        show_figures()


def use_inline_backend():
    sys.path.append(INLINE_DIR)
    os.environ['MPLBACKEND'] = INLINE_BACKEND
    # Matplotlib's font cache and config go to the sandbox's /tmp, not into the cell's files.
    os.environ.setdefault('MPLCONFIGDIR', os.path.join(os.environ.get('TMPDIR', '/tmp'), 'matplotlib'))
    # A Python the cell starts (a subprocess) finds the backend too; there, with no kernel to
    # show figures, it draws like Agg and shows nothing.
    os.environ['PYTHONPATH'] = INLINE_DIR


# --- running the cell -------------------------------------------------------------------------

def read_cell():
    """All of stdin: the cell's options, one line of JSON (workers/protocol.ts; `ready` said it
    takes them), then its code, as text; then stdin becomes /dev/null."""
    os.set_blocking(0, True)
    chunks = []
    while chunk := os.read(0, 1 << 16):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    head, newline, code = b''.join(chunks).partition(b'\n')
    try:
        options = json.loads(head) if newline else None
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise ValueError('the cell came without its options line (workers/protocol.ts)')
    return options, code.decode('utf-8', errors='replace').removeprefix('\ufeff')


def _ends_with_semicolon(code, statement):
    """True if a ';' follows the cell's last statement (IPython: a trailing ';' hides the
    result). After the last statement there can be only blanks, line continuations, that ';'
    and a comment, so the text after its end says it; tokenizing the whole cell for its last
    token took 0.5 ms of a freshly forked cell's round trip. The parser ends lines at LF, CRLF
    and CR, and counts columns in UTF-8 bytes."""
    lines = code.encode('utf-8', 'surrogatepass').replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')
    rest = b'\n'.join([lines[statement.end_lineno - 1][statement.end_col_offset:]] + lines[statement.end_lineno:])
    rest = rest.lstrip(b' \t\f')
    while rest.startswith(b'\\\n'):
        rest = rest[2:].lstrip(b' \t\f')
    return rest.startswith(b';')


class Runner:
    """Runs compiled parts of the cell in one namespace, top-level `await` on one event loop."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.loop = None

    def run(self, code):
        result = eval(code, self.namespace)
        if code.co_flags & CO_COROUTINE:  # the code awaits at top level: eval gave a coroutine
            import asyncio
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
            result = self.loop.run_until_complete(result)
        return result


# The worker's own source files, whose frames a cell's traceback leaves out.
WORKER_FILES = {KERNEL_FILE}


def parse_cell(code, namespace, filename=CELL):
    """The cell's syntax tree, and the Python it is of. A cell that does not parse but has
    IPython's syntax in it (`%magic`, `%%magic`, `!command`) is read as IPython reads it
    (magics.py), into the calls of get_ipython() IPython writes."""
    try:
        return ast.parse(code, filename), code
    except SyntaxError:
        python = magics_module().python_of(code)
        if python is None or python == code:
            raise
    return ast.parse(python, filename), python


_magics = None
_shell = None


def magics_module():
    """magics.py, loaded the first time a cell needs it: it imports IPython, some 0.3 s."""
    global _magics
    if _magics is None:
        _magics = load_sibling('magics')
        WORKER_FILES.add(_magics.__file__)
    return _magics


def get_ipython():
    """IPython's get_ipython(), in the cell's namespace as in Jupyter's: the magics of magics.py,
    run in that namespace. Code from a notebook calls it as Python, with no IPython syntax to
    tell (a notebook saved as a script: `get_ipython().run_line_magic('matplotlib', 'inline')`).
    Not a builtin: libraries take a builtin get_ipython for a whole IPython shell (sympy's
    init_printing() asked it for its colours and failed)."""
    global _shell
    namespace = sys.modules['__main__'].__dict__
    if _shell is None or _shell.namespace is not namespace:
        _shell = magics_module().Shell(sys.modules['cellbox_kernel'], namespace)
        if DIALECT is not None and hasattr(DIALECT, 'add_magics'):
            DIALECT.add_magics(_shell)
    return _shell


def cell_lines(code):
    """The cell's lines as linecache holds a file's, each ending in a newline. A cell typed in
    a page has none after its last line, and Python 3.11's traceback counts a line's newline
    when it places the carets: under the last line they stood one column to the right."""
    lines = code.splitlines(True)
    if lines and not lines[-1].endswith(('\n', '\r')):
        lines[-1] += '\n'
    return lines


def run_cell(code, namespace, linked=(), interact=None):
    """Execute the cell, after the code of the linked cells before it (run_linked()); a last
    bare expression that is not None becomes execute_result. `interact`: the values the page
    sent for the cell's own interacts."""
    if DIALECT is not None:
        DIALECT.prepare_namespace(sys.modules['cellbox_kernel'], namespace)
    if linked:
        # An earlier cell's interacts run at their defaults, numbered apart: the values, and
        # the ids "0", "1", ..., are the cell's own.
        INTERACT.begin(None)
        run_linked(linked, namespace)
        _output['sent'] = 0  # what they showed went nowhere
    INTERACT.begin(interact)
    run_code(code, namespace)


def run_code(code, namespace, filename=CELL, show_result=True):
    """Execute code in the namespace, read as the language reads it (a dialect's preparser),
    its lines quoted under `filename` in tracebacks; with `show_result`, a last bare expression
    that is not None becomes execute_result."""
    written = code
    if DIALECT is not None:
        code = DIALECT.preparse(code)
    _quote_in_tracebacks(written, code, filename)
    tree, code = parse_cell(code, namespace, filename)
    last = None
    if show_result and tree.body and isinstance(tree.body[-1], ast.Expr) and not _ends_with_semicolon(code, tree.body[-1]):
        last = ast.Expression(tree.body.pop().value)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    body = compile(tree, filename, 'exec', flags=flags, dont_inherit=True)
    expression = compile(last, filename, 'eval', flags=flags, dont_inherit=True) if last else None
    runner = Runner(namespace)
    runner.run(body)
    if expression is not None:
        value = runner.run(expression)
        if value is not None:
            data, metadata = format_bundle(value)
            if data:  # else it showed itself (_ipython_display_)
                emit({'type': 'execute_result', 'data': data, 'metadata': metadata})


# The lines of the cell (and of its linked cells) as they run (after a dialect's preparser), where
# they differ from the lines their author wrote, which tracebacks quote:
# {filename: {line number: line run}}.
_rewritten_lines = {}


def _quote_in_tracebacks(written, run, filename=CELL):
    """Tracebacks quote the cell as written: Sage's preparser turns `1/0` into
    `Integer(1)/Integer(0)` and `R.<x> = QQ[]` into Python no one wrote. It keeps each line
    where it was (when it does not, as with a backslash continuation, the code run is quoted).
    Kept per filename: a function a linked cell defined may fail in the cell's own run."""
    _rewritten_lines.pop(filename, None)
    if written is run:  # no dialect: nothing rewritten, and nothing to compare on every cell's way
        linecache.cache[filename] = (len(run), None, cell_lines(run), filename)
        return
    written_lines, run_lines = cell_lines(written), cell_lines(run)
    if len(written_lines) != len(run_lines):
        written_lines = run_lines
    rewritten = {number: b for number, (a, b) in enumerate(zip(written_lines, run_lines), 1) if a.strip() != b.strip()}
    if rewritten:
        _rewritten_lines[filename] = rewritten
    linecache.cache[filename] = (len(written), None, written_lines, filename)


def _is_cell_file(filename):
    """The filename of the cell's code, or of a linked cell's before it (run_linked())."""
    return filename == CELL or filename.startswith('<linked cell ')


def _written_column(run, written, column, end):
    """A column of the line run (0-based, in characters) in the line as written: where the two
    have the same text, the same character; inside what the preparser wrote instead of something
    (`Integer(2)` for `2`, `**` for `^`), the start of what was written there (the end, for the end
    of a range)."""
    import difflib  # only for an error on a rewritten line: not on every cell's way
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, run, written, autojunk=False).get_opcodes():
        if i1 <= column < i2 or (end and column == i2):
            return j1 + (column - i1) if tag == 'equal' else (j2 if end else j1)
    return len(written.rstrip('\n'))


def _written_range(run, written, start, stop):
    """A range of columns of the line run (0-based, end exclusive) as columns of the line as
    written, at least one character wide; None for an end not given."""
    start = _written_column(run, written, start, False)
    if stop is None:
        return start, None
    return start, max(_written_column(run, written, stop, True), start + 1)


def _fit_to_quoted_lines(te):
    """Where the quoted line is not the one run, the columns of the error (the carets under a
    frame's line, a syntax error's offset) point into the line run: moved to where the same text
    is in the line quoted. They were left out, and a student's syntax error in a Sage cell (a `=`
    for `==`, `2pi`) had no caret under it. A range over several lines keeps its start only."""
    for frame in te.stack:
        run = _rewritten_lines.get(frame.filename, {}).get(frame.lineno)
        if run is None or frame.colno is None:
            continue
        written = linecache.getline(frame.filename, frame.lineno)
        # A frame's columns are UTF-8 byte offsets.
        start = len(run.encode()[:frame.colno].decode(errors='ignore'))
        stop = None
        if frame.end_colno is not None and frame.end_lineno == frame.lineno:
            stop = len(run.encode()[:frame.end_colno].decode(errors='ignore'))
        start, stop = _written_range(run, written, start, stop)
        frame.colno = len(written[:start].encode())
        frame.end_colno = None if stop is None else len(written[:stop].encode())
    if issubclass(te.exc_type, SyntaxError) and te.filename in _rewritten_lines:
        number = int(te.lineno) if str(te.lineno).isdigit() else None  # a str, in the exception's form
        run = _rewritten_lines[te.filename].get(number)
        if run is not None:
            te.text = linecache.getline(te.filename, number)
            if te.offset is not None and te.offset > 0:
                # A syntax error's offsets count characters from 1.
                same_line = te.end_offset is not None and te.end_offset > 0 and te.end_lineno in (None, number, str(number))
                start, stop = _written_range(run, te.text, te.offset - 1, te.end_offset - 1 if same_line else None)
                te.offset, te.end_offset = start + 1, (None if stop is None else stop + 1)
            else:
                te.offset = te.end_offset = None


def _trim_stack(te):
    """Keep the cell's frames: drop those above its first frame (the worker's, and asyncio's
    for top-level await) and the worker's own below it (display() called by the cell).
    An error with no frame in the cell came from compiling it: it gets no stack at all."""
    pending, seen, top = [te], set(), te
    while pending:
        te = pending.pop()
        if te is None or id(te) in seen:
            continue
        seen.add(id(te))
        frames = list(te.stack)
        first = next((i for i, frame in enumerate(frames) if _is_cell_file(frame.filename)), None)
        if first is not None:
            frames = frames[first:]
        elif te is top:
            frames = []
        te.stack = traceback.StackSummary.from_list([frame for frame in frames if frame.filename not in WORKER_FILES])
        if _rewritten_lines:
            _fit_to_quoted_lines(te)
        pending += [te.__cause__, te.__context__, *(te.exceptions or [])]


def error_event(exc):
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    _trim_stack(te)
    try:
        evalue = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__
        evalue = f'<unprintable {type(exc).__name__} object>'
    # Jupyter frontends join the traceback entries with newlines: each loses its last one only,
    # else the blank line after "The above exception was the direct cause ...:" went too.
    return {'type': 'error', 'ename': type(exc).__name__, 'evalue': evalue,
            'traceback': [entry.removesuffix('\n') for entry in te.format()]}


def report_memory_error(exc, namespace, linked=None):
    """Report a MemoryError with the little memory left: free the reserve, the failed frames'
    locals and the cell's globals (the cell is over), then format; else send it prebuilt.
    `linked`: the LinkedCellFailed it came in, whose error names that linked cell."""
    _memory_reserve.close()
    try:
        event = linked.event() if linked is not None else error_event(exc)
        traceback.clear_frames(exc.__traceback__)
        exc.__traceback__ = None
        namespace.clear()
        emit(event)
    except MemoryError:
        try:
            flush_streams()
        except MemoryError:
            pass
        write_line(MEMORY_ERROR_LINE)


# IPython's note for a SystemExit, shown in place of its traceback.
SYSTEM_EXIT_NOTE = 'An exception has occurred, use %tb to see the full traceback.\n'


def system_exit_event(exc):
    """A SystemExit (`sys.exit(3)`, `raise SystemExit`) as IPython shows it: a note and the
    exception's line, no traceback; an error whatever its code, `sys.exit(0)` included."""
    if isinstance(exc, CellExit):  # named as the SystemExit it stands for
        exc = SystemExit(*exc.args)
    event = error_event(exc)
    lines = ''.join(traceback.format_exception_only(type(exc), exc)).removesuffix('\n')
    event['traceback'] = [SYSTEM_EXIT_NOTE, lines]
    return event


class CellExit(SystemExit):
    """What the builtins exit() and quit() raise in a cell: in IPython they leave the shell
    without an error, so the cell ends quietly (a non-zero code: as sys.exit's)."""


class _Quitter:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f'Use {self.name}() or Ctrl-D (i.e. EOF) to exit'

    def __call__(self, code=None):
        raise CellExit(code)


def run_guarded(function, *args):
    """Run the cell's code (or what it left to do); report what it raises as its error."""
    global _in_cell_code
    try:
        try:
            _in_cell_code = True
            if _interrupt_pending:  # it came before the cell's code did
                _deliver_interrupt()
            function(*args)
        finally:
            _in_cell_code = False
    except SystemExit as exc:
        if isinstance(exc, CellExit) and exc.code in (None, 0):
            return 'ok'
        emit(system_exit_event(exc))
        return 'error'
    except MemoryError as exc:
        report_memory_error(exc, sys.modules['__main__'].__dict__)
        return 'error'
    except LinkedCellFailed as exc:
        if isinstance(exc.exc, MemoryError):
            report_memory_error(exc.exc, sys.modules['__main__'].__dict__, exc)
            return 'error'
        try:
            emit(exc.event())
        except MemoryError as again:
            report_memory_error(again, sys.modules['__main__'].__dict__)
        return 'error'
    except BaseException as exc:  # noqa: BLE001 - everything the cell raises is its error
        if isinstance(exc, KeyboardInterrupt):
            _end_at_interrupted_line(exc)
        try:
            emit(error_event(exc))
        except MemoryError as again:
            report_memory_error(again, sys.modules['__main__'].__dict__)
        return 'error'
    return 'ok'


# --- linked cells ------------------------------------------------------------------------------
#
# A page's linked cells share their definitions (docs/api.md, "Linked cells"), yet each runs in
# a fresh process: the cell's options carry the code of the linked cells before it, which runs
# first, in the cell's namespace, as the cell itself is run (a dialect's preparser included),
# with its output thrown away: it was shown, if at all, when its own cell ran. The files it
# makes are the cell's. The first that fails ends the cell with an error naming it, before the
# cell's own code, which would only fail later with a NameError that says nothing of why.

LINKED_ENAME = 'LinkedCellError'


class LinkedPlace:
    """Which linked cell some code is of (1-based, in page order, of `count`), and the number of
    the event pipe's descriptor that stays open to that code while its own fd 3 is /dev/null."""

    def __init__(self, position, count, event_fd=EVENT_FD):
        self.position, self.count, self.event_fd = position, count, event_fd

    def __str__(self):
        return f'linked cell {self.position} of the {self.count} above this one'


class LinkedCellFailed(Exception):
    """The code of a linked cell before this one failed: the cell's own code does not run."""

    def __init__(self, position, count, exc):
        super().__init__(position, count)
        self.position, self.count, self.exc = position, count, exc

    def event(self):
        """The cell's error: which linked cell failed (1-based, in page order) and its error,
        with that error's own traceback (its lines those of that cell, `<linked cell n>`)."""
        exc = self.exc
        inner = system_exit_event(exc) if isinstance(exc, SystemExit) else error_event(exc)
        why = f'{inner["ename"]}: {inner["evalue"]}' if inner['evalue'] else inner['ename']
        where = LinkedPlace(self.position, self.count)
        return {'type': 'error', 'ename': LINKED_ENAME, 'evalue': f'{where} failed with {why}',
                'traceback': [f'The {where} failed, so this cell did not run:'] + inner['traceback']}


# The HiddenOutput in force while a linked cell's code runs, else None.
_hiding = None


class HiddenOutput:
    """While a linked cell's code runs: everything it would show goes nowhere, the events on
    fd 3 and the bytes on fds 1 and 2 alike (a subprocess's output, os.write). The swaps are
    made holding the event lock, so no event is cut, and an interrupt waits for them to end.

    A thread the code starts gets a descriptor table of its own (unshare(CLONE_FILES)), made
    while fds 1, 2 and 3 are /dev/null, so they stay so for it, for the threads it starts and
    the processes it forks, after the cell's own are given back: what it writes later, as
    os.write or a C library does, is that cell's output, hidden. A thread started by C code
    (pthread_create) shares the cell's, and shows."""

    FDS = (1, 2, EVENT_FD)

    def __init__(self, place):
        self.place = place
        self.shared = False  # whether a thread it started failed to take a table of its own

    @staticmethod
    def _threads():
        threading = sys.modules.get('threading')  # imported by the code that starts a thread
        return set(threading.enumerate()) if threading is not None else set()

    def __enter__(self):
        global _hiding
        self.threads = self._threads()
        with _emit_lock:
            _send_pending()
            self.saved = [os.dup(fd) for fd in self.FDS]  # not inheritable: no subprocess has them
            null = os.open(os.devnull, os.O_WRONLY)
            for fd in self.FDS:
                os.dup2(null, fd, inheritable=fd != EVENT_FD)
            os.close(null)
            self.place.event_fd = self.saved[-1]
            _hiding = self
            _start_threads_with(_start_thread_hidden)
        return self

    def __exit__(self, *exc_info):
        global _hiding
        started = self._threads() - self.threads
        threading = sys.modules.get('threading')
        if started:
            _hidden_threads.update((t, self.place) for t in started if t is not threading.current_thread())
        with _emit_lock:
            _start_threads_with(_start_thread)
            _hiding = None
            _send_pending()  # what it printed last, into the void
            flush_raw_streams()
            if self.shared:  # a thread without a table of its own finds the pipe where the cell's is
                self.place.event_fd = EVENT_FD
            for fd, saved in zip(self.FDS, self.saved):
                os.dup2(saved, fd, inheritable=fd != EVENT_FD)
                os.close(saved)
        if _interrupt_pending:  # it came while the lock was held: raised here, in the cell's code
            _deliver_interrupt()
        return False


def _start_threads_with(start):
    """Where threading and _thread find the function that starts a thread (threading keeps its
    own reference, taken when it was imported, maybe by a linked cell's code while hidden)."""
    _thread.start_new_thread = start
    threading = sys.modules.get('threading')
    if threading is not None:
        threading._start_new_thread = start


_unshare = None
CLONE_FILES = 0x400


def _start_thread_hidden(function, args, kwargs=None):
    """_thread.start_new_thread while a linked cell's code runs: the new thread first takes a
    descriptor table of its own (HiddenOutput), in which the descriptors of the cell's output
    that HiddenOutput keeps are closed, then runs `function`. Returns once it has."""
    global _unshare
    hiding = _hiding
    if hiding is None:  # a reference the code kept, called after its cell
        return _start_thread(function, args, kwargs or {})
    if _unshare is None:
        import ctypes  # only for the cells whose linked code starts a thread
        _unshare = ctypes.CDLL(None, use_errno=True).unshare
    begun = _thread.allocate_lock()
    begun.acquire()
    keep = hiding.place.event_fd  # for _exit_naming_linked(), and no other use

    def begin(*a, **kw):
        try:
            if _unshare(CLONE_FILES) == 0:
                for fd in hiding.saved:
                    if fd != keep:
                        os.close(fd)
            else:
                hiding.shared = True
        finally:
            begun.release()
        return function(*a, **kw)

    ident = _start_thread(begin, args, kwargs or {})
    begun.acquire()
    return ident


# The process the linked cells run in: one they fork ends as it will.
_linked_pid = None


def _exit_naming_linked(status):
    """os._exit once linked code has run: a linked cell's code, or a thread one started, that
    ends the process names that cell, as the error of the cell whose own code did not run or
    was cut short: a LinkedCellError and `done` go out first. Anything else exits at once."""
    try:
        place = _linked_place_here()
        if place is not None:
            _report_linked_exit(place, status, sys._getframe(1))
    except BaseException:  # noqa: BLE001 - the process ends, as asked, whatever failed here
        pass
    _os_exit(status)


def _linked_place_here():
    if os.getpid() != _linked_pid:
        return None
    if _hidden_threads:
        place = _hidden_threads.get(sys.modules['threading'].current_thread())
        if place is not None:
            return place
    return _hiding.place if _hiding is not None else None


def _report_linked_exit(place, status, frame):
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame))
    stack.reverse()
    te = traceback.TracebackException(SystemExit, SystemExit(), None)
    te.stack = stack
    _trim_stack(te)
    how = f'os._exit({status})'
    lines = [entry.removesuffix('\n') for entry in te.stack.format()]
    event = {'type': 'error', 'ename': LINKED_ENAME, 'evalue': f'{place} ended the process with {how}',
             'traceback': [f'The {place} ended the process with {how}, so this cell did not run:']
             + (['Traceback (most recent call last):'] + lines if lines else []) + [how]}
    with _emit_lock:
        if _hiding is not None and place is _hiding.place:
            _pending['parts'] = []  # the linked code's own, hidden
        else:
            _send_pending(place.event_fd)  # the cell's own code's, printed before
        _send(event, place.event_fd)
        _send({'type': 'done', 'status': 'error'}, place.event_fd)


def run_linked(linked, namespace):
    """Runs the code of the linked cells before this one, in page order, in its namespace, their
    output hidden. A figure one leaves open is dropped, as a cell's own is shown at its end. The
    reader's Stop ends the run with its KeyboardInterrupt, a limit (time) as it ends any cell;
    anything else one raises is LinkedCellFailed, naming it, a MemoryError too (its report
    frees what it can first, run_guarded()), and so is ending the process with os._exit()."""
    global _linked_pid
    _linked_pid = os.getpid()
    os._exit = sys.modules['posix']._exit = _exit_naming_linked
    count = len(linked)
    for position, code in enumerate(linked, 1):
        try:
            with HiddenOutput(LinkedPlace(position, count)):
                try:
                    run_code(code, namespace, LINKED_CELL.format(position), show_result=False)
                finally:
                    _drop_figures()
        except CellExit as exc:  # exit() ends that cell quietly, as it would on its own
            if exc.code in (None, 0):
                continue
            raise LinkedCellFailed(position, count, exc) from None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - whatever it raises is the cell's failure
            raise LinkedCellFailed(position, count, exc) from None


def _drop_figures():
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is not None:
        pyplot.close('all')


def flush_raw_streams():
    # Code may have written through the original (buffered) sys.__stdout__ / __stderr__.
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - closed or broken by the cell
            pass


# Interacts (interact.py): the cell's controls, and the values the page sent for them.
INTERACT = None


# A dialect of Python the language is (CELLBOX_DIALECT=<name>, the module workers/python/<name>.py):
# it reads the code its own way, fills the namespace and shows its own values. None: Python.
DIALECT = None


def load_sibling(name):
    """A module of the worker's own folder, loaded without putting that folder on sys.path."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        f'cellbox_{name}', os.path.join(os.path.dirname(KERNEL_FILE), f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare():
    """What every cell needs before its code comes; in a fork server, done once in the zygote."""
    global DIALECT, INTERACT
    INTERACT = load_sibling('interact')
    WORKER_FILES.add(INTERACT.__file__)
    INTERACT.install(sys.modules[__name__])
    dialect = os.environ.get('CELLBOX_DIALECT')
    if dialect:
        if not dialect.isidentifier():
            raise ValueError(f'CELLBOX_DIALECT={dialect!r} is not a module name')
        DIALECT = load_sibling(dialect)
        WORKER_FILES.add(DIALECT.__file__)
        DIALECT.install(sys.modules[__name__])
    # Modules in the cell's directory can be imported, as in Jupyter (no bytecode is written).
    sys.path.insert(0, '')
    builtins.display = display
    builtins.clear_output = clear_output
    builtins.input = cell_input
    builtins.exit = _Quitter('exit')
    builtins.quit = _Quitter('quit')
    install_import_hooks()
    sys.modules['cellbox_kernel'] = sys.modules[__name__]
    use_inline_backend()


def ready_event():
    # `interrupt`: a SIGINT ends the cell with a KeyboardInterrupt where it was (install_interrupt_handler()).
    # `options`: the cell's options come in a line before its code (read_cell()).
    if DIALECT is not None:
        return {'type': 'ready', 'language': DIALECT.LANGUAGE, 'version': DIALECT.version(), 'interrupt': True,
                'options': True}
    version = '.'.join(str(part) for part in sys.version_info[:3])
    return {'type': 'ready', 'language': 'python', 'version': version, 'interrupt': True, 'options': True}


def warm_up():
    """In a fork server, after the preloads: do once what every plotting cell would do first
    (choose the backend, draw, encode a PNG), and every cell showing a DataFrame, then drop the
    open font files, which the cells must not share (FreeType reads them through one shared
    file offset). The interrupt handler goes in here once, for every cell forked after."""
    install_interrupt_handler()
    if DIALECT is not None and hasattr(DIALECT, 'warm_up'):
        DIALECT.warm_up()
    rehearse()
    pandas = sys.modules.get('pandas')
    if pandas is not None:
        # A DataFrame's first display imports pandas' HTML and text formatters and fills their
        # caches: some 40 ms of the CPU of every cell that shows one.
        format_bundle(pandas.DataFrame({'n': [1, 2], 'x': [0.5, 'a']}))
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is None:
        return
    # 3 inches a side: in a smaller figure the tick labels reach past its edge, and the one-draw
    # PNG is not taken (at 1 inch it never was: savefig ran twice and the one draw stayed cold).
    figure = pyplot.figure(figsize=(3, 3))
    figure.gca().plot([0, 1], [0, 1])
    figure.gca().set_title('x')
    # Both ways a cell's figure may be drawn: one draw, and savefig where that one is not taken.
    _tight_png_in_one_draw(figure)
    figure.savefig(io.BytesIO(), format='png', bbox_inches='tight')
    pyplot.close('all')
    from matplotlib import font_manager
    font_manager._get_font.cache_clear()
    import gc
    gc.collect()


# A small cell that takes every step a real one does: parse, compile, run, print a line, show
# a value, then fail with a traceback. See rehearse().
REHEARSAL = 'rehearsal = [1, 2.5, "a"]\nprint(rehearsal, len(rehearsal))\nrehearsal'


# What a rehearsal draws where pyplot is loaded: a line plot, shown at the end of the cell.
REHEARSAL_PLOT = 'import matplotlib.pyplot\nmatplotlib.pyplot.plot([1, 2, 3], [1, 4, 9])'


def rehearse(plot=False):
    """Runs REHEARSAL with its events thrown away. In the zygote it fills the caches every cell
    would fill on its own (the parser's, the compiler's, the formatters'), once for all.
    Where the fork server cannot copy a cell's first pages ahead (probe_cells()),
    each forked cell rehearses before it says ready, taking those copy-on-write faults off its
    round trip. Nothing of it stays: its namespace, its traceback cache entry and its output go
    with it."""
    saved = os.dup(EVENT_FD)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, EVENT_FD, inheritable=False)
    os.close(null)
    streams = sys.stdout, sys.stderr
    try:
        sys.stdout = EventStream('stdout', 1)
        sys.stderr = EventStream('stderr', 2)
        namespace = {'__name__': '__main__', '__builtins__': builtins}
        run_guarded(run_cell, REHEARSAL, namespace)
        run_guarded(run_cell, 'rehearsal[3]', namespace)  # and a traceback
        if plot and 'matplotlib.pyplot' in sys.modules:
            run_guarded(run_cell, REHEARSAL_PLOT, namespace)
        run_guarded(show_figures_at_end)
        flush_streams()
    finally:
        sys.stdout, sys.stderr = streams
        os.dup2(saved, EVENT_FD, inheritable=False)
        os.close(saved)
        linecache.cache.pop(CELL, None)


def after_fork():
    """In a cell forked from the zygote: what must differ between cells that forked from one
    process. Python's own `random` reseeds itself at fork; numpy's global generator does not,
    nor does a dialect's own (after_fork() of its module)."""
    numpy_random = sys.modules.get('numpy.random')
    if numpy_random is not None:
        numpy_random.seed()
    if DIALECT is not None and hasattr(DIALECT, 'after_fork'):
        DIALECT.after_fork()


def probe_cells():
    """The cells the fork server's probes run to learn which of its pages a cell writes and
    reads (forkserver.py give_pages()): each is forked and served as every cell is, from the
    forker's loop to its exit, its output and events thrown away. REHEARSAL (after a plot, where
    pyplot is loaded), then a cell that fails, for its traceback. Taking the real path matters:
    a rehearsal run its own way allocated in its own order and left some 120 of the pages a
    real cell writes on its way to its code unlearned, and one forked but called from the fork
    server some 16 more, on the way back into Python: each a copy-on-write fault on that cell's
    round trip."""
    first = REHEARSAL
    if 'matplotlib.pyplot' in sys.modules:
        first = REHEARSAL_PLOT + '\n' + first
    # Each after the options line, as the device sends a cell (read_cell()).
    return [PROBE_OPTIONS + code for code in (first, 'rehearsal = []\nrehearsal[1]')]


PROBE_OPTIONS = '{"interact":null,"linked":null,"outputBytes":null}\n'


# A cell ends as a script does, though its process leaves with os._exit (main()), which waits for
# no thread and runs no atexit handler: a thread's late output was lost, and an atexit handler
# never ran. JavaScript cells end as `node file.js` does too (workers/node/kernel.cjs).

def wait_for_threads():
    """Waits for the threads the cell started and left running, daemons excepted, as Python
    does before it exits, after threading's own exit hooks (concurrent.futures' tell their
    executors' workers to finish the queue and stop). A thread that never ends keeps the cell
    running into its time limit, as it keeps a script running. Nothing to do, and nothing read
    but two lists, for a cell that started no thread."""
    threading = sys.modules.get('threading')
    if threading is None:
        return
    main_thread = threading.main_thread()
    if threading._threading_atexits or any(
            not t.daemon and t is not main_thread for t in threading.enumerate()):
        threading._shutdown()


def forget_exit_handlers():
    """Before the cell's code: the atexit handlers registered so far are the worker's own, from
    its imports (a fork server's preloads: logging's, matplotlib's). They tidy up after modules
    in a process whose end drops everything anyway, a cost on every cell's way out that no cell
    would see. weakref.finalize registers its handler once per process: where that was before
    the cell, it must register again for the cell's own finalizers."""
    if atexit._ncallbacks():
        atexit._clear()
        weakref = sys.modules.get('weakref')
        if weakref is not None:
            weakref.finalize._registered_with_atexit = False


def run_exit_handlers():
    """After the cell and its threads: the atexit handlers the cell registered, last first, with
    its output still captured. As in Python, one that raises has its traceback printed on stderr
    and the rest still run; the cell's status is unchanged, as a script's exit status is."""
    if atexit._ncallbacks():
        atexit._run_exitfuncs()


def flush_open_files():
    """After the exit handlers: what the cell wrote to files it left open, flushed, as Python's
    exit does (it closes them). The worker ends with os._exit(), which does not: a cell's
    `f = open("out.csv", "w")` and writes without close(), or a file handed to np.savetxt(),
    were listed empty, their last 8 KiB (all of a small one) still in the file object's buffer.
    Only the cell's objects are looked at: a fork server's own are frozen out of the collector's
    generations (forkserver.py), so this costs a cell little more than its own objects. A flush
    that fails (the file-size limit) is as good as the file gets: it is left as it is. Files
    only: a pipe's flush may wait for ever for a reader that is gone."""
    import gc
    import io
    import stat
    writers = (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)
    for generation in range(3):
        for obj in gc.get_objects(generation):
            if not isinstance(obj, writers):
                continue
            try:
                # A TextIOWrapper's flush writes through its buffer, which is flushed too.
                if not obj.closed and obj.writable() and stat.S_ISREG(os.fstat(obj.fileno()).st_mode):
                    obj.flush()
            except Exception:  # noqa: BLE001 - a broken file of the cell's is the cell's
                pass


def main():
    close_inherited_fds()
    prepare()
    serve_cell()
    # The cell's threads and atexit handlers were waited for (serve_cell()); daemon threads
    # still running do not delay the exit.
    os._exit(0)


def serve_cell(populated=False):
    """Says ready, reads the cell's code from stdin, runs it, reports, and closes its pipes: the
    caller exits at once. A cell whose first pages the fork server copied (populated) needs no
    rehearsal of its own."""
    # Subprocesses of the cell must not inherit the event pipe.
    os.set_inheritable(EVENT_FD, False)
    os.set_blocking(EVENT_FD, True)
    if not populated:
        rehearse()
    start_flusher()
    forget_exit_handlers()
    install_interrupt_handler()  # a fork server's is in already (warm_up())
    emit(ready_event())
    options, code = read_cell()
    _pipe['cell'] = True
    limit = options.get('outputBytes')
    _output['limit'] = limit if isinstance(limit, int) and not isinstance(limit, bool) else None
    _output['sent'] = 0
    linked = options.get('linked')
    if linked is None:
        linked = []
    if not isinstance(linked, list) or not all(isinstance(c, str) for c in linked):
        raise ValueError('the cell\'s linked option is not a list of code (workers/protocol.ts)')

    # A fresh __main__ for the cell, registered so that pickle and dataclasses find it.
    main_module = types.ModuleType('__main__')
    main_module.__dict__['__builtins__'] = builtins
    main_module.__dict__['get_ipython'] = get_ipython
    sys.modules['__main__'] = main_module
    namespace = main_module.__dict__

    streams = EventStream('stdout', 1), EventStream('stderr', 2)
    sys.stdout, sys.stderr = streams
    # Code that prints to sys.__stdout__ reaches fd 1, as os.write(1, ...) and subprocesses do:
    # line by line, as on a terminal, not at the end of the cell after all of theirs.
    try:
        sys.__stdout__.reconfigure(line_buffering=True)
    except (AttributeError, ValueError, OSError):  # no stdout at all
        pass
    status = run_guarded(run_cell, code, namespace, linked, options.get('interact'))
    # As a script's threads: what they print is the cell's output, and it is not over before them.
    # Not once the reader stopped the cell: it is over, and its threads die with it.
    if not _interrupted:
        waited = run_guarded(wait_for_threads)
        if status == 'ok':
            status = waited
    # Figures the cell left open appear after its output, as in Jupyter, even after an error.
    if status == 'ok':
        status = run_guarded(show_figures_at_end)
    else:
        try:
            show_figures_at_end()
        except Exception:  # noqa: BLE001 - the cell's own error is the one to report
            pass
    run_exit_handlers()
    flush_open_files()
    for stream in streams:
        stream.end_bytes()
    flush_raw_streams()
    if status == 'ok':
        emit({'type': 'done', 'status': 'ok'})
    else:
        try:
            flush_streams()
        except MemoryError:
            pass
        write_line(DONE_ERROR_LINE)
    # The cell is over. Its pipes close now rather than at the exit, which unmaps the process's
    # memory first: the device sees the end of its output at once.
    os.closerange(0, EVENT_FD + 1)


def fork_server(argument):
    """`--fork-server=<json>`: preload, then fork one isolated process per cell (forkserver.py)."""
    forkserver = load_sibling('forkserver')
    prepare()

    def cell_main(populated):
        after_fork()
        serve_cell(populated)

    # The standard library's modules: a cell that imports no others may be forked from a light
    # zygote with nothing preloaded (device/imports.ts).
    ready = dict(ready_event(), stdlib=sorted(sys.stdlib_module_names))
    forkserver.serve(json.loads(argument), ready, cell_main, probe_cells)


if __name__ == '__main__':
    try:
        server = [a for a in sys.argv[1:] if a.startswith('--fork-server=')]
        if server:
            fork_server(server[0].partition('=')[2])
        else:
            main()
    except BaseException:  # noqa: BLE001 - a bug in the worker itself: still end the cell
        try:
            traceback.print_exc(file=sys.__stderr__)
            sys.__stderr__.flush()
            write_line(DONE_ERROR_LINE)
        finally:
            os._exit(1)
