"""schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks``): mix the data set's existing values into
the generated path parameters, query parameters and bodies, so that the operations act on real cohorts, modules,
runs, entries, proposals and accounts instead of answering 404 to random ids.

The values come from ``LMS_FUZZ_KNOWN`` (JSON: name -> list of values; ``bodies``: "METHOD /path" -> whole
request bodies that succeed on the data set), written by ``test_schemathesis``.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import strategies as st

KNOWN: dict = json.loads(os.environ.get("LMS_FUZZ_KNOWN", "{}"))
BODIES: dict[str, list] = KNOWN.pop("bodies", {})
#: Body and query fields that name an existing object, and the path parameter whose values they take.
FIELD_VALUES = {"email": "email", "cohort": "code", "session_id": "session_id", "curriculum": "curriculum",
                "kode_kabkota": "kode_kabkota", "role": "role"}


def _mixed(value, names: dict[str, str]):
    """The generated value as it is, or with the named fields replaced by existing values."""
    if not isinstance(value, dict):
        return st.just(value)
    fields = {name: KNOWN[source] for name, source in names.items() if name in value and KNOWN.get(source)}
    if not fields:
        return st.just(value)
    chosen = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in fields.items()})
    return st.one_of(st.just(value), chosen.map(lambda known: {**value, **known}))


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    """Drop the document's catch-all ``default`` response: with it, ``status_code_conformance`` accepts any status.
    Without it, every status an operation answers must be one it declares (``errors(...)``)."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)


@schemathesis.hook
def flatmap_path_parameters(ctx, parameters):
    return _mixed(parameters, {name: name for name in KNOWN})


@schemathesis.hook
def flatmap_query(ctx, query):
    return _mixed(query, FIELD_VALUES)


@schemathesis.hook
def flatmap_body(ctx, body):
    mixed = _mixed(body, FIELD_VALUES)
    operation = ctx.operation
    whole = BODIES.get(f"{operation.method.upper()} {operation.path}") if operation is not None else None
    return st.one_of(mixed, st.sampled_from(whole)) if whole else mixed
