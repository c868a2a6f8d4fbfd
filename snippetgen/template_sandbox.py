"""The Jinja sandbox every snippet template runs in: no Python internals, bounded time and memory.

A template is text from a repository anyone may send a pull request to, and ``check`` renders it on
CI machines that hold real keys. So templates run in Jinja's ``ImmutableSandboxedEnvironment`` (no
attribute starting with ``_``, no mutation of lists and dicts, no unsafe callables) with limits of
our own on top:

* **static refusal**: :func:`unsafe_constructs` finds what touches internals in the parsed template
  (``x.__class__``, ``x['__globals__']``, ``x | attr('_private')``, ``gi_frame``...), so such a
  template is an error at its line and never runs; the sandbox stops the dynamic forms at run time;
* **nesting**: a template nested deeper than :data:`MAX_NESTING` (brackets and blocks) or whose
  syntax tree is deeper than :data:`MAX_TREE_DEPTH` is a syntax error at its line, before Jinja's
  recursive parser and compiler could exhaust the stack;
* **size**: no value a template builds and no rendered output may exceed :data:`MAX_TEXT`
  characters (items, for containers): the operators and calls that can grow a value
  (``'x' * n``, ``s ~ s``, ``'%9999999d' % 1``, ``'{:>9999999}'.format(1)``, ``s.center(n)``,
  ``s | indent(n)``, ``s.replace('', t)``, ``n.to_bytes(m)``, ``l + l``, ``2 ** n``...) are checked
  *before* they allocate;
* **time**: loop iterations and calls are counted (at most :data:`MAX_STEPS` a render) and a render
  past :data:`MAX_SECONDS` stops at its next step; Jinja's sandbox caps each ``range`` at 100,000.

Each limit raises :class:`TemplateLimitError`; :mod:`snippetgen.render` turns it into an error at the
template line.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
    SandboxedFormatter,
)
from jinja2.utils import Namespace, generate_lorem_ipsum

MAX_TEXT = 1_000_000
"""Largest value (characters, or items of a list or mapping) a template may build or output."""
MAX_STEPS = 200_000
"""Loop iterations plus calls (functions, methods, macros, filters) of one render."""
MAX_SECONDS = 10.0
"""Wall-clock time one render may take (checked at each step)."""
MAX_NESTING = 32
"""Deepest nesting of brackets and block tags (``{% if %}``, ``{% for %}``...) in a template."""
MAX_TREE_DEPTH = 64
"""Deepest syntax tree of a template (``a + b + c ...`` and ``x | f | f ...`` chains count)."""
MAX_LOOP_NESTING = 16
"""Deepest nesting of ``{% for %}`` loops (Python compiles at most 20 nested blocks)."""

INTERNAL_ATTRIBUTES = frozenset(
    {"mro", "func_globals", "func_code", "f_globals", "f_locals", "f_back", "tb_frame", "tb_next"}
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
)
"""Attribute names that only reach into the interpreter (besides every name starting with ``_``)."""

_BLOCK_OPEN = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape", "trans"})
_BLOCK_CLOSE = frozenset(f"end{name}" for name in _BLOCK_OPEN)


@dataclass(frozen=True)
class Unsafe:
    line: int
    message: str


class TemplateLimitError(jinja2.TemplateRuntimeError):
    """A template went past one of the limits of this module (size, steps, time)."""

    def __init__(self, message: str, lineno: int = 0):
        super().__init__(message)
        self.lineno = lineno


# --- limits of one render ------------------------------------------------------------------------


@dataclass
class Budget:
    """What one render may still spend."""

    steps: int = MAX_STEPS
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    _since_clock: int = 0

    def tick(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise TemplateLimitError(
                f"the template takes more than {MAX_STEPS:,} steps (loop iterations and calls)"
            )
        self._since_clock += n
        if self._since_clock >= 512:
            self._since_clock = 0
            if time.monotonic() > self.deadline:
                raise TemplateLimitError(f"the template took longer than {MAX_SECONDS:g} s to render")


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("snippetgen_budget", default=None)


def _budget() -> Budget:
    """The running render's budget; outside a render (Jinja folds constants while compiling) a fresh
    one, so the size checks hold there too."""
    return _BUDGET.get() or Budget()


def render_bounded(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """Render with a fresh budget; the output may not exceed :data:`MAX_TEXT` characters.

    Exceptions come from the template's own code (not rewritten by Jinja), so
    :func:`template_line` can map them to a template line.
    """
    token = _BUDGET.set(Budget())
    try:
        parts: list[str] = []
        size = 0
        generator: Any = template.root_render_func(template.new_context(dict(variables)))
        for part in generator:
            size += len(part)
            if size > MAX_TEXT:
                frame = generator.gi_frame
                line = template.get_corresponding_lineno(frame.f_lineno) if frame else 0
                raise TemplateLimitError(
                    f"the rendered example would be longer than {MAX_TEXT:,} characters", line
                )
            parts.append(part)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)


def template_line(exc: BaseException, template: jinja2.Template) -> int:
    """Template line of the innermost frame of the template's code in ``exc``'s traceback (0 if none)."""
    line = getattr(exc, "lineno", 0) or 0
    if line:
        return int(line)
    code = getattr(template.root_render_func, "__code__", None)
    filename = code.co_filename if code is not None else "<template>"
    tb = exc.__traceback__
    found = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return found


# --- measuring values without printing them ------------------------------------------------------


_CONTAINERS: tuple[type, ...] = (
    Mapping,
    list,
    tuple,
    set,
    frozenset,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)


def measure(value: Any, limit: int = MAX_TEXT) -> int:
    """About how many characters ``str(value)`` has (items count too); stops early past ``limit``.

    Iterative, visits each object once and at most about ``limit`` of them, so a shared 1 MB string
    referenced by 100,000 list items costs two visits, not 100 GB of printing.
    """
    total = 0
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item) + 2
        elif item is None or isinstance(item, bool | float):
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, range):
            total += len(item) * 2
        elif isinstance(item, jinja2.Undefined):
            pass
        elif isinstance(item, Namespace):
            stack.append(object.__getattribute__(item, "_Namespace__attrs"))
        elif isinstance(item, _CONTAINERS):
            if id(item) in seen:
                continue
            seen.add(id(item))
            total += 2
            if isinstance(item, Mapping):
                for key, sub in itertools.islice(item.items(), limit + 1):
                    total += 2
                    stack.append(key)
                    stack.append(sub)
                    if total > limit:
                        return limit + 1
            else:
                for sub in itertools.islice(cast(Iterable[Any], item), limit + 1):
                    total += 2
                    stack.append(sub)
                    if total > limit:
                        return limit + 1
        else:
            total += 16
        if total > limit:
            return limit + 1
    return total


def _fits(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise TemplateLimitError(f"{what} would be longer than {MAX_TEXT:,} characters")


def _size(value: Any) -> int:
    return measure(value, MAX_TEXT)


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --- growth checks for the operations that can make a value much larger than their inputs --------

_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?[a-zA-Z%]?$", re.S)


def _check_percent(fmt: Any, args: Any) -> None:
    """``fmt % args`` (and the ``format`` filter): widths, precisions and what is substituted."""
    if not isinstance(fmt, str | bytes):
        if isinstance(fmt, int) and isinstance(args, int):
            return
        return
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    values = list(args) if isinstance(args, tuple) else [args]
    ints = [_as_int(v) for v in values]
    biggest = max((_size(v) for v in values), default=0)
    if isinstance(args, Mapping):
        biggest = _size(args)
    total = len(text)
    for match in _PERCENT.finditer(text):
        for number in match.group(1, 2):
            if number == "*":
                total += max(ints, default=0)
            elif number:
                total += int(number[:8])
        total += biggest
        _fits(total, "the formatted text")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox, refusing field widths and results past :data:`MAX_TEXT`."""

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _SPEC.match(format_spec)
        if match is None:
            raise TemplateLimitError(f"unsupported format spec {format_spec[:40]!r}")
        for number in match.groups():
            if number:
                _fits(int(number[:8]), "a formatted field")
        _fits(_size(value), "a formatted field")
        text = super().format_field(value, format_spec)
        self._total += len(text)
        _fits(self._total, "the formatted text")
        return text


def _check_method(bound: Any, args: tuple, kwargs: dict) -> tuple:
    """Growth checks for methods a template may call on strings, bytes and integers; the arguments
    to call it with (an iterable given to ``join`` is read once, here)."""
    owner = getattr(bound, "__self__", None)
    name = getattr(bound, "__name__", "")
    if isinstance(owner, str | bytes | bytearray):
        n = len(owner)
        first = args[0] if args else None
        if name in ("center", "ljust", "rjust", "zfill"):
            _fits(_as_int(first), f"{name}() of a string")
        elif name == "expandtabs":
            tab = _as_int(first if args else kwargs.get("tabsize", 8))
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            _fits(n + tabs * tab, "expandtabs()")
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            count = _as_int(args[2]) if len(args) > 2 else -1
            if isinstance(old, str | bytes) and isinstance(new, str | bytes):
                hits = (n + 1) if not old else owner.count(old)  # type: ignore[arg-type]
                hits = min(hits, count) if count >= 0 else hits
                _fits(n + hits * max(len(new) - len(old), 0), "replace()")
        elif name == "join":
            items = list(itertools.islice(args[0], MAX_TEXT + 1)) if args else []
            _fits(len(items), "join()")
            _fits(sum(_size(i) for i in items) + n * len(items), "join()")
            args = (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((_size(v) for v in args[0].values()), default=1)
            _fits(n * max(longest, 1), "translate()")
    elif isinstance(owner, int) and name == "to_bytes":
        _fits(_as_int(args[0] if args else kwargs.get("length", 1)), "to_bytes()")
    return args


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                _fits(len(seq) * max(times, 0), "a repeated value")
                _fits(_size(seq) * max(times, 0), "a repeated value")
        if isinstance(left, int) and isinstance(right, int):
            _fits((left.bit_length() + right.bit_length()) // 3, "a product")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _fits(left.bit_length() * right // 3, "a power")
    elif operator == "+":
        if isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple):
            _fits(len(left) + len(right), "a sum")
    elif operator == "%":
        _check_percent(left, right)


# --- filters: every one counted and size-checked, the growing ones checked before they run --------


def _check_filter(name: str, value: Any, args: tuple, kwargs: dict) -> Any:
    """Growth checks for the filters that can make a value much larger than their input; the value
    to call the filter with (an iterable given to ``join`` is read once, here)."""

    def arg(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    length = len(value) if isinstance(value, str) else _size(value)
    if name == "center":
        _fits(_as_int(arg(0, "width", 80)), "center()")
    elif name == "indent":
        width = arg(0, "width", 4)
        pad = len(width) if isinstance(width, str) else _as_int(width)
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        _fits(length + lines * pad, "indent()")
    elif name == "wordwrap":
        wrap = arg(2, "wrapstring") or "\n"
        width = max(_as_int(arg(0, "width", 79)), 1)
        _fits(length + (length // width + 1) * len(str(wrap)), "wordwrap()")
    elif name == "replace":
        old, new = arg(0, "old"), arg(1, "new")
        if isinstance(value, str) and isinstance(old, str) and isinstance(new, str):
            _check_method(value.replace, (old, new, _as_int(arg(2, "count", -1)) or -1), {})
    elif name == "format":
        _check_percent(value, tuple(args) if args else kwargs)
    elif name == "batch":
        if arg(1, "fill_with") is not None:
            _fits(_as_int(arg(0, "linecount")), "batch()")
    elif name == "slice":
        _fits(_as_int(arg(0, "slices")), "slice()")
    elif name in ("tojson", "json"):
        indent = arg(0, "indent")
        if isinstance(indent, int) and indent > 16:
            raise TemplateLimitError(f"{name}() indent {indent} is larger than 16")
    elif name == "join" and not isinstance(value, str | Mapping):
        items = list(itertools.islice(value, MAX_TEXT + 1))
        _fits(len(items), "join()")
        separator = arg(0, "d", "")
        _fits(sum(_size(i) for i in items) + len(items) * _size(separator), "join()")
        return items
    return value


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` counted as a step, refused when it would grow past :data:`MAX_TEXT`, its result
    measured."""
    pass_arg = jinja2.utils._PassArg.from_obj(func)
    skip = 1 if pass_arg is not None else 0

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        if len(args) > skip:
            value = _check_filter(name, args[skip], args[skip + 1 :], kwargs)
            args = (*args[:skip], value, *args[skip + 1 :])
        result = func(*args, **kwargs)
        if not isinstance(result, Iterator):
            _fits(_size(result), f"the result of | {name}")
        return result

    return guarded


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's ``lipsum`` with at most 20 paragraphs of at most 200 words."""
    n, min, max = (_as_int(v) for v in (n, min, max))
    if not (0 <= n <= 20 and 0 < min <= max <= 200):
        raise TemplateLimitError("lipsum() takes at most 20 paragraphs of at most 200 words")
    return generate_lorem_ipsum(n, html, min, max)


# --- the environment -----------------------------------------------------------------------------


def _prepare(tree: nodes.Template) -> tuple[int, list[Unsafe]]:
    """One iterative pass over a parsed template: the line of the first node deeper than
    :data:`MAX_TREE_DEPTH` (0 if none), what reaches into Python internals, and the loops and ``~``
    joins rerouted through :meth:`BoundedEnvironment.sg_iter` / :meth:`BoundedEnvironment.sg_concat`
    so they are counted and size-checked."""
    unsafe: list[Unsafe] = []
    stack: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            return getattr(node, "lineno", 0) or 1, unsafe
        name = _internal_name(node)
        if name is not None:
            unsafe.append(
                Unsafe(
                    node.lineno,
                    f"the template reads {name!r}, an internal attribute: templates run in a sandbox "
                    "that refuses Python internals",
                )
            )
        if isinstance(node, nodes.For) and not _is_hook(node.iter):
            node.iter = _hook("sg_iter", [_reroute(node.iter, stack, depth)], node.iter.lineno)
        for slot in node.fields:
            value = getattr(node, slot, None)
            if isinstance(value, nodes.Node):
                if slot == "iter" and isinstance(node, nodes.For):
                    continue  # queued above, before it was wrapped
                setattr(node, slot, _reroute(value, stack, depth))
            elif isinstance(value, list):
                value[:] = [
                    _reroute(item, stack, depth) if isinstance(item, nodes.Node) else item for item in value
                ]
    return 0, sorted(unsafe, key=lambda u: u.line)


def _reroute(child: nodes.Node, stack: list[tuple[nodes.Node, int]], depth: int) -> nodes.Node:
    """Queue ``child`` for the walk; a ``~`` join comes back as a call of ``sg_concat``."""
    stack.append((child, depth + 1))
    if isinstance(child, nodes.Concat):
        return _hook("sg_concat", [nodes.List(child.nodes, lineno=child.lineno)], child.lineno)
    return child


def _internal_name(node: nodes.Node) -> str | None:
    """The attribute name ``node`` reads when it is an internal one (``__class__``, ``gi_frame``)."""
    name = None
    if isinstance(node, nodes.Getattr):
        name = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        name = node.arg.value if isinstance(node.arg.value, str) else None
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        arg = node.args[0]
        name = arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None
    if name is not None and (name.startswith("_") or name in INTERNAL_ATTRIBUTES):
        return name
    return None


def _hook(name: str, args: list[Any], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None, lineno=lineno)


def _is_hook(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.EnvironmentAttribute)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the limits of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any):
        super().__init__(finalize=self._finalize, **options)
        self.globals["lipsum"] = _lipsum

    # Every filter registered on this environment is guarded, also ones added later.
    def guard_filters(self) -> None:
        for name, func in list(self.filters.items()):
            if not getattr(func, "_sg_guarded", False):
                guarded = _guard_filter(name, func)
                guarded._sg_guarded = True  # type: ignore[attr-defined]
                self.filters[name] = guarded

    @staticmethod
    def _finalize(value: Any) -> Any:
        if not isinstance(value, str):
            _fits(_size(value), "a printed value")
        return value

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if _might_nest(source):
            check_nesting(self, source)
        try:
            tree = super()._parse(source, name, filename)
        except (RecursionError, MemoryError):
            raise _too_deep(_busiest_line(self, source)) from None
        line, unsafe = _prepare(tree)
        if line:
            raise _too_deep(line)
        tree.sg_unsafe = unsafe  # type: ignore[attr-defined]
        return tree

    def _compile(self, source: str, filename: str) -> types.CodeType:
        try:
            return super()._compile(source, filename)
        except (RecursionError, MemoryError, SyntaxError) as exc:
            raise jinja2.TemplateSyntaxError(
                f"the template nests too deeply to compile ({type(exc).__name__})", 1
            ) from None

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        args = _check_method(__obj, args, kwargs)
        for value in itertools.chain(args, kwargs.values()):
            _fits(_size(value), "an argument")
        result = super().call(__context, __obj, *args, **kwargs)
        if not isinstance(result, Iterator | jinja2.runtime.Macro):
            _fits(_size(result), "the result of a call")
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` / ``format_map`` through :class:`_BoundedFormatter`."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        is_map = value.__name__ == "format_map"
        formatter = _BoundedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return str(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    # Called from the instrumented templates (see _Instrument).
    def sg_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        budget = _budget()
        for item in iterable:
            budget.tick()
            yield item

    def sg_concat(self, items: list[Any]) -> str:
        _fits(sum(len(i) if isinstance(i, str) else _size(i) for i in items), "the joined text (~)")
        return "".join(str(i) for i in items)


# --- static checks -------------------------------------------------------------------------------


def _too_deep(line: int) -> jinja2.TemplateSyntaxError:
    return jinja2.TemplateSyntaxError(
        f"the template nests more than {MAX_NESTING} levels deep (brackets, blocks or operator "
        "chains); split it up",
        line or 1,
    )


_BRACKETS = re.compile(r"[(\[{]|[)\]}]")


def _might_nest(source: str) -> bool:
    """A cheap bound: False when the source cannot nest past :data:`MAX_NESTING` (too few block
    tags, and brackets never that deep even counting the text between tags)."""
    if source.count("{%") > MAX_NESTING:
        return True
    depth = 0
    for match in _BRACKETS.finditer(source):
        depth += 1 if match.group() in "([{" else -1
        if depth > MAX_NESTING:
            return True
    return False


def check_nesting(env: jinja2.Environment, source: str) -> None:
    """Refuse a template nested deeper than :data:`MAX_NESTING` before Jinja's recursive parser
    sees it (raises ``TemplateSyntaxError`` at the line where it gets too deep)."""
    depth = loops = 0
    in_block = False
    first = False
    try:
        for lineno, kind, value in env.lex(source):
            if kind == "whitespace":
                continue
            if kind == "block_begin":
                in_block, first = True, True
                continue
            if kind == "block_end":
                in_block = False
                continue
            if in_block and first and kind == "name":
                first = False
                if value in _BLOCK_OPEN:
                    depth += 1
                    loops += value == "for"
                elif value in _BLOCK_CLOSE:
                    depth -= 1
                    loops -= value == "endfor"
                if loops > MAX_LOOP_NESTING:
                    raise jinja2.TemplateSyntaxError(
                        f"the template nests more than {MAX_LOOP_NESTING} loops; split it up", lineno
                    )
            elif kind == "operator" and value in "([{":
                depth += 1
            elif kind == "operator" and value in ")]}":
                depth -= 1
            else:
                first = False
            if depth > MAX_NESTING:
                raise _too_deep(lineno)
    except jinja2.TemplateSyntaxError as exc:
        if exc.message and "nests more than" in exc.message:
            raise
        # a lexing error: the parser reports it with its own message and line


def _busiest_line(env: jinja2.Environment, source: str) -> int:
    """Line of the tag with the most tokens (where a long operator chain sits)."""
    best, best_line, count, start = 0, 1, 0, 1
    try:
        for lineno, kind, _ in env.lex(source):
            if kind in ("variable_begin", "block_begin"):
                count, start = 0, lineno
            count += 1
            if count > best:
                best, best_line = count, start
    except jinja2.TemplateSyntaxError:
        pass
    return best_line


def unsafe_constructs(tree: nodes.Template) -> list[Unsafe]:
    """What in a parsed template reaches into Python internals, by line (found while parsing)."""
    return list(getattr(tree, "sg_unsafe", []))


__all__ = [
    "MAX_NESTING",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_TEXT",
    "MAX_TREE_DEPTH",
    "BoundedEnvironment",
    "Budget",
    "TemplateLimitError",
    "Unsafe",
    "check_nesting",
    "measure",
    "render_bounded",
    "template_line",
    "unsafe_constructs",
]
