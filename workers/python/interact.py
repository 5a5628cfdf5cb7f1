# Interacts (`@interact`) for Python and Sage cells: controls on the page that run the cell
# again with their values (docs/api.md, "Interacts"). Each run is a fresh cell: `interact`
# shows its controls as one display_data of MIME_TYPE, then calls the function once, with the
# values the page sent for it (kernel.py read them with the code, read_cell()) or with the
# controls' defaults. Nothing is left waiting for the controls to move: the page posts the
# same cell again, with the new values, and its output replaces this one's.
#
# Loaded by kernel.py in every Python worker: in Python cells the names are builtins (the
# cell's own names win), in Sage cells they are in the namespace (sage.py), where Sage's input
# boxes read their text with sage_eval and a colour is a Sage Color (configure()).

import ast
import builtins
import math
import numbers
import re

MIME_TYPE = 'application/vnd.cellbox.interact+json'

# kernel.py, which shows the controls and the function's value (set by install()).
_kernel = None

# The values the page sent for this run, by interact id, and how many interacts it has shown:
# the next one's id.
_values = {}
_shown = 0


def begin(values):
    """A new cell: the values of its interacts (interact id → control name → value), or None."""
    global _values, _shown
    _values = values if isinstance(values, dict) else {}
    _shown = 0


# --- how a dialect reads values ----------------------------------------------------------------

def _literal_eval(text):
    return ast.literal_eval(text)


def _hex_color(default):
    """'#rrggbb' from an (r, g, b) of 0-1 numbers or a '#rgb' / '#rrggbb' string."""
    if isinstance(default, str):
        text = default.strip().lower()
        if re.fullmatch(r'#[0-9a-f]{3}', text):
            return '#' + ''.join(c * 2 for c in text[1:])
        if re.fullmatch(r'#[0-9a-f]{6}', text):
            return text
        raise ValueError(f'a colour is "#rrggbb" or (r, g, b) with each from 0 to 1, not {default!r}')
    try:
        r, g, b = (float(c) for c in default)
    except (TypeError, ValueError):
        raise ValueError(f'a colour is "#rrggbb" or (r, g, b) with each from 0 to 1, not {default!r}') from None
    return '#' + ''.join(f'{round(min(max(c, 0.0), 1.0) * 255):02x}' for c in (r, g, b))


# What the dialect changes (configure()): how an input box's text becomes a value, what the
# function gets for a colour, a colour default's '#rrggbb', which defaults are colours, an
# input box's text for a default that is not text, and a value's label on a slider or a menu.
_evaluate = _literal_eval
_color_value = str
_html_color = _hex_color
_is_color = lambda value: False  # noqa: E731 - Python has no colour type
_text = str
_label_text = str


def configure(evaluate, color_value, html_color, is_color, text=str, label=str):
    """A dialect's reading of values (Sage: sage_eval, Color, sage_input, short reals)."""
    global _evaluate, _color_value, _html_color, _is_color, _text, _label_text
    _evaluate, _color_value, _html_color, _is_color, _text, _label_text = evaluate, color_value, html_color, is_color, text, label


# --- controls ------------------------------------------------------------------------------------
#
# A control is a description: it never changes once made (a cell may pass one to two
# interacts). Its state is the JSON value the page shows and sends back; `take` checks a value
# from the page and gives the state it means (None: ignored, the default is used), `argument`
# gives the function's value for a state.

def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _json_number(value):
    """A number as JSON holds it: int for whole-number types, else float; finite."""
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f'{value!r} is not a finite number')
    return number


def _number(value, what):
    """A slider's bound or step as a number: one of Python's or Sage's, or what float() takes
    (Sage's pi)."""
    if _is_number(value):
        return value
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f'a slider takes a number for {what}, not {value!r}')
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f'a slider takes a number for {what}, not {value!r}') from None


def _label(label):
    return None if label is None else str(label)


class _Control:
    type = None

    def __init__(self, label=None):
        self.label = _label(label)

    def describe(self, state):
        """The control's fields in the bundle, besides name, label, type and value."""
        return {}

    def take(self, value):
        return None

    def start_at(self, value):
        """The state of the function's value `value` (Sage's (default, abbreviation)), or None."""
        return None

    def argument(self, state):
        return state

    def shown(self, state):
        """The state as the text/plain fallback shows it."""
        return repr(self.argument(state))


# Past this many steps a slider's values are no longer whole numbers of steps as a float counts
# them (2^53), and no pointer could tell them apart anyway.
MAX_SLIDER_STEPS = 1e15


class slider(_Control):
    """Sage's slider(vmin, vmax=None, step_size=None, default=None, label=None): a number from
    vmin to vmax in steps of step_size (1 for whole numbers, else a hundredth of the range); or,
    with vmin a list, one of its values."""

    type = 'slider'

    def __init__(self, vmin, vmax=None, step_size=None, default=None, label=None, display_value=True):
        super().__init__(label)
        if not _is_number(vmin) and _iterable(vmin):
            if vmax is not None or step_size is not None:
                raise TypeError('a slider over a list of values takes no vmax or step_size')
            self.values = list(vmin)
            if not self.values:
                raise ValueError('a slider over a list needs at least one value')
            self.labels = [_label_text(v) for v in self.values]
            self.initial = _index_of(self.values, default)
            return
        self.values = None
        if vmax is None:
            raise TypeError('slider() takes vmin and vmax, or a list of values as vmin')
        vmin, vmax = _number(vmin, 'vmin'), _number(vmax, 'vmax')
        whole = isinstance(vmin, numbers.Integral) and isinstance(vmax, numbers.Integral)
        if step_size is None:
            step_size = 1 if whole else (vmax - vmin) / 100
        step_size = _number(step_size, 'step_size')
        if not vmax >= vmin:
            raise ValueError(f'a slider needs vmin ({vmin}) at most vmax ({vmax})')
        if not step_size > 0 and vmax > vmin:
            raise ValueError(f'a slider needs a step_size over 0, not {step_size}')
        self.vmin, self.vmax, self.step = vmin, vmax, step_size if step_size > 0 else 1
        for bound in (vmin, vmax, self.step):
            _json_number(bound)  # finite, or refused here, where the cell made it
        # The last step: the number of whole steps from vmin that stay within vmax.
        steps = float(vmax - vmin) / float(self.step)
        if not steps <= MAX_SLIDER_STEPS:
            raise ValueError(f'a slider of more than {MAX_SLIDER_STEPS:.0e} steps cannot be moved; '
                             f'take a step_size over {float(vmax - vmin) / MAX_SLIDER_STEPS:g}')
        self.steps = max(0, int(math.floor(steps + 1e-9)))
        self.initial = 0 if default is None else self._snap(default)
        if self.initial is None:
            raise TypeError(f'a slider default must be a number, not {default!r}')

    @classmethod
    def around_middle(cls, vmin, vmax, step_size=None):
        """A slider from a (vmin, vmax[, step]) default, starting halfway, as ipywidgets' do."""
        control = cls(vmin, vmax, step_size)
        control.initial = control._snap((float(vmin) + float(vmax)) / 2)
        return control

    def _snap(self, value):
        """The index of the step nearest a number (clamped to the ends), or None."""
        if not _is_number(value) or not math.isfinite(float(value)):
            return None
        index = round((float(value) - float(self.vmin)) / float(self.step))
        return min(max(index, 0), self.steps)

    def _at(self, index):
        value = self.vmin + index * self.step
        if isinstance(value, float):
            value = float(f'{value:.12g}')  # 0.30000000000000004 is 0.3 on the page too
        return value

    def describe(self, state):
        if self.values is not None:
            return {'labels': self.labels}
        return {'min': _json_number(self.vmin), 'max': _json_number(self._at(self.steps)),
                'step': _json_number(self.step)}

    def state(self, index):
        return index if self.values is not None else _json_number(self._at(index))

    def take(self, value):
        if self.values is not None:
            index = _whole(value)
            return index if index is not None and 0 <= index < len(self.values) else None
        return self._snap(value)

    def start_at(self, value):
        if self.values is not None:
            return _position(self.values, value)
        return self._snap(value)

    def argument(self, index):
        return self.values[index] if self.values is not None else self._at(index)

    def shown(self, index):
        return self.labels[index] if self.values is not None else repr(self._at(index))


class range_slider(_Control):
    """Sage's range_slider(vmin, vmax, step_size=1, default=None, label=None): two numbers, lo
    and hi, from vmin to vmax; the function gets (lo, hi)."""

    type = 'range_slider'

    def __init__(self, vmin, vmax, step_size=1, default=None, label=None, display_value=True):
        super().__init__(label)
        self.ends = slider(vmin, vmax, step_size)
        if default is None:
            lo = float(vmin) + (float(vmax) - float(vmin)) / 4
            hi = float(vmin) + 3 * (float(vmax) - float(vmin)) / 4
            self.initial = self._pair([lo, hi])
        else:
            self.initial = self._pair(default)
            if self.initial is None:
                raise TypeError(f'a range_slider default is two numbers (lo, hi), not {default!r}')

    def _pair(self, value):
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            return None
        ends = [self.ends._snap(v) for v in value]
        return None if None in ends else tuple(sorted(ends))

    def describe(self, state):
        return self.ends.describe(None)

    def state(self, pair):
        return [self.ends.state(i) for i in pair]

    def take(self, value):
        return self._pair(value)

    def start_at(self, value):
        return self._pair(value)

    def argument(self, pair):
        return tuple(self.ends.argument(i) for i in pair)

    def shown(self, pair):
        return repr(self.argument(pair))


class _Unreadable(ValueError):
    """An input box's text that does not convert; _run() names the box."""


# The most lines a multi-line input box shows at once (it scrolls past them).
MAX_BOX_LINES = 20


class input_box(_Control):
    """Sage's input_box(default=None, label=None, type=None, width=80, height=1): a line of text,
    or several (height > 1, or a default holding newlines). The function gets the text with
    type=str, else the text evaluated (sage_eval in Sage, a Python literal in Python) and, with
    a type, given to it: type(value). An empty box without a type gives None."""

    type = 'input_box'

    def __init__(self, default=None, label=None, type=None, width=80, height=1):
        super().__init__(label)
        self.convert = type
        self.width = width
        self.initial = '' if default is None else default if isinstance(default, str) else _text(default)
        # Several lines (Sage's height > 1, or a default that has them): a box that keeps its
        # newlines, as many lines high.
        lines = self.initial.count('\n') + 1
        self.height = min(max(int(height) if _is_number(height) else 1, lines if lines > 1 else 1), MAX_BOX_LINES)

    def describe(self, state):
        shape = {'width': int(self.width)} if _is_number(self.width) and self.width > 0 else {}
        return {**shape, 'height': self.height} if self.height > 1 else shape

    def state(self, text):
        return text

    def take(self, value):
        return value if isinstance(value, str) else None

    def start_at(self, value):
        return value if isinstance(value, str) else _text(value)

    def argument(self, text):
        if self.convert is str:
            return text
        if self.convert is None and text.strip() == '':
            return None
        try:
            value = _evaluate(text)
            return value if self.convert is None else self.convert(value)
        except Exception as e:  # noqa: BLE001 - whatever the text was, say which box and why
            # The text quoted short: a page may send up to 64 KiB of it, and the message would
            # carry all of it, twice (the error's value and its traceback).
            quoted = repr(text if len(text) <= 80 else text[:80] + '…')
            cause = str(e)
            cause = cause if len(cause) <= 200 else cause[:200] + '…'
            raise _Unreadable(f'could not read {quoted}: {type(e).__name__}: {cause}') from None

    def shown(self, text):
        return repr(text) if self.convert is str else text


class checkbox(_Control):
    """Sage's checkbox(default=True, label=None): True or False."""

    type = 'checkbox'

    def __init__(self, default=True, label=None):
        super().__init__(label)
        self.initial = bool(default)

    def state(self, value):
        return value

    def take(self, value):
        return value if isinstance(value, bool) else None

    def start_at(self, value):
        return bool(value)


class selector(_Control):
    """Sage's selector(values, label=None, default=None, buttons=False): one of `values`, shown
    as str(value); values may be (value, label) pairs, or a dict of label to value. A drop-down,
    or a row of buttons. Sage's nrows, ncols and width are taken and do nothing here."""

    type = 'selector'

    def __init__(self, values, label=None, default=None, nrows=None, ncols=None, width=None, buttons=False):
        super().__init__(label)
        if isinstance(values, dict):
            pairs = [(value, text) for text, value in values.items()]
        else:
            values = list(values)
            if values and isinstance(values[0], tuple) and len(values[0]) == 2:
                pairs = [(value, text) for value, text in values]
            else:
                pairs = [(value, value) for value in values]
        if not pairs:
            raise ValueError('a selector needs at least one value')
        self.values = [value for value, _ in pairs]
        self.labels = [text if isinstance(text, str) else _label_text(text) for _, text in pairs]
        self.buttons = bool(buttons or nrows is not None or ncols is not None)
        self.initial = _index_of(self.values, default)

    @classmethod
    def over(cls, values):
        """A selector from a list default: labels str(x), the function gets the element."""
        control = cls([(value, value) for value in values])
        return control

    def describe(self, state):
        return {'labels': self.labels, 'buttons': self.buttons}

    def state(self, index):
        return index

    def take(self, value):
        index = _whole(value)
        return index if index is not None and 0 <= index < len(self.values) else None

    def start_at(self, value):
        return _position(self.values, value)

    def argument(self, index):
        return self.values[index]

    def shown(self, index):
        return self.labels[index]


class text_control(_Control):
    """Sage's text_control(value=''): text among the controls; the function gets it."""

    type = 'text'

    def __init__(self, value=''):
        super().__init__(None)
        self.initial = str(value)

    def state(self, text):
        return text


class color_selector(_Control):
    """Sage's color_selector(default=(0, 0, 1), label=None): a colour; the function gets a Sage
    Color in Sage, '#rrggbb' in Python."""

    type = 'color'

    def __init__(self, default=(0, 0, 1), label=None, widget=None, hide_box=False):
        super().__init__(label)
        self.initial = _html_color(default)

    def state(self, text):
        return text

    def take(self, value):
        if isinstance(value, str) and re.fullmatch(r'#[0-9a-fA-F]{6}', value):
            return value.lower()
        return None

    def start_at(self, value):
        try:
            return _html_color(value)
        except Exception:  # noqa: BLE001 - not a colour: the control's own default stays
            return None

    def argument(self, text):
        return _color_value(text)

    def shown(self, text):
        return text


# The most boxes an input grid may have: each is an input on the page, and its text is sent
# back with every run (a page sends at most 64 KiB of values).
MAX_GRID_CELLS = 1000


def _grid_rows(default, nrows, ncols):
    """A grid default as nrows rows of ncols values, by Sage's rules: one value fills the grid,
    a list of lists is the rows, a flat list (or a Sage matrix's or vector's entries) is read
    row by row."""
    if not isinstance(default, (list, tuple)):
        entries = getattr(default, 'list', None)
        if default is not None and callable(entries) and not isinstance(default, (str, bytes)):
            try:
                default = list(entries())  # a Sage matrix or vector: its entries, row by row
            except Exception:  # noqa: BLE001 - not a matrix after all: one value, as Sage takes it
                pass
    if not isinstance(default, (list, tuple)):
        return [[default] * ncols for _ in range(nrows)]
    if default and all(isinstance(row, (list, tuple)) for row in default):
        rows = [list(row) for row in default]
        if len(rows) != nrows or any(len(row) != ncols for row in rows):
            raise ValueError(f'an input_grid of {nrows}×{ncols} takes a default of {nrows} rows of {ncols} values, '
                             f'not {len(rows)} rows of {", ".join(str(len(row)) for row in rows)}')
        return rows
    flat = list(default)
    if len(flat) != nrows * ncols:
        raise ValueError(f'an input_grid of {nrows}×{ncols} takes a flat default of {nrows * ncols} values, not {len(flat)}')
    return [flat[i * ncols:(i + 1) * ncols] for i in range(nrows)]


def _count(value):
    """A whole number at least 1 (Python's or Sage's), as an int; else None."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        return None
    return int(value)


def _is_matrix(value):
    """A Sage matrix (without importing Sage: a Python cell has none)."""
    return all(callable(getattr(value, name, None)) for name in ('nrows', 'ncols', 'list', 'parent'))


class input_grid(_Control):
    """Sage's input_grid(nrows, ncols, default=None, label=None, to_value=None, width=4): a grid
    of boxes, each read as an input box's text is (sage_eval in Sage, a Python literal in
    Python; an empty box is None); the function gets the list of rows, or to_value(rows)
    (`to_value=matrix`). SageNB's type= is given each box's value, as input_box's is."""

    type = 'input_grid'

    def __init__(self, nrows, ncols, default=None, label=None, to_value=None, width=4, type=None):
        super().__init__(label)
        rows, cols = _count(nrows), _count(ncols)
        if rows is None or cols is None:
            raise ValueError(f'an input_grid takes a whole number of rows and of columns, at least 1, not {nrows!r} and {ncols!r}')
        if rows * cols > MAX_GRID_CELLS:
            raise ValueError(f'an input_grid has at most {MAX_GRID_CELLS} boxes, not {rows}×{cols}')
        self.rows, self.cols = rows, cols
        self.to_value = to_value
        self.boxes = input_box(type=type)
        self.width = width
        self.initial = [[value if isinstance(value, str) else _text(value) for value in row]
                        for row in _grid_rows(default, rows, cols)]

    def describe(self, state):
        extra = {'width': int(self.width)} if _is_number(self.width) and self.width > 0 else {}
        return {'rows': self.rows, 'cols': self.cols, **extra}

    def state(self, rows):
        return rows

    def take(self, value):
        if (isinstance(value, list) and len(value) == self.rows
                and all(isinstance(row, list) and len(row) == self.cols and all(isinstance(t, str) for t in row)
                        for row in value)):
            return value
        return None

    def start_at(self, value):
        try:
            return [[t if isinstance(t, str) else _text(t) for t in row] for row in _grid_rows(value, self.rows, self.cols)]
        except ValueError:
            return None

    def argument(self, rows):
        values = []
        for i, row in enumerate(rows):
            values.append([])
            for j, text in enumerate(row):
                try:
                    values[-1].append(self.boxes.argument(text))
                except _Unreadable as e:
                    raise _Unreadable(f'row {i + 1} column {j + 1}: {e}') from None
        return values if self.to_value is None else self.to_value(values)

    def shown(self, rows):
        return '[' + ', '.join('[' + ', '.join(row) + ']' for row in rows) + ']'


def _iterable(value):
    if isinstance(value, (str, bytes, dict)):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _whole(value):
    """A JSON number that is a whole number, as an int; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


def _position(values, wanted):
    """Where `wanted` is among `values` (the first equal one), else None."""
    for index, value in enumerate(values):
        try:
            if value is wanted or value == wanted:
                return index
        except Exception:  # noqa: BLE001 - values of any kind, compared with anything
            continue
    return None


def _index_of(values, default):
    """Where `default` is among `values` (the first equal one), else 0."""
    index = None if default is None else _position(values, default)
    return 0 if index is None else index


# The most values an iterator default (Sage's `(1..10)`) may give: it is read whole, before the
# controls are shown, and one that never ends would otherwise hang the cell until its time limit.
MAX_ITERATOR_VALUES = 10000


def _iterator_values(iterator):
    import itertools
    values = list(itertools.islice(iterator, MAX_ITERATOR_VALUES + 1))
    if len(values) > MAX_ITERATOR_VALUES:
        raise ValueError(f'an iterator default gives a slider of at most {MAX_ITERATOR_VALUES} values; '
                         f'this one gives more (or never ends): take a list, or slider(vmin, vmax, step)')
    return values


def _is_abbreviation(value):
    """Whether a value stands for a control of its own (Sage's (default, abbreviation) form)."""
    import collections.abc
    return isinstance(value, (_Control, tuple, list, dict, range, collections.abc.Iterator))


def _from_default(default):
    """The control a parameter's default means, by Sage's rules."""
    import collections.abc
    if isinstance(default, _Control):
        return default
    if isinstance(default, tuple) and len(default) == 2 and isinstance(default[0], str):
        # Sage's (label, default): the control of the second, shown with the first as its label.
        import copy  # with weakref under it, for the cells that use this alone
        control = copy.copy(_from_default(default[1]))
        control.label = default[0]
        return control
    if isinstance(default, tuple) and len(default) == 2 and _is_abbreviation(default[1]):
        # Sage's (default, abbreviation), as in `q=(-1, (-3, 3))`: the control of the second,
        # starting at the first (where it has that value; else at its own start).
        import copy
        control = copy.copy(_from_default(default[1]))
        start = control.start_at(default[0])
        if start is not None:
            control.initial = start
        return control
    if isinstance(default, tuple) and len(default) in (2, 3) and all(_is_number(v) for v in default):
        return slider.around_middle(*default)
    if isinstance(default, list):
        return selector.over(default)
    if isinstance(default, range):
        return selector.over(list(default))
    if isinstance(default, dict):
        # Sage's and ipywidgets' drop-down of label → value.
        return selector(default)
    if isinstance(default, collections.abc.Iterator):
        # Sage's `(1..10)` and a generator: a slider over the values it gives, as Sage's is.
        return slider(_iterator_values(default))
    if isinstance(default, bool):
        return checkbox(default)
    if isinstance(default, str):
        return input_box(default, type=str)
    if _is_color(default):
        return color_selector(default)
    if _is_matrix(default) and 1 <= default.nrows() * default.ncols() <= MAX_GRID_CELLS:
        # Sage's own interact makes a grid of a matrix's entries, read back into its parent.
        return input_grid(default.nrows(), default.ncols(), default=default.list(), to_value=default.parent())
    if _is_number(default):
        return input_box(default, type=type(default))
    return input_box(default)


# --- interact --------------------------------------------------------------------------------

def interact(function=None, *, auto_update=True, layout=None, manual=None, **controls):
    """Shows controls for the function's parameters, then calls it with their values.
    `@interact`, `@interact(n=(0, 10))` and `interact(f, n=(0, 10))`; a control for each
    parameter from its default (or the keyword's), Sage's rules. `auto_update=False`: the page
    runs the cell on its Update button only. Sage's `layout`: where the controls go around the
    function's output (_layout()).
    Returns the function."""
    if manual is not None:  # ipywidgets' name for it
        auto_update = not manual
    if function is None:
        return lambda f: interact(f, auto_update=auto_update, layout=layout, **controls)
    if not callable(function):
        raise TypeError(f'interact() takes a function, not {function!r}')
    _run(function, auto_update, controls, layout)
    return function


def _parameters(function):
    # inspect (and dis under it) only once a cell calls interact: some 10 ms of imports every
    # other cell, and every zygote's memory, would pay for nothing.
    import inspect
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        return []


LAYOUT_PLACES = ('top', 'bottom', 'left', 'right')


def _layout(layout, names):
    """Sage's layout as the bundle's: {place: rows of control names} for the places of
    LAYOUT_PLACES. `layout` is a dict of place to a list of rows (each a list of names), or a
    list of rows (the top); the controls it does not name go on at the top, one a row."""
    if isinstance(layout, (list, tuple)):
        layout = {'top': layout}
    if not isinstance(layout, dict):
        raise TypeError(f"interact's layout is a dict of 'top', 'bottom', 'left', 'right' to lists of rows "
                        f"of control names, or a list of rows, not {layout!r}")
    unknown_places = [place for place in layout if place not in LAYOUT_PLACES]
    if unknown_places:
        raise ValueError(f"interact's layout has the places {', '.join(map(repr, unknown_places))}; "
                         f"the places are 'top', 'bottom', 'left' and 'right'")
    out, placed, unknown = {}, [], []
    for place in LAYOUT_PLACES:
        rows = layout.get(place)
        if rows is None:
            continue
        if isinstance(rows, str) or not _iterable(rows):
            raise TypeError(f"interact's layout[{place!r}] is a list of rows of control names, not {rows!r}")
        out[place] = []
        for row in rows:
            row = [row] if isinstance(row, str) else list(row) if _iterable(row) else None
            if row is None or not all(isinstance(name, str) for name in row):
                raise TypeError(f"interact's layout[{place!r}] is a list of rows of control names (strings)")
            unknown += [name for name in row if name not in names and name not in unknown]
            placed += row
            if row:
                out[place].append(row)
    if unknown:
        raise ValueError(f"interact's layout names {', '.join(map(repr, unknown))}, which "
                         f"{'is not a control' if len(unknown) == 1 else 'are not controls'} of this interact "
                         f"(its controls: {', '.join(names) or 'none'})")
    twice = sorted({name for name in placed if placed.count(name) > 1})
    if twice:
        raise ValueError(f"interact's layout places {', '.join(map(repr, twice))} more than once")
    rest = [[name] for name in names if name not in placed]
    if rest:
        out['top'] = out.get('top', []) + rest
    return {place: rows for place, rows in out.items() if rows}


def _run(function, auto_update, keyword_controls, layout=None):
    global _shown
    interact_id = str(_shown)
    _shown += 1
    sent = _values.get(interact_id)
    sent = sent if isinstance(sent, dict) else {}

    # (name, control, positional only) in the parameters' order, then the keywords' others.
    made = []
    named = set()
    for parameter in _parameters(function):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in keyword_controls:
            abbreviation = keyword_controls[parameter.name]
        elif parameter.name == 'auto_update' and isinstance(parameter.default, bool):
            # SageNB's way: `def f(n=..., auto_update=False)` is an option, not a control.
            auto_update = parameter.default
            continue
        else:
            abbreviation = parameter.default
        control = input_box() if abbreviation is parameter.empty else _from_default(abbreviation)
        made.append((parameter.name, control, parameter.kind == parameter.POSITIONAL_ONLY))
        named.add(parameter.name)
    for name, abbreviation in keyword_controls.items():
        if name not in named:
            made.append((name, _from_default(abbreviation), False))

    # A layout that names what is not there is the cell's error before anything is shown.
    placed = None if layout is None else _layout(layout, [name for name, _, _ in made])

    states = []
    for name, control, _ in made:
        state = control.take(sent[name]) if name in sent and control.type != 'text' else None
        states.append(control.initial if state is None else state)

    bundle = {
        'id': interact_id,
        'auto_update': bool(auto_update),
        'controls': [
            {'name': name, 'label': control.label if control.label is not None else name,
             'type': control.type, **control.describe(state), 'value': _state_json(control, state)}
            for (name, control, _), state in zip(made, states)
        ],
        **({'layout': placed} if placed is not None else {}),
    }
    title = getattr(function, '__name__', 'function')
    shown = ', '.join(f'{name} = {control.shown(state)}' for (name, control, _), state in zip(made, states)
                      if control.type != 'text')
    plain = f'Interact {title}: {shown} (its controls work on a Cellbox page)'
    _kernel.publish_display_data({MIME_TYPE: bundle, 'text/plain': plain})

    # After the controls are shown: a conversion that fails, or the function's own error, is
    # the cell's error, and the page keeps the controls.
    positional, keywords = [], {}
    for (name, control, positional_only), state in zip(made, states):
        try:
            value = control.argument(state)
        except _Unreadable as e:
            raise ValueError(f'the {"input grid" if control.type == "input_grid" else "input box"} {name}: {e}') from None
        if positional_only:
            positional.append(value)
        else:
            keywords[name] = value
    result = function(*positional, **keywords)
    if result is not None:
        _kernel.display(result)


def _state_json(control, state):
    to_json = getattr(control, 'state', None)
    return to_json(state) if to_json is not None else state


NAMES = {'interact': interact, 'slider': slider, 'range_slider': range_slider, 'input_box': input_box,
         'checkbox': checkbox, 'selector': selector, 'text_control': text_control,
         'color_selector': color_selector, 'input_grid': input_grid}


def install(kernel):
    """In every Python worker: the names as builtins, where a Python cell finds them unless it
    defines its own (a Sage cell has them in its namespace too, from sage.py)."""
    global _kernel
    _kernel = kernel
    for name, value in NAMES.items():
        setattr(builtins, name, value)
