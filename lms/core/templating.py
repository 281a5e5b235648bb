"""Templates compiled once per locale, with their literal texts already translated.

A page calls ``_("…")`` some fifty times (the dashboard: title, headings, labels, navigation), and each call went
through Jinja's i18n alias, a context call, the catalogue look-up and a ``Markup`` formatting: about a tenth of the
page's CPU, to produce the same text on every request. ``LocaleEnvironment`` keeps one overlay environment per
language of ``LANGUAGES``; each compiles its templates with every ``_("literal")`` / ``gettext("literal")``
replaced by its translation, which Jinja then folds into the template's static text (with keyword arguments, only
the ``%`` formatting of the translated text is left for the request, escaping the values as before).

The language is the one flask-babel gives for the template being loaded, so ``force_locale`` (e-mails in the
recipient's language inside another person's request) and the language cookie work as before: a template and what
it extends, includes or imports all come from the overlay of the language active when it is loaded. Outside any
language context (no app context) the app's own environment is used, translating at render time as Jinja does.
Calls with a text that is not a literal (``_(variable)``), and templates that assign a name ``_`` or ``gettext``
themselves, are left to the render-time functions.
"""

from __future__ import annotations

import threading
from types import BuiltinFunctionType, FunctionType, MethodType

from flask.globals import _cv_request
from flask.templating import Environment
from flask_babel import get_translations
from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.runtime import Context
from jinja2.utils import internalcode
from jinja2.visitor import NodeTransformer
from markupsafe import escape

from lms.core.i18n import locale_name

try:  # markupsafe 3: the escaping of a str that ``escape`` wraps in a ``Markup``
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover - another markupsafe: the same text through its public function
    def _escape_inner(text: str) -> str:
        return str(escape(text))

#: The names a template calls to translate a text (``_`` is the i18n extension's alias of ``gettext``).
GETTEXT_NAMES = frozenset({"_", "gettext"})


class LiteralTranslator(NodeTransformer):
    """Replaces ``_("literal", key=value, …)`` by ``Markup("translated") % {key: value, …}`` (``Markup`` only where
    the output is escaped): what the newstyle ``gettext`` of Jinja's i18n extension returns at render time."""

    def __init__(self, translations) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 - the visitor's naming
        self.generic_visit(node)
        if not (isinstance(node.node, nodes.Name) and node.node.name in GETTEXT_NAMES and len(node.args) == 1
                and isinstance(node.args[0], nodes.Const) and isinstance(node.args[0].value, str)
                and node.dyn_args is None and node.dyn_kwargs is None):
            return node
        translated = self.translations.ugettext(node.args[0].value)
        text = nodes.MarkSafeIfAutoescape(nodes.Const(translated, lineno=node.lineno), lineno=node.lineno)
        if not node.kwargs:
            try:
                text.expr.value = translated % {}  # as gettext does with no variables ('%%' is '%')
            except (KeyError, TypeError, ValueError):
                return node  # fails at render time as before
            return text
        variables = [nodes.Pair(nodes.Const(k.key, lineno=k.lineno), k.value, lineno=k.lineno) for k in node.kwargs]
        return nodes.Mod(text, nodes.Dict(variables, lineno=node.lineno), lineno=node.lineno)


def escape_output(value, _str=str, _escape=_escape_inner) -> str:
    """What a compiled template's ``{{ … }}`` writes with autoescape on: the escaped text as a plain ``str``.

    Jinja calls ``markupsafe.escape`` for each of them (about ninety on the dashboard), which wraps every piece in a
    ``Markup`` (two more Python calls each) only for the pieces to be joined into one ``str`` at once: the root and
    block functions' output is joined by ``render``, a macro's, call block's or ``{% set %}`` block's by ``concat`` and
    then marked safe as a whole. The text is the same; only the type of each piece differs."""
    if type(value) is _str:
        return _escape(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return _escape(_str(value))


class OutputTemplate(Template):
    """Templates whose output expressions are escaped by ``escape_output``. The compiled module imports ``escape``
    from Jinja's runtime and its functions look it up as a global: the module's namespace is replaced before use."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        namespace["escape"] = escape_output
        return super()._from_namespace(environment, namespace, globals)


#: Callables whose ``jinja_pass_arg`` (a bound method's is its function's) is the only thing ``Context.call`` asks
#: of them: their ``__call__`` is a method wrapper, which never has one.
_PLAIN_CALLABLES = frozenset({FunctionType, MethodType, BuiltinFunctionType})


class TemplateContext(Context):
    """Jinja's context, with a shorter way through ``call`` for the plain functions and methods templates call
    (``url_for``, ``csrf_token``, a user's ``has_any_role``: about thirty-five on the dashboard). Jinja asks each
    callable three ``hasattr`` questions to find whether it wants the context, the evaluation context or the
    environment as its first argument; a plain function or method that has no ``jinja_pass_arg`` wants none of them,
    and is called with the same arguments as ``Context.call`` would. Anything else goes through ``Context.call``."""

    @internalcode
    def call(__self, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature (keyword names stay free)
        if type(__obj) in _PLAIN_CALLABLES and getattr(__obj, "jinja_pass_arg", None) is None:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, with the two commonest expressions of a page written inline instead of as a call of a
    Python function each (about a hundred of each on the dashboard):

    - ``name.attr`` reads the attribute with the built-in ``getattr`` and a default; only when the object has no
      such attribute does it go through ``environment.getattr``, which tries it again, then ``name['attr']``, then
      gives an undefined value, as before. Only for a plain name, whose second evaluation has no effect; any other
      object is read as Jinja reads it.
    - An escaped output (``{{ … }}`` with autoescape on) of a plain ``str`` is escaped by ``markupsafe``'s own
      escaping function of a ``str`` (``escape_output``'s first case), a plain ``int`` (not a ``bool``) is written
      as ``str`` writes it (digits and a sign: nothing to escape); anything else goes to ``escape`` as before.

    The values and the text are the ones Jinja's code gives."""

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame) -> None:
        if self.environment.is_async or not isinstance(node.node, nodes.Name):
            return super().visit_Getattr(node, frame)
        self.write("(_lms_attr if (_lms_attr := getattr(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r}, missing)) is not missing else environment.getattr(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r}))")

    def _inline_escape(self, frame) -> bool:
        return not frame.eval_ctx.volatile and frame.eval_ctx.autoescape and not self.environment.is_async

    def _output_child_pre(self, node, frame, finalize) -> None:
        if not self._inline_escape(frame):
            return super()._output_child_pre(node, frame, finalize)
        self.write("(environment.escape_str(_lms_out) if type(_lms_out := ")
        if finalize.src is not None:
            self.write(finalize.src)

    def _output_child_post(self, node, frame, finalize) -> None:
        if not self._inline_escape(frame):
            return super()._output_child_post(node, frame, finalize)
        if finalize.src is not None:
            self.write(")")
        self.write(") is str else str(_lms_out) if type(_lms_out) is int else escape(_lms_out))")


def _assigns_gettext(tree: nodes.Template) -> bool:
    return any(n.name in GETTEXT_NAMES and n.ctx != "load" for n in tree.find_all(nodes.Name))


class LocaleEnvironment(Environment):
    """The app's Jinja environment (``Flask.jinja_environment``): loading a template returns it from the overlay of
    the current language, compiled with its literal texts translated."""

    template_class = OutputTemplate
    context_class = TemplateContext
    code_generator_class = OutputCodeGenerator
    #: The escaping of a plain ``str`` that ``OutputCodeGenerator``'s inline outputs call.
    escape_str = staticmethod(_escape_inner)
    #: Set on a language's overlay: the translations its templates are compiled with.
    literal_translations = None

    def __init__(self, app, **options) -> None:
        super().__init__(app, **options)
        self._languages: dict[str, LocaleEnvironment] = {}
        self._languages_lock = threading.Lock()

    def for_current_locale(self) -> LocaleEnvironment:
        """The overlay of the current language, made on first use; this environment when there is no language
        (outside an app context) or it is not one of ``LANGUAGES``."""
        if self.literal_translations is not None:
            return self
        key = locale_name()
        if key is None:
            return self
        found = self._languages.get(key)
        if found is not None:
            return found
        if key not in self.app.config["LANGUAGES"]:
            return self
        with self._languages_lock:
            found = self._languages.get(key)
            if found is None:
                found = self.overlay()
                found.literal_translations = get_translations()
                self._languages[key] = found
        return found

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        if self.literal_translations is not None and not _assigns_gettext(tree):
            tree = LiteralTranslator(self.literal_translations).visit(tree)
        return tree

    def get_template(self, name, parent=None, globals=None):
        env = self.for_current_locale()
        if env is not self:
            return env.get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        env = self.for_current_locale()
        if env is not self:
            return env.select_template(names, parent, globals)
        return super().select_template(names, parent, globals)

    def from_string(self, source, globals=None, template_class=None):
        env = self.for_current_locale()
        if env is not self:
            return env.from_string(source, globals, template_class)
        return super().from_string(source, globals, template_class)


#: URLs kept per process by ``install_url_cache`` before the cache starts over (module and materi links included).
URL_CACHE_SIZE = 4096
#: Marks a ``url_defaults`` function whose additions depend only on the endpoint and values (not on the request or
#: the time): URLs built with it may be kept.
STABLE_URL_DEFAULTS = "lms_stable_url_defaults"


def install_url_cache(app) -> None:
    """Templates build their links through a per-process cache: a page builds about twenty, mostly the same on every
    request (navigation, static files with their content hash, the participant's modules), each a pass through
    Werkzeug's URL builder.

    Only relative URLs inside a request are kept, keyed by the script root of the request (``SCRIPT_NAME``), the
    endpoint and the values; ``_external``, ``_anchor``, ``_scheme``, ``_method``, blueprint-relative endpoints
    (``.name``) and unhashable values go to ``url_for`` every time, and so does everything while any
    ``url_defaults`` function of the app is not marked ``STABLE_URL_DEFAULTS`` (the static-file hash is, except in
    debug mode, where files are re-read when they change)."""
    build = app.url_for
    cache: dict = {}
    stable = []  # once known for good: the app takes no new url_defaults after its first request

    def url_for(endpoint: str, /, **values) -> str:
        req_ctx = _cv_request.get(None)
        adapter = req_ctx.url_adapter if req_ctx is not None else None
        if adapter is None or endpoint[:1] == ".":
            return build(endpoint, **values)
        if not stable:
            if not _stable_url_defaults(app):
                return build(endpoint, **values)
            if getattr(app, "_got_first_request", False):
                stable.append(True)
        try:
            key = (adapter.script_name, endpoint, *values.items())
            found = cache.get(key)
        except TypeError:  # an unhashable value
            return build(endpoint, **values)
        if found is None:
            if any(name[:1] == "_" for name in values):
                return build(endpoint, **values)
            found = build(endpoint, **values)
            if len(cache) >= URL_CACHE_SIZE:
                cache.clear()
            cache[key] = found
        return found

    app.jinja_env.globals["url_for"] = url_for


def _stable_url_defaults(app) -> bool:
    return all(getattr(function, STABLE_URL_DEFAULTS, False)
               for functions in app.url_default_functions.values() for function in functions)
