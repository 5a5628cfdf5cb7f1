# The Sage dialect of the Python worker (CELLBOX_DIALECT=sage): the cell is Sage code, read
# through Sage's preparser (`2^64` is a power, `1/3` a rational), run with everything of
# `sage.all` in its namespace; Sage values are shown as typeset math, plots as images, 3D
# graphics in an interactive viewer, and `show()` displays inline. Loaded by kernel.py, which
# keeps the rest (streams, files, errors).
#
# Importing `sage.all` takes seconds: a fork server preloads it (see the `sage` language in the
# config), and warm_up() below does the first symbolic computation and plot once, there.

import json
import os
import re
import sys

LANGUAGE = 'sage'


def version():
    from sage.version import version
    return version


# kernel.py, which Sage's values are handed to (set by install()).
_kernel = None


def install(kernel):
    """Registers the formatters for Sage's values with the kernel; imports nothing heavy."""
    global _kernel
    _kernel = kernel
    # Plots too: Sage's display manager draws them as PNG (below).
    kernel.FORMATTERS['sage.structure.sage_object.SageObject'] = lambda obj: _display_manager().displayhook(obj)
    # Python's own containers of Sage's values too, as Sage's displayhook takes every value:
    # `divisors(12)`, `var('a b')` or `[1..10]` were plain text where SageMathCell typesets them.
    for container in _CONTAINERS:
        kernel.FORMATTERS[f'builtins.{container.__name__}'] = _container_bundle
    kernel.INTERACT.configure(_interact_evaluate, _interact_color, _interact_html_color, _interact_is_color, _interact_text,
                              _interact_label)


_CONTAINERS = (list, tuple, dict, set, frozenset)


# Past this many values a container stays plain text: its LaTeX beside the text doubled the
# output, and `list(range(10^5))` went past the output limit.
TYPESET_ITEMS = 1000


def _container_bundle(obj):
    # Exactly these: a subclass (a namedtuple, a Sage sequence) has its own repr.
    if type(obj) not in _CONTAINERS or not _holds_sage_values(obj):
        return None
    return _display_manager().displayhook(obj)


def _holds_sage_values(obj):
    """Whether a container is Sage's values to typeset: some of Sage's, no strings (Sage's
    LaTeX drops their quotes: ['1'] was typeset as [1]), at most TYPESET_ITEMS in all."""
    from sage.structure.sage_object import SageObject
    pending, count, sage_values = [obj], 0, False
    while pending:
        item = pending.pop()
        count += 1
        if count > TYPESET_ITEMS or isinstance(item, (str, bytes)):
            return False
        if type(item) in _CONTAINERS:
            pending.extend(item.items() if type(item) is dict else item)
        elif isinstance(item, SageObject):
            sage_values = True
    return sage_values


def preparse(code):
    from sage.repl.preparse import preparse as sage_preparse
    code = _clean_input(code)
    if _interface_cell(code):
        return code
    code, magic_lines = _set_aside_interface_lines(code)
    return _put_back_interface_lines(sage_preparse(_time_lines(code)), magic_lines)


# A cell or a line in another system's language (`%%gp` over a cell, `%gap Size(G)` on a line):
# not Sage's, so not through its preparser, which made `factor(2^32+1)` of a `%%gp` cell
# `factor(Integer(2)**Integer(32)+Integer(1))` for gp. Sage's shell preparses after IPython has
# turned magics into calls with the code as a string, which the preparser leaves alone.
_INTERFACE_CELL = re.compile(r'^[ \t]*%%(\w+)')
_INTERFACE_LINE = re.compile(r'^([ \t]*)%(\w+)(?=[ \t]|$).*$', re.M)


def _interface_names():
    from sage.repl.interface_magic import InterfaceMagic
    return {magic._name for magic in InterfaceMagic.all_iter()}


def _interface_cell(code):
    first = _INTERFACE_CELL.match(code.lstrip('\n'))
    return first is not None and first.group(1) in _interface_names()


def _set_aside_interface_lines(code):
    if '%' not in code:
        return code, []
    names, lines = _interface_names(), []

    def aside(match):
        if match.group(2) not in names:
            return match.group(0)
        lines.append(match.group(0))
        return f'{match.group(1)}_cellbox_interface_line_{len(lines) - 1}_'
    return _INTERFACE_LINE.sub(aside, code), lines


def _put_back_interface_lines(code, lines):
    for number, line in enumerate(lines):
        code = re.sub(rf'^[ \t]*_cellbox_interface_line_{number}_$', lambda _: line, code, count=1, flags=re.M)
    return code


# Examples pasted with their prompts, from Sage's documentation or a session of Sage or Python
# (`sage: f(3)`, `....:     print(i)`, `>>> 2 + 2`), and a cell indented as a whole: read as
# Sage's shell and SageMathCell read them (IPython's cleanup of a cell, with Sage's prompts
# first: SagePromptTransformer, leading_indent, classic_prompt). `sage: 2+2` was an annotation,
# so showed nothing; `sage: f(x) = x^2` a NameError; `    2^10` an IndentationError. As IPython
# does: prompts only when the first line or the one after it has one, then from every line that
# has one. Each line stays where it was, so tracebacks quote the cell's lines as written.
_SAGE_PROMPT = re.compile(r'^(?:[ \t]*(?:sage:|\.\.\.\.:)(?: |$))+')
_PYTHON_PROMPT = re.compile(r'^(?:>>>|\.\.\.)(?: |$)')
# `...` alone is an expression in Python 3: only a first `>>>` says the cell is a session.
_PYTHON_FIRST_PROMPT = re.compile(r'^>>>(?: |$)')
_INDENT = re.compile(r'^[ \t]+')


def _clean_input(code):
    lines = code.splitlines(True)
    # IPython starts at the first line with something on it (leading_empty_lines).
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return code
    head, rest = lines[:start], lines[start:]
    rest = _strip_prompts(rest, _SAGE_PROMPT, _SAGE_PROMPT)
    indent = _INDENT.match(rest[0])
    if indent is not None:
        rest = [line[indent.end():] if line.startswith(indent.group()) else line for line in rest]
    rest = _strip_prompts(rest, _PYTHON_FIRST_PROMPT, _PYTHON_PROMPT)
    return ''.join(head + rest)


def _strip_prompts(lines, first, prompt):
    if first.match(lines[0]) or (len(lines) > 1 and prompt.match(lines[1])):
        return [prompt.sub('', line, count=1) for line in lines]
    return lines


# `time <statement>` at the start of a line, as Sage's shell and SageMathCell read it (IPython's
# automagic): `%time`. Not `time = 5`, `time(...)`, `time.sleep()` or `time in x`, which are
# Python; was a SyntaxError.
_TIME_LINE = re.compile(r'^([ \t]*)time[ \t]+(?!(?:is|in|and|or|if|else|not|for)\b)(?=\w)', re.M)


def _time_lines(code):
    if not _TIME_LINE.search(code):
        return code
    from sage.repl.preparse import strip_string_literals
    # Not inside a string: the literals are set aside as %(L1)s, every other % doubled.
    stripped, literals, _ = strip_string_literals(code)
    return _TIME_LINE.sub(r'\1%%time ', stripped) % literals


def prepare_namespace(kernel, namespace):
    """Everything `from sage.all import *` gives. Sage's own `show()`, `pretty_print()` and a
    plot's `.show()` display in the cell, through the display backend below."""
    import sage.all
    _display_manager()
    # Sage's folder ($DOT_SAGE, in /tmp) was made in the fork server's /tmp, not in the cell's
    # own: Sage's interfaces to programs (gp(), gap(), maxima()) keep their logs and files
    # there, and gp("2+2") failed with "No such file or directory: '/tmp/dot_sage/gp-expect.log'".
    os.makedirs(os.environ.get('DOT_SAGE') or sage.env.DOT_SAGE, exist_ok=True)
    namespace.update((k, v) for k, v in vars(sage.all).items() if not k.startswith('__'))
    # As in Sage's own shell: `x` is a symbolic variable from the start.
    namespace['x'] = sage.all.SR.var('x')
    namespace.update(kernel.INTERACT.NAMES)
    _animations_by_pillow()
    _gap_without_workspace()
    _octave_without_core_file()
    namespace['sleep'] = _sleep_for_any_number()
    namespace['view'] = _view_in_the_cell()


def after_fork():
    """In each cell forked from the fork server: Sage's random state seeded afresh (from the
    system's entropy), as SageMathCell seeds it after its fork. Every cell inherited the fork
    server's, so `randint(1, 100)`, `random()`, `random_matrix(ZZ, 3)` and
    `ZZ.random_element()` gave the same values in every cell, and a course's random exercises
    were the same each time."""
    from sage.misc.randstate import set_random_seed
    set_random_seed()


# --- @interact ---------------------------------------------------------------------------------
#
# SageMathCell's interacts, in Cellbox's way (interact.py, docs/api.md): `interact` shows its
# controls and runs the function once with their values; when a control moves, the page runs
# the cell again with the new values. Its names are in the namespace, as `from sage.all import *`
# gives Sage's own; an input box's text is read with sage_eval in the cell's namespace, and a
# colour is a Sage Color.


def _interact_evaluate(text):
    from sage.misc.sage_eval import sage_eval
    return sage_eval(text, locals=sys.modules['__main__'].__dict__)


def _interact_color(html):
    from sage.plot.colors import Color
    return Color(html)


def _interact_html_color(default):
    from sage.plot.colors import Color
    return Color(default).html_color()


def _interact_text(default):
    """An input box's text for a default: str(), unless that takes several lines (a matrix's
    rows), which a one-line box cannot hold and sage_eval cannot read back: then Sage's own
    expression for it (sage_input: `matrix(QQ, [[1, 2], [3, 4]])`), when it has one line."""
    text = str(default)
    if '\n' not in text:
        return text
    try:
        from sage.misc.sage_input import sage_input
        expression = str(sage_input(default))
    except Exception:  # noqa: BLE001 - a value sage_input cannot write: its str() stays
        return text
    return expression if '\n' not in expression else text


# A real number's str() with its trailing zeros: '0.300000000000000', '1.50000000000000e-7'.
_PADDED_REAL = re.compile(r'(-?\d+\.\d*?)0+((?:e[-+]?\d+)?)')


def _interact_label(value):
    """A value's label on a slider or a menu: str(), but a real number (srange's, of 53 bits)
    without the zeros that pad it to its precision, as Sage's notebook showed them: 0.3, not
    0.300000000000000. Only the label: the function still gets the value itself."""
    text = str(value)
    from sage.rings.real_mpfr import RealNumber
    if not isinstance(value, RealNumber):
        return text
    match = _PADDED_REAL.fullmatch(text)
    if match is None:
        return text
    digits = match.group(1)
    return (digits + '0' if digits.endswith('.') else digits) + match.group(2)


def _interact_is_color(value):
    from sage.plot.colors import Color
    return isinstance(value, Color)


# --- animate() ---------------------------------------------------------------------------------
#
# Sage draws an animation's frames as PNG and joins them into a GIF with ImageMagick or ffmpeg;
# without either, `animate(...)` showed "Animation with 3 frames" typeset, after a warning with
# Sage's file names, and .save('a.gif') failed. Pillow (which Sage's plots need) joins them.

_animations_patched = False


def _animations_by_pillow():
    global _animations_patched
    if _animations_patched:
        return
    _animations_patched = True
    from sage.plot.animate import Animation
    sage_gif = Animation.gif

    def gif(self, delay=20, savefile=None, iterations=0, show_path=False, use_ffmpeg=False):
        from sage.features.ffmpeg import FFmpeg
        from sage.features.imagemagick import ImageMagick
        if use_ffmpeg or ImageMagick().is_present() or FFmpeg().is_present():
            return sage_gif(self, delay=delay, savefile=savefile, iterations=iterations,
                            show_path=show_path, use_ffmpeg=use_ffmpeg)
        return _gif_by_pillow(self, delay, savefile, iterations, show_path)

    gif.__doc__ = sage_gif.__doc__
    Animation.gif = gif


def _gif_by_pillow(animation, delay, savefile, iterations, show_path):
    from PIL import Image
    from sage.misc.temporary_file import tmp_filename
    if not savefile:
        savefile = tmp_filename(ext='.gif')
    if not savefile.endswith('.gif'):
        savefile += '.gif'
    savefile = os.path.abspath(savefile)
    directory = animation.png()
    frames = [Image.open(os.path.join(directory, name)).convert('RGB')
              for name in sorted(os.listdir(directory)) if name.endswith('.png')]
    if not frames:
        raise ValueError('the animation has no frames to save')
    # delay in hundredths of a second, as ImageMagick's; loop 0 is forever in both.
    frames[0].save(savefile, save_all=True, append_images=frames[1:], duration=int(delay) * 10,
                   loop=int(iterations), disposal=2)
    if show_path:
        print(f'Animation saved to file {savefile}.')


# --- view() -----------------------------------------------------------------------------------
#
# Sage's `view(x^2)` typesets with pdflatex and opens the PDF in a desktop viewer: a cell has
# neither, and it failed with "pdflatex is not available". Sage's old notebook, where many
# worksheets and course notes that call it were written, showed it typeset in the page. Here it
# is `show()` of each object (a list is several), typeset by the page's MathJax. Set in
# sage.misc.latex too, for `from sage.misc.latex import view`.

def _view_in_the_cell():
    import sage.misc.latex
    if getattr(sage.misc.latex.view, '_cellbox', False):
        return sage.misc.latex.view
    from sage.repl.rich_output.pretty_print import show

    def view(objects, *args, **kwds):
        """Shows `objects` (an object, or a list of them) typeset in the cell, as show() does.
        Sage's options for its LaTeX file and viewer (title, sep, engine, viewer, ...) have
        nothing to act on here."""
        for obj in objects if isinstance(objects, list) else [objects]:
            show(obj)

    view._cellbox = True
    sage.misc.latex.view = view
    return view


# --- sleep() ----------------------------------------------------------------------------------
#
# `sleep(0.5)`, in an animation's loop or between an interact's prints: the preparser makes 0.5
# a Sage real (a RealLiteral), `1/10` a Rational, and Python's time.sleep() takes an int or a
# float only. Before Python 3.10 it took the integer part of anything else (through __int__, so
# 0.5 slept no time at all); since, it refuses it: "'sage.rings.real_mpfr.RealLiteral' object
# cannot be interpreted as an integer", in Sage's own shell too. Sage's `sleep` is time.sleep
# (sage.all imports it), and a cell calls it by either name: both take any number of seconds,
# as float() reads it (a symbolic `x` says it has no value); anything else, a string, is left to
# time.sleep's own error.

def _sleep_for_any_number():
    import time
    if getattr(time.sleep, '_cellbox', False):
        return time.sleep
    python_sleep = time.sleep

    def sleep(seconds):
        if not isinstance(seconds, (int, float)) and hasattr(type(seconds), '__float__'):
            seconds = float(seconds)
        return python_sleep(seconds)

    sleep.__doc__ = python_sleep.__doc__
    sleep._cellbox = True
    time.sleep = sleep
    return sleep


# --- gap(...), Sage's interface to a GAP process ----------------------------------------------
#
# Sage's pexpect interface to GAP (`gap('...')`, and Sage's own random state for GAP, which
# `SymmetricGroup(4).random_element()` seeds through it) saves GAP's workspace, a file of tens of
# megabytes, the first time it starts. In a cell that file passes the cell's file-size limit:
# every such cell failed with "Gap produced error output / Error, Cannot write to file ...
# SaveWorkspace". Nor would the file outlive the cell, whose /tmp is its own. So GAP starts
# without one, as Sage starts the GAP that makes the workspace (gap_reset_workspace(): colour
# prompts off, which the interface cannot read): a second or two at a cell's first use.

_gap_patched = False


def _gap_without_workspace():
    global _gap_patched
    if _gap_patched:
        return
    _gap_patched = True
    from sage.interfaces import gap as gap_interface

    class GapWithoutWorkspace(gap_interface.Gap):
        def _start(self):
            super()._start()
            self.eval('SetUserPreference("UseColorPrompt", false)')
            self.eval('ColorPrompt(false)')

    # The one instance, not a new one: sage.all, sage.interfaces.all and some of Sage's modules
    # hold it by name. Not started yet (the fork server never uses it), so made again in place.
    gap = gap_interface.gap
    if gap.is_running():
        return
    gap.__class__ = GapWithoutWorkspace
    gap.__init__(use_workspace_cache=False)


# Sage's pexpect interface to Octave (`octave('1+1')`) ends Octave with a signal when the cell's
# process ends, and Octave, as after a crash, saved its variables in `octave-workspace` in the
# cell's folder: a file of the cell's that it never made, listed under every such cell. So
# Octave starts with that dump off (crash_dumps_octave_core), as an Octave cell's worker does.

def _octave_without_core_file():
    from sage.interfaces import octave as octave_interface
    # As GAP's: the instance Sage's modules hold by name, not started in the fork server.
    octave = octave_interface.octave
    if getattr(octave, '_cellbox', False) or octave.is_running():
        return

    class OctaveWithoutCoreFile(octave_interface.Octave):
        _cellbox = True

        def _start(self):
            super()._start()
            self.eval('crash_dumps_octave_core(false);')

    octave.__class__ = OctaveWithoutCoreFile


def add_magics(shell):
    """Sage's own magics, with IPython's (magics.py): `%display`, and a magic per interface to
    another system, as Sage's shell has them (`%%gap`, `%%gp`, `%%maxima`, `%%singular`, `%r`
    ...: the cell, or the line, evaluated by that system, its output printed). Code from Sage's
    Jupyter notebooks has them: "Cell magic `%%gap` not found". IPython's of the same name
    (`%%sh`) stay."""
    shell.line_magics['display'] = _display_magic
    from sage.repl.interface_magic import InterfaceMagic
    for magic in InterfaceMagic.all_iter():
        shell.cell_magics.setdefault(magic._name, magic.cell_magic_factory())
        shell.line_magics.setdefault(magic._name, magic.line_magic_factory())


# What `%display` takes, as Sage's shell does; the default here is typeset math.
_DISPLAY_PREFERENCES = {'plain': 'plain', 'ascii_art': 'ascii_art', 'unicode_art': 'unicode_art',
                        'latex': 'latex', 'typeset': 'latex', 'default': 'latex', '': 'latex'}


def _display_magic(line):
    """`%display plain|latex|ascii_art|unicode_art|typeset|default`: how the cell's later
    values are shown, as in Sage's shell (the cell's own: each cell starts typeset)."""
    words = line.split()
    if words[:1] == ['text']:  # Sage's long form: %display text latex
        words = words[1:]
    choice = words[0] if words else ''
    if len(words) > 1 or choice not in _DISPLAY_PREFERENCES:
        raise ValueError(f'%display takes one of: {", ".join(k for k in _DISPLAY_PREFERENCES if k)}')
    _display_manager().preferences.text = _DISPLAY_PREFERENCES[choice]


# --- Sage's rich output ------------------------------------------------------------------------
#
# Sage shows its values through its display manager, which asks a backend what it can show:
# plain text by default, where `pretty_print(x^2)` printed "x^2", `html(...)` gave its source
# typeset as a string and `table(...)` a LaTeX tabular MathJax cannot draw. Cellbox's backend
# takes math (as LaTeX), HTML and images, and hands them to the kernel, as SageMathCell's
# notebook backend hands them to Jupyter; text preference LaTeX, so values are typeset.

_manager = None


def _display_manager():
    """Sage's display manager, switched to Cellbox's backend once per process."""
    global _manager
    if _manager is None:
        from sage.repl.rich_output import get_display_manager
        manager = get_display_manager()
        manager.switch_backend(_backend(_kernel))
        manager.preferences.text = 'latex'
        manager._rich_output_formatter = _html_of_others(manager, _large_scenes_as_png(_plain_where_latex_fails(manager, manager._rich_output_formatter)))
        _manager = manager
    return _manager


def _backend(kernel):
    from sage.repl.rich_output.backend_base import BackendBase
    from sage.repl.rich_output import output_catalog as oc

    class BackendCellbox(BackendBase):
        def _repr_(self):
            return 'Cellbox'

        def supported_output(self):
            return {oc.OutputPlainText, oc.OutputAsciiArt, oc.OutputUnicodeArt, oc.OutputLatex,
                    oc.OutputHtml, oc.OutputImagePng, oc.OutputImageJpg, oc.OutputImageSvg,
                    oc.OutputImageGif, oc.OutputSceneThreejs}

        def threejs_offline_scripts(self):
            # Asked by Sage for the page of a 3D graphic (its default, online=False).
            return THREEJS_SCRIPTS

        def displayhook(self, plain_text, rich_output):
            return _rich_bundle(kernel, oc, plain_text, rich_output)

        def display_immediately(self, plain_text, rich_output):
            kernel.publish_display_data(*_rich_bundle(kernel, oc, plain_text, rich_output))

    return BackendCellbox()


# Sage's LaTeX for MathJax starts with its macro for number fields (\Bold{Q}); kept only where used.
_BOLD_MACRO = '\\newcommand{\\Bold}[1]{\\mathbf{#1}}'


def _latex(text):
    body = text.strip()
    display = body.startswith('$$') and body.endswith('$$') and len(body) >= 4
    inner = body[2:-2] if display else body
    if inner.startswith(_BOLD_MACRO) and '\\Bold{' not in inner[len(_BOLD_MACRO):]:
        inner = inner[len(_BOLD_MACRO):]
    return f'$${inner}$$'


def _html(text):
    """Sage's HTML marks math as MathJax 2's script tags, which a sanitised page drops: as
    delimiters, typeset by the page's MathJax. A script's text is raw, so `a<b` in it is
    escaped as text: MathJax reads the text the page shows."""
    import html
    import re

    def delimited(opening, closing):
        return lambda m: f'{opening}{html.escape(m.group(1), quote=False)}{closing}'
    text = re.sub(r'<script type="math/tex; mode=display">(.*?)</script>', delimited('\\[', '\\]'), text, flags=re.S)
    return re.sub(r'<script type="math/tex">(.*?)</script>', delimited('\\(', '\\)'), text, flags=re.S)


def _rich_bundle(kernel, oc, plain_text, rich_output):
    """The MIME bundle and metadata for one of Sage's output containers."""
    plain = plain_text.text.get_str()
    if isinstance(rich_output, oc.OutputPlainText):
        return {'text/plain': rich_output.text.get_str()}, {}
    if isinstance(rich_output, oc.OutputAsciiArt):
        return {'text/plain': rich_output.ascii_art.get_str()}, {}
    if isinstance(rich_output, oc.OutputUnicodeArt):
        return {'text/plain': rich_output.unicode_art.get_str()}, {}
    if isinstance(rich_output, oc.OutputLatex):
        return {'text/latex': _latex(rich_output.latex.get_str()), 'text/plain': plain}, {}
    if isinstance(rich_output, oc.OutputHtml):
        if rich_output.latex is not None:  # math alone, in HTML for MathJax: the LaTeX itself
            return {'text/latex': _latex(rich_output.latex.get_str()), 'text/plain': plain}, {}
        return {'text/html': _html(rich_output.html.get_str()), 'text/plain': plain}, {}
    if isinstance(rich_output, oc.OutputImagePng):
        return kernel.png_bundle(rich_output.png.get(), plain)
    if isinstance(rich_output, oc.OutputImageJpg):
        return {'image/jpeg': rich_output.jpg.get(), 'text/plain': plain}, {}
    if isinstance(rich_output, oc.OutputImageSvg):
        return {'image/svg+xml': rich_output.svg.get_str(), 'text/plain': plain}, {}
    if isinstance(rich_output, oc.OutputImageGif):
        return {'image/gif': rich_output.gif.get(), 'text/plain': plain}, {}
    if isinstance(rich_output, oc.OutputSceneThreejs):
        return {THREEJS_MIME: _threejs_page(rich_output.html.get_str()), 'text/plain': plain}, {}
    return {'text/plain': plain}, {}


# --- 3D graphics -------------------------------------------------------------------------------
#
# Sage's 3D graphics (plot3d, sphere, parametric_plot3d, ...) were a PNG that Tachyon, a ray
# tracer, drew: 0.4-1.5 s a graphic, and no way to turn it. As in SageMathCell, they are Sage's
# own three.js page (sage/ext_data/threejs/threejs_template.html, filled by
# _rich_repr_threejs), which the browser client shows in a sandboxed frame served by Cellbox
# with three.js beside it (embed/viewer3d.ts); it costs milliseconds to make. Its MIME type is
# Cellbox's own: other Jupyter clients fall back to the text/plain.
THREEJS_MIME = 'application/vnd.cellbox.threejs+html'

# The scripts Sage's page wants (three.js r122, its threejs-version.txt, with OrbitControls),
# relative: the page runs in Cellbox's viewer frame (public/viewer3d/r122-2/frame.html), which
# has them beside it, whatever the server's address.
THREEJS_SCRIPTS = '<script src="three.min.js"></script>\n<script src="OrbitControls.js"></script>'

# A scene's page past this many bytes is drawn as a PNG instead: the page holds every vertex as
# JSON text, and an implicit_plot3d's was 3.7 MB, past the cell's output limit (1 MiB by
# default), where its PNG is ~30 KB.
THREEJS_MAX_BYTES = 512 * 1024


def _threejs_page(html):
    """Sage's page, with three.js from Cellbox: `show(online=True)` put a CDN's script tag in
    it, which the viewer's policy would refuse (and these machines cannot reach)."""
    return html.replace(_display_manager().threejs_scripts(online=True), THREEJS_SCRIPTS)


# What a display of a page costs besides the page's JSON text: the rest of its event (its type,
# the text/plain, metadata) and its message's envelope (~500 bytes) on the device's count.
THREEJS_EVENT_BYTES = 2048


def _page_fits(html):
    """Whether a scene's page is shown as a page: not past THREEJS_MAX_BYTES, and within what is
    left of the cell's output limit as far as the worker knows it (kernel.output_room()), where
    its PNG (some 30 KB) may still fit and the page would stop the cell with OutputLimitExceeded."""
    if len(html) > THREEJS_MAX_BYTES:
        return False
    room = _kernel.output_room()
    if room is None:
        return True
    text = html.decode('utf-8', errors='replace') if isinstance(html, bytes) else html
    return len(json.dumps(text, ensure_ascii=False).encode('utf-8')) + THREEJS_EVENT_BYTES <= room


def _html_of_others(manager, formatter):
    """Sage's display manager's formatter, with a value that is not Sage's and has HTML of its
    own (`_repr_html_`: a pandas DataFrame, IPython's HTML) shown as that HTML, as display() and
    a last expression show it: `show(df)` typeset the frame's text as a LaTeX array of \\verb
    pieces, its figures padded to Sage's 15 digits."""
    from sage.repl.rich_output.output_catalog import OutputHtml
    from sage.structure.sage_object import SageObject

    def formatted(obj, rich_repr_kwds):
        if not isinstance(obj, SageObject):
            method = _kernel._get_method(obj, '_repr_html_')
            html = _kernel._call_formatter('_repr_html_', method) if method is not None else None
            if isinstance(html, str):
                return manager._backend.plain_text_formatter(obj, **rich_repr_kwds), OutputHtml(html)
        return formatter(obj, rich_repr_kwds)
    return formatted


def _plain_where_latex_fails(manager, formatter):
    """Sage's display manager's formatter, with a value that cannot be typeset shown as its
    text, as with `%display plain`: values are typeset here by default, where Sage's own
    Jupyter shows text, and an R value's LaTeX (Sage's `r('1+1')`) needs R's Hmisc package:
    without it the cell's stderr got "formatter for RElement failed" and R's warnings, above a
    value that was fine as text. An R value is R's text from the start (R's own words, as R's
    console shows it); anything else whose LaTeX fails falls back to its text."""
    from sage.interfaces.r import RElement

    def as_text(obj, rich_repr_kwds):
        preferred = manager.preferences.text
        manager.preferences.text = 'plain'
        try:
            return formatter(obj, rich_repr_kwds)
        finally:
            manager.preferences.text = preferred

    def formatted(obj, rich_repr_kwds):
        if manager.preferences.text != 'latex':
            return formatter(obj, rich_repr_kwds)
        if isinstance(obj, RElement):
            return as_text(obj, rich_repr_kwds)
        try:
            return formatter(obj, rich_repr_kwds)
        except Exception:  # noqa: BLE001 - whatever the object's _latex_ raised
            return as_text(obj, rich_repr_kwds)
    return formatted


def _large_scenes_as_png(formatter):
    """Sage's display manager's formatter, with a 3D scene whose page does not fit (_page_fits())
    drawn as a PNG (Sage's viewer='tachyon') instead."""
    from sage.repl.rich_output.output_catalog import OutputSceneThreejs

    def formatted(obj, rich_repr_kwds):
        plain_text, rich_output = formatter(obj, rich_repr_kwds)
        if isinstance(rich_output, OutputSceneThreejs) and not _page_fits(rich_output.html.get()):
            return formatter(obj, {**rich_repr_kwds, 'viewer': 'tachyon'})
        return plain_text, rich_output
    return formatted


def warm_up():
    """In the fork server: Maxima's start (the first integral) and the first plot (2D and 3D)
    cost a second or more; do them once so that every cell starts after them, with the display
    backend in place and a value typeset through it. GAP too (_start_gap())."""
    import sage.all as sage
    x = sage.var('x')
    sage.integrate(sage.sin(x) ** 2, x)
    sage.plot(sage.sin(x), (x, 0, 1)).matplotlib()
    _display_manager().displayhook(x ** 2 / 2)
    # The first 3D page in a process imports what Sage's surfaces need (scipy.linalg for a
    # sphere's, ~0.3 s; a plot3d's surface code, ~0.4 s): once here, not in every cell.
    y = sage.SR.var('y')
    _display_manager().displayhook(sage.sphere() + sage.plot3d(x * y, (x, 0, 1), (y, 0, 1)))
    _start_gap()


# The memory GAP's collector may reserve for its objects, in the fork server.
GAP_POOL_BYTES = 256 << 20


def _start_gap():
    """Starts GAP (libgap), which Sage's groups use, once in the fork server. Started in a cell,
    it failed: its collector reserves as much of the memory limit as it can get (halving from
    4 GB), leaving the cell nothing, and Sage then saves GAP's workspace, a file past the
    cell's file-size limit ("Error, Cannot write to file"); it took seconds, and left `.gap`
    among the cell's files. Here its reservation is held to GAP_POOL_BYTES (the data limit
    lowered while it starts), and every cell inherits GAP started, its pool counted as the
    fork server's, not against the cell's own limit."""
    import resource
    from sage.libs.gap.libgap import libgap
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    with open('/proc/self/status') as f:
        data = next(int(line.split()[1]) * 1024 for line in f if line.startswith('VmData:'))
    resource.setrlimit(resource.RLIMIT_DATA, (data + GAP_POOL_BYTES, hard))
    try:
        libgap.eval('1')
    except Exception as e:  # noqa: BLE001 - said, and a cell starts GAP itself as before
        print(f'fork server: starting GAP: {e}', file=sys.stderr)
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
