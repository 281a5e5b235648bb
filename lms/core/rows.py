"""ORM instances from one Core row, for the statements every request runs (identity, enrollment).

Loading entities through the ORM costs, per execution, a compiled ORM context and a row processor per entity and
eager path; for one row of five joined entities that was several times the statement itself. A ``RowShape`` selects
the same columns as a Core statement on the session's connection, and ``adopt`` turns each entity's slice of the
row into an instance that is *persistent* in the session, exactly as if the ORM had loaded it:

- its identity key is set from the primary key and it sits in the session's identity map (an instance already
  there wins, as an ORM load without ``populate_existing`` would leave it: only its expired columns are filled);
- every selected column is committed state (no change history), so a later change is flushed as an ``UPDATE`` of
  that column only, and a commit expires it like any loaded instance;
- a column not selected is unloaded and loads on first access, and relationships are set with
  ``set_committed_value`` by the caller (or lazy-load as usual).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

__all__ = ["RowShape", "adopt", "set_committed_value"]


class _Part:
    __slots__ = ("mapper", "keys", "start", "stop", "pk")

    def __init__(self, cls: type, start: int) -> None:
        self.mapper = inspect(cls)
        self.keys = [prop.key for prop in self.mapper.column_attrs]
        self.start, self.stop = start, start + len(self.keys)
        pk_keys = {self.mapper.get_property_by_column(c).key for c in self.mapper.primary_key}
        self.pk = [i for i, key in enumerate(self.keys) if key in pk_keys]


class RowShape:
    """The columns of several mapped classes, side by side, and the instances back from a row of them."""

    def __init__(self, *classes: type) -> None:
        self.parts: list[_Part] = []
        start = 0
        for cls in classes:
            part = _Part(cls, start)
            self.parts.append(part)
            start = part.stop

    def columns(self, prefix: str = "e") -> list:
        """The labelled columns to select, in order (``e0_id``, ``e0_email``, ``e1_id`` ...); another ``prefix``
        keeps the labels of two shapes selected side by side apart."""
        return [getattr(part.mapper.class_, key).expression.label(f"{prefix}{n}_{key}")
                for n, part in enumerate(self.parts) for key in part.keys]

    @property
    def width(self) -> int:
        return self.parts[-1].stop if self.parts else 0

    def adopt(self, session: Session, row: Sequence[Any], *, refresh: bool = False) -> list[Any]:
        """One instance per class, persistent in ``session``; None for an outer-joined entity that is absent (a
        null primary key). With ``refresh`` (a row an ``UPDATE`` returned), an instance already in the session
        takes the row's values, as ``populate_existing`` would."""
        return [self._one(session, part, row, refresh) for part in self.parts]

    @staticmethod
    def _one(session: Session, part: _Part, row: Sequence[Any], refresh: bool):
        values = row[part.start:part.stop]
        pk = tuple(values[i] for i in part.pk)
        if any(value is None for value in pk):
            return None
        return _adopt(session, part.mapper, pk, zip(part.keys, values, strict=True), refresh=refresh)


def adopt(session: Session, cls: type, **values: Any):
    """One instance of ``cls`` from column values (the primary key among them), persistent in ``session``."""
    mapper = inspect(cls)
    pk = tuple(values[mapper.get_property_by_column(c).key] for c in mapper.primary_key)
    return _adopt(session, mapper, pk, values.items())


def _adopt(session: Session, mapper, pk: tuple, items, *, refresh: bool = False):
    key = mapper.identity_key_from_primary_key(pk)
    existing = session.identity_map.get(key)
    if existing is not None:
        # Expired columns (by a commit) are filled from the row, as an ORM load does; with ``refresh``, all of them.
        unloaded = inspect(existing).unloaded
        if unloaded or refresh:
            for key, value in items:
                if refresh or key in unloaded:
                    set_committed_value(existing, key, value)
        return existing
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(items)
    state = instance_state(instance)
    state.key = key
    state._commit_all(state.dict)  # every selected column is committed state, as make_transient_to_detached does
    state._expire_attributes(state.dict, state.unloaded)  # the rest loads on first access
    # Attached as ``session.add`` attaches a detached instance, without its cascade over relationships (none is
    # set yet: the caller sets them with ``set_committed_value``).
    session._update_impl(state)
    return instance
