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

A new instance's state is filled directly (``__dict__``, ``InstanceState.key``, ``InstanceState.expired_attributes``)
with what ``make_transient_to_detached`` would leave in it, worked out once per class and set of columns, and is
attached with ``Session._update_impl`` (``session.add`` without the cascade); tests/core/test_rows.py checks that
this stays the state ``make_transient_to_detached`` and ``session.add`` leave, for every mapped class.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

__all__ = ["RowShape", "adopt", "set_committed_value"]


class _Part:
    """What adopting one entity needs, worked out once per mapped class and set of selected columns: the column
    keys in row order, the positions of the primary key among them and the attributes left to load on access."""

    __slots__ = ("mapper", "keys", "start", "stop", "pk", "expire", "new_instance")

    def __init__(self, cls: type, start: int, keys: Sequence[str] | None = None) -> None:
        self.mapper = inspect(cls)
        self.keys = tuple(prop.key for prop in self.mapper.column_attrs) if keys is None else tuple(keys)
        self.start, self.stop = start, start + len(self.keys)
        pk_keys = [self.mapper.get_property_by_column(c).key for c in self.mapper.primary_key]
        self.pk = tuple(self.keys.index(key) for key in pk_keys)
        manager = self.mapper.class_manager
        self.new_instance = manager.new_instance
        # What ``InstanceState._expire_attributes`` does to a new instance for the attributes not selected: the
        # scalar ones (unselected columns) are marked expired and load together on first access; for the others
        # (relationships) it has nothing to do, and they load through their lazy loader as usual.
        self.expire = frozenset(key for key in manager
                                if key not in self.keys and manager[key].impl.accepts_scalar_loader)


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
        pk = tuple(map(values.__getitem__, part.pk))
        for value in pk:
            if value is None:
                return None
        return _adopt(session, part, pk, values, refresh)


def adopt(session: Session, cls: type, **values: Any):
    """One instance of ``cls`` from column values (the primary key among them), persistent in ``session``."""
    part, values = _part(cls, tuple(values)), tuple(values.values())
    return _adopt(session, part, tuple(map(values.__getitem__, part.pk)), values, False)


@cache
def _part(cls: type, keys: tuple[str, ...]) -> _Part:
    return _Part(cls, 0, keys)


def _adopt(session: Session, part: _Part, pk: tuple, values: Sequence[Any], refresh: bool):
    key = part.mapper.identity_key_from_primary_key(pk)
    existing = session.identity_map.get(key)
    if existing is not None:
        # Expired columns (by a commit) are filled from the row, as an ORM load does; with ``refresh``, all of them.
        # A column is unloaded when it has neither a value nor a change history (``InstanceState.unloaded``).
        if refresh:
            for name, value in zip(part.keys, values, strict=True):
                set_committed_value(existing, name, value)
        else:
            loaded, changed = existing.__dict__, instance_state(existing).committed_state
            for name, value in zip(part.keys, values, strict=True):
                if name not in loaded and name not in changed:
                    set_committed_value(existing, name, value)
        return existing
    # A new instance's state has no change history, nothing expired and is unmodified, so the selected columns,
    # set straight into its ``__dict__``, are committed state as ``make_transient_to_detached`` leaves them.
    instance = part.new_instance()
    instance.__dict__.update(zip(part.keys, values, strict=True))
    state = instance_state(instance)
    state.key = key
    if part.expire:
        state.expired_attributes.update(part.expire)  # the unselected columns load on first access
    # Attached as ``session.add`` attaches a detached instance, without its cascade over relationships (none is
    # set yet: the caller sets them with ``set_committed_value``).
    session._update_impl(state)
    return instance
