"""Finding user-facing text that never reaches the catalog: bare string literals given as a refusal's message, a
flashed message, an ``Invalid(details=...)`` value or an ``abort(...)`` description in the Python sources, and
visible text in the templates outside ``{{ _(...) }}`` / ``{% trans %}``."""

from __future__ import annotations

import ast
import inspect
import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

from lms.core.errors import DomainError

#: Calls that put their argument through the catalog.
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "pgettext", "npgettext"}
#: Attributes whose value a person reads (besides text nodes).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "label"}
#: A Jinja construct, replaced by this marker before the HTML is read.
MARK = "\ue000"
LETTERS = re.compile(r"[^\W\d_]{2,}")
BUTTONS = {"submit", "button", "reset"}
#: Text that is only attributes (a macro that writes ``aria-invalid="true"`` into the tag around it).
#: Only the template syntax matters here (lexing, no rendering).
ENV = Environment()
ATTRIBUTES_ONLY = re.compile(r'^(\s*[\w-]+="[^"]*")+\s*$')


def domain_errors() -> dict[str, int | None]:
    """Every ``DomainError`` subclass's name, with the position of its ``message`` argument (the app's modules are
    imported by then)."""
    found, todo = {}, [DomainError]
    while todo:
        cls = todo.pop()
        params = [p for p in inspect.signature(cls.__init__).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]  # without self
        names = [p.name for p in params]
        found[cls.__name__] = names.index("message") if "message" in names else None
        todo.extend(cls.__subclasses__())
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _bare(node: ast.expr | None) -> str | None:
    """The text of a literal that is not wrapped in a gettext call (``"..."``, f-strings, ``"...".format()``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _bare(node.left) or _bare(node.right)
    if isinstance(node, ast.Call) and _name(node.func) == "format" and isinstance(node.func, ast.Attribute):
        return _bare(node.func.value)
    if isinstance(node, ast.IfExp):
        return _bare(node.body) or _bare(node.orelse)
    return None


def _messages_of_call(call: ast.Call, errors: dict[str, int | None]) -> list[ast.expr]:
    """The arguments of ``call`` that a person reads."""
    name = _name(call.func)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    found: list[ast.expr] = []
    if name in errors:
        position = errors[name]
        found += call.args[position:position + 1] if position is not None else []
        found += [keywords[k] for k in ("message",) if k in keywords]
        details = keywords.get("details")
        if isinstance(details, ast.Dict):
            found += details.values
    elif name == "flash":
        found += call.args[:1] + [keywords[k] for k in ("message",) if k in keywords]
    elif name == "abort":
        found += call.args[1:2] + [keywords[k] for k in ("description",) if k in keywords]
    return found


def _class_messages(cls: ast.ClassDef, errors: dict[str, int | None]) -> list[ast.expr]:
    """``message = "..."`` in the body of a ``DomainError`` subclass."""
    if cls.name not in errors and not any(_name(base) in errors for base in cls.bases):
        return []
    return [stmt.value for stmt in cls.body if isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "message" for t in stmt.targets)]


def unwrapped_python_strings(root: Path) -> list[tuple[str, int, str]]:
    """``(path, line, text)`` of every bare literal a person reads, in ``root/lms/**.py``."""
    errors = domain_errors()
    found = []
    for path in sorted((root / "lms").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                candidates = _messages_of_call(node, errors)
            elif isinstance(node, ast.ClassDef):
                candidates = _class_messages(node, errors)
            else:
                continue
            for arg in candidates:
                text = _bare(arg)
                if text is not None and LETTERS.search(text):
                    found.append((path.relative_to(root).as_posix(), arg.lineno, " ".join(text.split())))
    return found


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES
                          or (name == "value" and tag == "input" and dict(attrs).get("type") in BUTTONS)):
                self.texts.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append((self.getpos()[0], data))


def _strip_jinja(source: str, env: Environment) -> str:
    """The template's literal text, each Jinja construct replaced by ``MARK`` (newlines kept for line numbers);
    the text inside ``{% trans %}…{% endtrans %}`` goes through the catalog and is blanked."""
    out, in_trans, tag_name_next = [], False, False
    for _lineno, kind, value in env.lex(source):
        if kind == "data":
            out.append(re.sub(r"[^\n]", " ", value) if in_trans else value)
            continue
        out.append("\n" * value.count("\n"))
        if kind == "name" and tag_name_next:
            in_trans = value == "trans" or (in_trans and value != "endtrans")
        tag_name_next = kind == "block_begin" or (tag_name_next and kind == "whitespace")
        if kind in ("block_end", "variable_end", "comment_end"):
            out.append(MARK)
    return "".join(out)


def unwrapped_template_text(root: Path) -> list[tuple[str, int, str]]:
    """``(path, line, text)`` of visible text outside the catalog in ``root/lms/templates`` (HTML and e-mail)."""
    found = []
    templates = root / "lms" / "templates"
    for path in sorted([*templates.rglob("*.html"), *templates.rglob("*.txt")]):
        text = _strip_jinja(path.read_text(encoding="utf-8"), ENV)
        if path.suffix == ".txt":
            pieces = [(n, line) for n, line in enumerate(text.splitlines(), 1)]
        else:
            collector = _TextCollector()
            collector.feed(text)
            collector.close()
            pieces = collector.texts
        for lineno, piece in pieces:
            visible = " ".join(piece.replace(MARK, " ").split())
            if LETTERS.search(visible) and not ATTRIBUTES_ONLY.match(visible):
                found.append((path.relative_to(root).as_posix(), lineno, visible))
    return found
