# The Sage dialect of the Python worker (CELLBOX_DIALECT=sage): the cell is Sage code, read
# through Sage's preparser (`2^64` is a power, `1/3` a rational), run with everything of
# `sage.all` in its namespace; Sage values are shown as typeset math, plots as images, and
# `show()` displays inline. Loaded by kernel.py, which keeps the rest (streams, files, errors).
#
# Importing `sage.all` takes seconds: a fork server preloads it (see the `sage` language in the
# config), and warm_up() below does the first symbolic computation and plot once, there.
import os

LANGUAGE = 'sage'


def version():
    from sage.version import version
    return version


def install(kernel):
    """Registers the formatters for Sage's values with the kernel; imports nothing heavy."""
    kernel.FORMATTERS['sage.plot.graphics.Graphics'] = lambda g: _graphics_bundle(kernel, g)
    kernel.FORMATTERS['sage.plot.multigraphics.MultiGraphics'] = lambda g: _graphics_bundle(kernel, g)
    kernel.FORMATTERS['sage.structure.sage_object.SageObject'] = _math_bundle


def preparse(code):
    from sage.repl.preparse import preparse as sage_preparse
    return sage_preparse(code)


def prepare_namespace(kernel, namespace):
    """Everything `from sage.all import *` gives, and a `show` that displays in the cell."""
    import sage.all
    namespace.update((k, v) for k, v in vars(sage.all).items() if not k.startswith('__'))
    # As in Sage's own shell: `x` is a symbolic variable from the start.
    namespace['x'] = sage.all.SR.var('x')

    def show(*objects, **options):
        """Shows each object in the cell's output: plots as images, anything else as math."""
        for obj in objects:
            kernel.display(obj)

    namespace['show'] = show
    # A plot's own .show() (and plot(...).show()) displays inline too.
    from sage.plot.graphics import Graphics
    from sage.plot.multigraphics import MultiGraphics
    for cls in (Graphics, MultiGraphics):
        cls.show = lambda self, **options: kernel.display(self)


def warm_up():
    """In the fork server: Maxima's start (the first integral) and the first plot cost a second
    or more; do them once so that every cell starts after them."""
    import sage.all as sage
    x = sage.var('x')
    sage.integrate(sage.sin(x) ** 2, x)
    sage.plot(sage.sin(x), (x, 0, 1)).matplotlib()


def _math_bundle(obj):
    from sage.misc.latex import latex
    return {'text/latex': f'$${latex(obj)}$$'}


def _graphics_bundle(kernel, graphics):
    """A Sage plot as PNG, drawn through matplotlib like any figure of the cell."""
    path = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'cellbox-sage-plot.png')
    graphics.save(path)
    with open(path, 'rb') as f:
        png = f.read()
    os.unlink(path)
    width, height = kernel._png_size(png)
    return ({'image/png': png, 'text/plain': repr(graphics)},
            {'image/png': {'width': width, 'height': height}})
