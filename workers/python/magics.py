# IPython's syntax in a Python cell: `%magic` lines, `%%magic` cells and `!shell` commands, as
# code written for Jupyter (and for SageMathCell, whose kernel is IPython's) has them. A parser
# refuses them; IPython's own transformer turns them into calls of get_ipython(), and Shell
# below answers those calls with the magics a single cell can use. Loaded by kernel.py only for
# a cell that does not parse and has such a line: importing IPython takes some 0.3 s.
import ast
import builtins
import io
import linecache
import os
import re
import shlex
import subprocess
import sys
import time

# The name `%time statement` runs under, in tracebacks: IPython's.
TIMED = '<timed exec>'

# A line IPython would read as a magic or a shell command, or assign what one gives (`files =
# !ls`): nothing else starts a line so. Or one that asks about a name (`len?`, `np.sum??`,
# `?len`): no Python line ends so.
MAGIC_LINE = re.compile(r'^[ \t]*(?:(?:[\w.]+[ \t]*=[ \t]*)?[%!]|\?|[\w.]+\?\??[ \t]*$)', re.M)


def python_of(code):
    """The cell as Python, by IPython's transformer; None where it has no such line or IPython
    is not installed (the parser's error then stands)."""
    if not MAGIC_LINE.search(code):
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    return TransformerManager().transform_cell(code)


try:  # IPython's own, which code written for it may catch (python_of() found IPython)
    from IPython.core.error import UsageError
except ImportError:  # pragma: no cover - only loaded where IPython is
    class UsageError(Exception):
        """A magic used wrongly or not known here (IPython's name for it)."""


def _format_time(seconds):
    """A duration as IPython prints it: 3 significant digits, in s, ms, µs or ns (the largest
    unit in which it reads 1.00 or more once rounded)."""
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f'{int(minutes)}min {rest:.0f}s' if minutes < 60 else f'{int(minutes // 60)}h {int(minutes % 60)}min'
    for unit, scale in (('s', 1.0), ('ms', 1e3), ('µs', 1e6), ('ns', 1e9)):
        if seconds * scale >= 0.9995 or unit == 'ns':
            return f'{seconds * scale:.3g} {unit}'


class Shell:
    """What get_ipython() gives a cell with IPython's syntax: the magics a cell that runs once
    can use, run in the cell's namespace. `kernel` is kernel.py, for display."""

    def __init__(self, kernel, namespace):
        self.kernel = kernel
        self.namespace = namespace
        self.line_magics = {
            'matplotlib': self.matplotlib, 'time': self.time, 'timeit': self.timeit,
            'pwd': lambda line: os.getcwd(), 'cd': self.cd, 'pip': self.pip, 'conda': self.pip,
            'pinfo': self.pinfo, 'pinfo2': lambda line: self.pinfo(line, detail_level=1),
        }
        self.cell_magics = {
            'time': self.time, 'timeit': self.timeit, 'writefile': self.writefile,
            'bash': lambda line, cell: self.script(['bash'], cell), 'sh': lambda line, cell: self.script(['sh'], cell),
            'html': lambda line, cell: self.show('text/html', cell),
            'latex': lambda line, cell: self.show('text/latex', cell),
            'markdown': lambda line, cell: self.show('text/markdown', cell),
            'svg': lambda line, cell: self.show('image/svg+xml', cell),
            'capture': self.capture,
        }

    # --- the calls IPython's transformer writes ---------------------------------------------

    def run_line_magic(self, name, line):
        magic = self.line_magics.get(name)
        if magic is None:
            raise UsageError(f'Line magic function `%{name}` not found. Line magics here: '
                             + ', '.join(f'%{n}' for n in sorted(self.line_magics)) + '.')
        return magic(line)

    def run_cell_magic(self, name, line, cell):
        magic = self.cell_magics.get(name)
        if magic is None:
            raise UsageError(f'Cell magic `%%{name}` not found. Cell magics here: '
                             + ', '.join(f'%%{n}' for n in sorted(self.cell_magics)) + '.')
        return magic(line, cell)

    def system(self, command):
        """`!command`: run by the shell, its output the cell's (the raw descriptors), after what
        the cell printed before it (flushed first, here and for every subprocess below)."""
        self.kernel.flush_streams()
        self.namespace['_exit_code'] = subprocess.run(command, shell=True, stdin=subprocess.DEVNULL).returncode

    def getoutput(self, command):
        """`x = !command`: its output's lines, stderr's included, as IPython gives them."""
        self.kernel.flush_streams()
        result = subprocess.run(command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors='replace')
        return result.stdout.splitlines()

    # --- line magics ------------------------------------------------------------------------

    def matplotlib(self, line):
        """Figures are shown inline here whatever the backend asked for: `%matplotlib inline`,
        the usual line at the top of a notebook's cell, needs nothing more."""
        backend = line.strip()
        if backend not in ('', 'inline'):
            print(f'%matplotlib {backend}: figures are shown inline here, as PNG.', file=sys.stderr)

    def pinfo(self, line, detail_level=0):
        """`name?`, `?name`, `%pinfo name`; `name??` and `%pinfo2 name` add the source: what
        IPython's inspector says of the object, printed where Jupyter opens its pager."""
        name = line.strip()
        found, obj = self._find(name)
        if not found:
            print(f'Object `{name}` not found.')
            return
        from IPython.core.oinspect import Inspector
        text = Inspector(scheme='Neutral')._get_info(obj, name, detail_level=detail_level)['text/plain']
        print(text, end='' if text.endswith('\n') else '\n')

    def _find(self, name):
        """(True, the object) a dotted name stands for in the cell, or (False, None)."""
        first, *rest = name.split('.')
        if first in self.namespace:
            obj = self.namespace[first]
        elif hasattr(builtins, first):
            obj = getattr(builtins, first)
        else:
            return False, None
        for attribute in rest:
            try:
                obj = getattr(obj, attribute)
            except Exception:  # noqa: BLE001 - any error of a property: not found, as IPython says
                return False, None
        return True, obj

    def cd(self, line):
        # Its words as IPython reads them (shlex, quotes taken off, joined by a space): a folder
        # in quotes (`%cd "フォルダ 1"`) was looked for with its quotes.
        try:
            words = shlex.split(line)
        except ValueError:  # an unbalanced quote
            words = line.split()
        path = os.path.expanduser(' '.join(words) or '~')
        os.chdir(path)
        print(os.getcwd())

    def pip(self, line):
        raise UsageError('Cells have no network, so packages cannot be installed from one: '
                         'use the packages this server has.')

    def time(self, line, cell=None):
        """`%time statement` and `%%time`: runs it once and prints the CPU and wall time, as
        IPython does; an expression's value is returned (shown as the cell's result)."""
        import resource
        if cell is not None:
            code, last = self._compile_with_last(cell, first_line=2)
        else:
            # The statement's own name, as IPython's: the magic's line in the cell is not known
            # here, and numbered line 1 of <cell> its traceback quoted the cell's first line.
            linecache.cache[TIMED] = (len(line), None, [line.strip() + '\n'], TIMED)
            code, last = self._compile_with_last(line.strip(), first_line=1, filename=TIMED)
        before, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        try:
            exec(code, self.namespace)
            value = eval(last, self.namespace) if last is not None else None
        finally:
            wall = time.perf_counter() - wall0
            after = resource.getrusage(resource.RUSAGE_SELF)
            user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
            print(f'CPU times: user {_format_time(user)}, sys: {_format_time(system)}, '
                  f'total: {_format_time(user + system)}\nWall time: {_format_time(wall)}')
        return value

    def timeit(self, line, cell=None):
        """`%timeit [-n N] [-r R] [-q] [-o] statement`, and `%%timeit [options] [setup]` over the
        cell: IPython's timing and its line of output. Without -n, the number of loops is the
        first power of 10 that takes 0.2 s, as in IPython."""
        import statistics
        import timeit as timeit_module
        options = {'n': None, 'r': 7, 'q': False, 'o': False}
        rest = line  # what follows the options is the statement, as written
        while option := re.match(r'[ \t]*-(?:([nr])[ \t]*(\d+)|([qo]))(?:[ \t]+|$)', rest):
            if option.group(1):
                options[option.group(1)] = int(option.group(2))
            else:
                options[option.group(3)] = True
            rest = rest[option.end():]
        if options['n'] == 0 or options['r'] == 0:
            raise UsageError('%timeit: -n and -r take a number of at least 1')
        statement, setup = (cell, rest or 'pass') if cell is not None else (rest, 'pass')
        if not statement.strip():
            raise UsageError('%timeit needs a statement to time')
        timer = timeit_module.Timer(statement, setup, globals=self.namespace)
        number = options['n']
        if number is None:
            number = 1
            while True:
                took = timer.timeit(number)
                if took >= 0.2 or number >= 10 ** 9:
                    break
                number *= 10
        runs = [t / number for t in timer.repeat(options['r'], number)]
        mean = statistics.fmean(runs)
        spread = statistics.pstdev(runs) if len(runs) > 1 else 0.0
        if not options['q']:
            loops = f'{number:,} loop{"s" if number != 1 else ""} each'
            print(f'{_format_time(mean)} ± {_format_time(spread)} per loop '
                  f'(mean ± std. dev. of {options["r"]} run{"s" if options["r"] != 1 else ""}, {loops})')
        if options['o']:
            return TimeitResult(runs, number, mean, spread)
        return None

    # --- cell magics ------------------------------------------------------------------------

    def writefile(self, line, cell):
        """`%%writefile [-a] name`: the cell's text into a file (in the cell's directory, a
        file of the cell's, listed with its output), as IPython writes it."""
        # Split as IPython splits a magic's arguments (shlex, quotes kept): a name in quotes may
        # hold spaces (`%%writefile "ノート 1.txt"`), which split on whitespace was a UsageError.
        try:
            words = shlex.split(line, posix=False)
        except ValueError:  # an unbalanced quote
            words = line.split()
        append = bool(words) and words[0] in ('-a', '--append')
        if append:
            words = words[1:]
        if len(words) != 1:
            raise UsageError('%%writefile [-a] <file name>')
        name = words[0]
        if len(name) >= 2 and name[0] == name[-1] and name[0] in '"\'':
            name = name[1:-1]
        name = os.path.expanduser(name)
        exists = os.path.exists(name)
        print(f'{"Appending to" if append else "Overwriting" if exists else "Writing"} {name}')
        with open(name, 'a' if append else 'w', encoding='utf-8') as f:
            f.write(cell)

    def script(self, command, cell):
        self.kernel.flush_streams()
        subprocess.run(command, input=cell.encode())

    def show(self, mime, cell):
        self.kernel.publish_display_data({mime: cell})

    def capture(self, line, cell):
        """`%%capture [name]`: runs the cell with its printed output kept in `name` (its
        .stdout and .stderr), not shown."""
        name = line.strip()
        captured = CapturedIO()
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = captured._stdout, captured._stderr
        try:
            code, _ = self._compile(cell, first_line=2, expression=False)
            exec(code, self.namespace)
        finally:
            sys.stdout, sys.stderr = streams
            if name:
                self.namespace[name] = captured

    # --- helpers ----------------------------------------------------------------------------

    def _compile_with_last(self, source, first_line, filename=None):
        """The code, and its last statement apart where it is an expression, compiled to give
        its value: `%%time` shows the value of the cell's last line, as IPython does."""
        filename = filename or self.kernel.CELL
        tree = _parse(source, filename, first_line)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = compile(ast.Expression(tree.body.pop().value), filename, 'eval')
        return compile(tree, filename, 'exec'), last

    def _compile(self, source, first_line, expression=True):
        """Compiled in the cell's name, its lines numbered as in the cell; an expression alone
        is compiled to give its value."""
        tree = _parse(source, self.kernel.CELL, first_line)
        if expression and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            return compile(ast.Expression(tree.body[0].value), self.kernel.CELL, 'eval'), True
        return compile(tree, self.kernel.CELL, 'exec'), False


def _parse(source, filename, first_line):
    """The syntax tree of code that starts on line `first_line` of `filename`. Its SyntaxError
    is numbered so too, and has no frame of ast.py's, which would only be the worker's."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        for attribute in ('lineno', 'end_lineno'):
            if getattr(error, attribute, None) is not None:
                setattr(error, attribute, getattr(error, attribute) + first_line - 1)
        raise error.with_traceback(None)
    ast.increment_lineno(tree, first_line - 1)
    return tree


class TimeitResult:
    """What `%timeit -o` returns: the loop times of each run, as IPython's object has them."""

    def __init__(self, timings, loops, average, stdev):
        self.timings = timings
        self.loops = loops
        self.repeat = len(timings)
        self.average = average
        self.stdev = stdev
        self.best = min(timings)
        self.worst = max(timings)

    def __repr__(self):
        return f'<TimeitResult : {_format_time(self.average)} ± {_format_time(self.stdev)} per loop>'


class CapturedIO:
    """What `%%capture name` keeps: the text the cell printed, and show() to print it."""

    def __init__(self):
        self._stdout = io.StringIO()
        self._stderr = io.StringIO()

    @property
    def stdout(self):
        return self._stdout.getvalue()

    @property
    def stderr(self):
        return self._stderr.getvalue()

    def show(self):
        sys.stdout.write(self.stdout)
        sys.stderr.write(self.stderr)

    __call__ = show
