# Cellbox HTML language worker: shows the cell's code as HTML, as SageMathCell's html mode does.
#
# Started as `python3 -I -S kernel.py` (see workers/protocol.ts for the contract). The cell's
# code is one `display_data` of `text/html` (the page sanitises it, as any cell's HTML), with the
# code itself as its `text/plain`, for clients that show no HTML. Math is marked as SageMathCell's
# html mode marks it (Sage's html(), `math_parse`): `$$…$$` is displayed math, `$…$` inline math,
# `\$` a dollar sign; here they become `\[…\]` and `\(…\)`, which the page typesets in HTML.
#
# A worker in a sandbox, as every language's, though it runs nothing: the cell then goes the
# way every cell goes (the queue, its messages in the one order, `execute_input` first, the
# output limit counting its HTML, Stop, the /execute API), with nothing the web app or the
# device does for this language alone. Its cost is a small Python's start, made ahead in the pool.
import json
import os
import re
import sys

EVENT_FD = 3

# What the page leaves out of a cell's HTML (embed/render.ts, SANITIZE: DOMPurify's FORBID_TAGS,
# and what DOMPurify drops itself), which shows nothing of it: a web course's
# `<button onclick="…">`, `<form>` or `<script>` came out as a blank, or as a label without its
# input, with no word of why. `base` and `meta` show nothing anyway, and go unsaid.
LEFT_OUT_TAGS = ('script', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select',
                 'frame', 'frameset', 'link')
_COMMENT = re.compile(r'<!--.*?(?:-->|$)', re.S)
_TAG = re.compile(r'<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>?')
_ATTRIBUTE = re.compile(r'([^\s"\'>/=]+)(?:\s*=\s*("[^"]*"|\'[^\']*\'|[^\s"\'>]+))?')
_SCRIPT_URL = re.compile(r'^[\x00-\x20]*javascript:', re.I)


def left_out(code: str) -> list[str]:
    """What of the cell's HTML the page will not show, in the order it first comes: `<script>`, `onclick`, …"""
    found: list[str] = []
    for tag in _TAG.finditer(_COMMENT.sub('', code)):
        name = tag.group(1).lower()
        names = [f'<{name}>'] if name in LEFT_OUT_TAGS else []
        for attribute in _ATTRIBUTE.finditer(tag.group(2)):
            key, value = attribute.group(1).lower(), (attribute.group(2) or '').strip('"\'')
            if key.startswith('on') and len(key) > 2:
                names.append(key)
            elif _SCRIPT_URL.match(value):
                names.append('javascript: links')
        found += [n for n in names if n not in found]
    return found


def left_out_note(code: str) -> str:
    """A line for stderr naming what the page leaves out of this cell's HTML, or ''."""
    found = left_out(code)
    if not found:
        return ''
    return ("Note: a cell's HTML is shown without scripts, event handlers, forms and their controls, frames, "
            f"embedded objects or linked stylesheets; left out here: {', '.join(found)}\n")


def math_marked(text: str) -> str:
    """`$$x$$` → `\\[x\\]`, `$x$` → `\\(x\\)`, `\\$` → `$`; a `$` left open stays as it is."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '\\' and text.startswith('$', i + 1):
            out.append('$')
            i += 2
            continue
        if c == '$':
            display = text.startswith('$$', i)
            mark = '$$' if display else '$'
            end = _closing(text, mark, i + len(mark))
            if end >= 0:
                inner = text[i + len(mark):end]
                out.append(('\\[' + inner + '\\]') if display else ('\\(' + inner + '\\)'))
                i = end + len(mark)
                continue
            out.append(mark)
            i += len(mark)
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def _closing(text: str, mark: str, start: int) -> int:
    """Where `mark` closes math opened before `start`: not after a backslash; -1 if nowhere."""
    i = text.find(mark, start)
    while i >= 0 and text[i - 1] == '\\':
        i = text.find(mark, i + 1)
    return i


def main() -> None:
    os.closerange(EVENT_FD + 1, 1024)  # what the device left open above the event pipe
    events = os.fdopen(EVENT_FD, 'w', encoding='utf-8')

    def emit(event: dict) -> None:
        events.write(json.dumps(event, ensure_ascii=False) + '\n')
        events.flush()

    # HTML has no version of its own to list: the one it is written in, as the browser reads it.
    emit({'type': 'ready', 'language': 'html', 'version': '5'})
    code = sys.stdin.buffer.read().decode('utf-8', 'replace').removeprefix('\ufeff')
    if code.strip():
        emit({'type': 'display_data', 'data': {'text/html': math_marked(code), 'text/plain': code}, 'metadata': {}})
        note = left_out_note(code)
        if note:
            emit({'type': 'stream', 'name': 'stderr', 'text': note})
    emit({'type': 'done', 'status': 'ok'})


if __name__ == '__main__':
    main()
