"""YAML text to plain data, with the line of every value, safe against hostile input.

The document is built straight from the parser's events with an explicit stack
(no recursion, no node tree), so every limit is checked before anything big is
built: nesting depth, values reached through aliases (an alias bomb or a
recursive alias is refused within a few events), size, tags, keys. Only the
standard YAML types are built (``str``, ``int``, ``float``, ``bool``, ``null``,
``timestamp``, sequences, mappings; merge keys ``<<``). Numbers with an exponent
and no dot (``1e-3``) are floats, as in YAML 1.2 (PyYAML's YAML 1.1 reads them as text).
"""
from __future__ import annotations

import re
from typing import Optional

import yaml

from .problems import FILE, TOP, Problem, ScenarioError, format_path, show

MAX_BYTES = 10 * 1024 * 1024  # a scenario file (10 MiB); empirical data belongs in a CSV file
MAX_DEPTH = 50  # nested mappings and lists
MAX_ALIAS_VALUES = 100_000  # values reached through aliases, counted as if written out
_MAX_DIGITS = 300  # a longer whole number is junk (and Python refuses int() of 4,300+ digits)

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


# YAML 1.2 floats with an exponent and no dot or no sign in it ("1e-3", "2.5e3"), which YAML 1.1 reads as text.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")


class _Loader(_BASE):
    """The safe loader, plus YAML 1.2 floats such as ``1e-3``."""


class _Dumper(yaml.SafeDumper):
    """The safe dumper that quotes text the loader would read as a float (``"1e3"``)."""


for _cls in (_Loader, _Dumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


def dump_yaml(data) -> str:
    """YAML text that ``read_yaml`` reads back as ``data`` (plain dicts, lists, numbers, text)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


_Y = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_Y + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_ALLOWED_TAGS = "!!str, !!int, !!float, !!bool, !!null, !!timestamp, !!seq, !!map"
_MERGE = _Y + "merge"
# Plain scalars that are certainly decimal numbers take this fast path (same values as
# the resolver gives; a leading zero is YAML 1.1 octal, so it takes the slow path).
_FAST_NUMBER = re.compile(
    r"([-+]?(?:0|[1-9][0-9]{0,%d}))|(?:[-+]?[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
    % (_MAX_DIGITS - 1))
# Characters YAML allows in a stream (YAML 1.1, 5.1); anything else is binary junk.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Lines:
    """The 1-based line of a value and of its items (``children``: dict or list)."""

    __slots__ = ("line", "children")

    def __init__(self, line: int, children=None):
        self.line = line
        self.children = children

    def line_of(self, loc) -> Optional[int]:
        """The line of the value at ``loc`` (keys and indices), or of its nearest known parent."""
        node = self
        for part in loc:
            try:
                child = node.children[part]
            except (KeyError, IndexError, TypeError):
                return node.line
            if not isinstance(child, Lines):
                return child
            node = child
        return node.line


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of a file's bytes; NUL bytes and invalid UTF-8 are refused with their position."""
    if len(data) > MAX_BYTES:
        raise _error(source, FILE, f"the file is larger than the limit of {MAX_BYTES:,} bytes")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise _error(source, FILE, f"a NUL byte at byte {nul} (line {line}): this is binary data, "
                                   "not a YAML text file", line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _error(source, FILE, f"not UTF-8 text: byte 0x{data[err.start]:02x} at byte {err.start} "
                                   f"(line {line}) is not valid UTF-8; save the file as UTF-8", line) from None


def read_yaml(text: str, source: str):
    """(data, Lines) of one YAML document; a ``ScenarioError`` for anything unsafe or malformed."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _error(source, FILE, f"the text is larger than the limit of {MAX_BYTES:,} bytes")
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        i = bad.start()
        line, column = text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
        what = "a NUL character (binary data?)" if bad.group() == "\x00" else \
            f"the control character U+{ord(bad.group()):04X}"
        raise _error(source, FILE, f"{what} on line {line}, column {column}: YAML text may not contain it", line)
    return _Builder(text, source).build()


def _error(source: str, path: str, message: str, line: Optional[int] = None) -> ScenarioError:
    return ScenarioError(source, [Problem(path, message, line)])


class _Container:
    """A mapping or list being built, with its lines and what it is waiting for."""

    __slots__ = ("value", "is_list", "lines", "anchor", "size", "key", "key_line", "merges")

    def __init__(self, value, line: int, anchor):
        self.value = value
        self.is_list = isinstance(value, list)
        self.lines = Lines(line, {} if isinstance(value, dict) else [])
        self.anchor = anchor
        self.size = 1  # values in it, aliases counted as written out
        self.key = None  # mapping: the key whose value comes next
        self.key_line = 0
        self.merges = []  # mapping: mappings merged in with '<<'


class _Builder:
    def __init__(self, text: str, source: str):
        self.loader = _Loader(text)
        self.source = source
        self.stack: list[_Container] = []
        self.anchors: dict = {}  # name -> (value, lines, size)
        self.open_anchors: set = set()
        self.alias_values = 0
        self.root = None

    def build(self):
        try:
            return self._run()
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line = mark.line + 1 if mark else None
            raise _error(self.source, format_path(self._path()) or TOP, f"malformed YAML: {_yaml_what(err, line)}",
                         line) from None
        except yaml.YAMLError as err:
            raise _error(self.source, format_path(self._path()) or TOP, f"malformed YAML: {err}") from None
        finally:
            self.loader.dispose()

    def _run(self):
        documents = 0
        get_event = self.loader.get_event
        stack, fast_number = self.stack, _FAST_NUMBER.fullmatch
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                top = stack[-1] if stack else None
                # The fast path for long lists of plain numbers (rates, empirical values).
                if top is not None and top.is_list and event.tag is None and event.anchor is None \
                        and event.implicit[0] and (number := fast_number(event.value)):
                    text = event.value
                    top.value.append(int(text) if number.lastindex else float(text))
                    top.lines.children.append(event.start_mark.line + 1)
                    top.size += 1
                    continue
                self._scalar(event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._start(event, kind is yaml.MappingStartEvent)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self._fail(event, "more than one YAML document (a second '---'): "
                                            "a scenario file holds exactly one", TOP)
            elif kind is yaml.StreamEndEvent or event is None:
                break
        if documents == 0:
            return None, Lines(1)
        return self.root

    # ------------------------------------------------------------ events
    def _scalar(self, event):
        line = event.start_mark.line + 1
        value, tag = self._scalar_value(event, line)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            self._key(top, value, tag, line)
            return
        self._add(value, line, 1, event.anchor)

    def _scalar_value(self, event, line):
        text, tag = event.value, event.tag
        if tag is None or tag == "!":
            if not event.implicit[0] or tag == "!":  # quoted: always text
                return text, _Y + "str"
            number = _FAST_NUMBER.fullmatch(text)
            if number:
                return (int(text), _Y + "int") if number.lastindex else (float(text), _Y + "float")
            if text.lstrip("+-").isdigit() and len(text) > _MAX_DIGITS:
                raise self._fail(event, f"a whole number of {len(text):,} digits: too long to be a count")
            tag = self.loader.resolve(yaml.ScalarNode, text, event.implicit)
            if tag == _MERGE:
                return text, _MERGE
            if tag not in _SCALAR_TAGS:  # e.g. '=' resolves to !!value, which nothing builds
                tag = _Y + "str"
        elif tag not in _SCALAR_TAGS:
            raise self._fail(event, f"the tag {_short_tag(tag)} is not allowed (only the standard "
                                    f"YAML types: {_ALLOWED_TAGS})")
        if tag == _Y + "str":
            return text, tag
        try:
            return self.loader.yaml_constructors[tag](self.loader, yaml.ScalarNode(tag, text)), tag
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
            raise self._fail(event, f"{show(text)} is not a valid {_short_tag(tag)}") from None

    def _key(self, mapping: _Container, key, tag, line):
        if tag == _MERGE:
            mapping.key, mapping.key_line = _MERGE, line
            return
        if not isinstance(key, str):
            where = format_path(self._path())
            raise _error(self.source, where or TOP,
                         f"a key must be a field name (text), found {show(key)}; quote it if a name "
                         "is meant", line)
        if key in mapping.value:
            raise _error(self.source, format_path(self._path() + (key,)), "key given twice", line)
        mapping.key, mapping.key_line = key, line

    def _start(self, event, is_mapping: bool):
        line = event.start_mark.line + 1
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            kind = "mapping" if is_mapping else "list"
            raise self._fail(event, f"a {kind} used as a key (a complex key, '? ...'): keys must be field names")
        if event.tag is not None and event.tag not in (_Y + ("map" if is_mapping else "seq"), "!"):
            raise self._fail(event, f"the tag {_short_tag(event.tag)} is not allowed (only the standard "
                                    f"YAML types: {_ALLOWED_TAGS})")
        if len(self.stack) >= MAX_DEPTH:
            raise self._fail(event, f"nested deeper than the limit of {MAX_DEPTH} levels of mappings and lists")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Container({} if is_mapping else [], line, event.anchor))

    def _end(self):
        done = self.stack.pop()
        if done.anchor is not None:
            self.open_anchors.discard(done.anchor)
        value = done.value
        if done.merges:
            merged = {}
            for extra in reversed(done.merges):  # the first merged mapping wins, explicit keys win over all
                merged.update(extra)
            merged.update(value)
            value = merged
        self._add(value, done.lines, done.size, done.anchor)

    def _alias(self, event):
        name = event.anchor
        if name in self.open_anchors:
            raise self._fail(event, f"the alias *{name} refers to a value that contains it (a recursive alias)")
        if name not in self.anchors:
            raise self._fail(event, f"the alias *{name} refers to no anchor &{name} defined before it")
        value, _, size = self.anchors[name]
        self.alias_values += size
        if self.alias_values > MAX_ALIAS_VALUES:
            raise self._fail(event, f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (an alias bomb?); "
                                    "write the values out or use fewer aliases", TOP)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            raise self._fail(event, f"an alias (*{name}) used as a key: keys must be field names")
        self._add(value, event.start_mark.line + 1, size, None)

    # ------------------------------------------------------------ building
    def _add(self, value, lines, size: int, anchor):
        if anchor is not None:
            self.anchors[anchor] = (value, lines, size)
        if not self.stack:
            self.root = (value, lines if isinstance(lines, Lines) else Lines(lines))
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
            top.lines.children.append(lines)
            return
        if top.key is _MERGE:
            self._merge(top, value)
        else:
            top.value[top.key] = value
            top.lines.children[top.key] = lines
        top.key = None

    def _merge(self, mapping: _Container, value):
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, dict) for item in items):
            raise _error(self.source, format_path(self._path()) or TOP,
                         "a merge key '<<' needs a mapping or a list of mappings (usually an alias *name)",
                         mapping.key_line)
        mapping.merges.extend(items)

    def _path(self) -> tuple:
        """Where the builder is: keys and indices from the top of the document."""
        path = []
        for container in self.stack:
            if isinstance(container.value, list):
                path.append(len(container.value))
            elif container.key is not None:
                path.append("<<" if container.key is _MERGE else container.key)
        return tuple(path)

    def _fail(self, event, message: str, path: Optional[str] = None) -> ScenarioError:
        where = path or format_path(self._path()) or TOP
        return _error(self.source, where, message, event.start_mark.line + 1)


def _short_tag(tag: str) -> str:
    text = "!!" + tag[len(_Y):] if tag.startswith(_Y) else tag
    return repr(text) if len(text) <= 60 else repr(text[:60] + "…")


def _yaml_what(err: yaml.MarkedYAMLError, line) -> str:
    """The parser's problem, then what it was reading and where that started."""
    what = err.problem or err.context or "cannot parse"
    if err.problem and err.context:
        start = err.context_mark.line + 1 if err.context_mark else None
        where = f" that starts on line {start}" if start and start != line else ""
        what += f" ({err.context}{where})"
    return what
