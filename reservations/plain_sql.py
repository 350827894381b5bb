"""Model instances from a SELECT written out here rather than compiled by the ORM, for the few reads on every
booking's path: compiling the ORM's query (joins, ordering, the select list) costs several times running it.

The statement and each column's converters (what the ORM applies to a value read: SQLite's datetimes made aware,
its booleans, decimals) are worked out once per model, columns and clauses, the way the ORM's compiler works them
out for every query, so a row reads back exactly as the ORM would read it, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, signals

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]

_prepared: dict[tuple[Any, ...], tuple[str, list[str], list[Any]]] = {}


def _current() -> Any:
    """This thread's connection itself: django.db.connection is a proxy that looks it up on every attribute
    read, and preparing or converting a row's values reads it once per value."""
    return connections[DEFAULT_DB_ALIAS]


def _prepare(model: type[Model], fields: tuple[str, ...], where: str, order: str) -> tuple[str, list[str], list[Any]]:
    """The statement, the attribute names it fills and the column expressions, for this database's vendor. The
    columns are selected in the model's own field order, which Model.from_db requires, whatever order `fields`
    names them in."""
    db = _current()
    key = (db.vendor, model, fields, where, order)
    found = _prepared.get(key)
    if found is not None:
        return found
    quote = db.ops.quote_name
    table = model._meta.db_table
    known = {field.name for field in model._meta.concrete_fields}
    unknown = set(fields) - known
    if unknown:
        raise ValueError(f"{model.__name__} has no column for {sorted(unknown)}")
    columns = [field for field in model._meta.concrete_fields if field.name in fields]
    select = ", ".join(quote(field.column or field.name) for field in columns)
    sql = f"SELECT {select} FROM {quote(table)} WHERE {where}" + (f" ORDER BY {order}" if order else "")
    found = _prepared[key] = (sql, [field.attname for field in columns], [field.get_col(table) for field in columns])
    return found


def _converters(db: Any, cols: list[Any]) -> list[tuple[int, list[Converter], Any]]:
    """Each column's converters, from this thread's connection (as the ORM's compiler asks for them)."""
    found = []
    for index, col in enumerate(cols):
        functions = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if functions:
            found.append((index, functions, col))
    return found


def rows(model: type[M], fields: tuple[str, ...], where: str, params: list[Any], order: str = "") -> list[M]:
    """Instances of `model` with `fields` loaded (the others deferred), from the rows `where` selects, in `order`.
    `where` and `order` are the caller's own SQL over the model's table; the values are parameters."""
    sql, attnames, cols = _prepare(model, fields, where, order)
    with _current().cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return _instances(model, attnames, cols, fetched)


Query = tuple[type[Model], tuple[str, ...], str, list[Any]]


def rows_together(queries: Sequence[Query]) -> list[list[Any]]:
    """What `rows` gives for each (model, fields, where, params), all read in one round trip (`run_together`)."""
    prepared = [_prepare(model, fields, where, "") for model, fields, where, _params in queries]
    statements = [(sql, params) for (sql, _names, _cols), (*_, params) in zip(prepared, queries, strict=True)]
    fetched = run_together(statements)
    return [
        _instances(model, attnames, cols, found)
        for (model, *_), (_sql, attnames, cols), found in zip(queries, prepared, fetched, strict=True)
    ]


def _instances(model: type[M], attnames: list[str], cols: list[Any], fetched: list[tuple[Any, ...]]) -> list[M]:
    db = _current()
    converters = _converters(db, cols)
    found = []
    for row in fetched:
        if converters:
            values = list(row)
            for index, functions, col in converters:
                value = values[index]
                for function in functions:
                    value = function(value, col, db)
                values[index] = value
            row = tuple(values)
        found.append(model.from_db(db.alias, attnames, row))
    return found


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of a statement written out by the caller (plain values, no instances)."""
    with _current().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _written_fields(model: type[Model]) -> list[Any]:
    """The columns an INSERT of a new row writes, as Model.save writes them: all but the automatic key and the
    generated ones."""
    meta = model._meta
    return [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]


_inserts: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}


def _insert(db: Any, model: type[Model]) -> tuple[str, list[Any]]:
    """The INSERT of insert_unless_taken for this model and vendor, and the fields whose values it takes."""
    key = (db.vendor, model)
    found = _inserts.get(key)
    if found is None:
        meta = model._meta
        fields = _written_fields(model)
        quote = db.ops.quote_name
        columns = ", ".join(quote(f.column or f.attname) for f in fields)
        key_column = quote(meta.pk.column or meta.pk.attname)
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns})"
            f" VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING RETURNING {key_column}"
        )
        found = _inserts[key] = (sql, fields)
    return found


def insert_unless_taken(instance: Model, then: Sequence[Statement] = ()) -> bool:
    """INSERT a new instance's row, unless a value of one of its unique columns is already taken: then nothing is
    written, the transaction goes on, and False is returned (the caller draws new values and tries again).

    The row is written as Model.save writes it (each field's pre_save and database value, the signals), in one
    statement (`ON CONFLICT DO NOTHING ... RETURNING`), where catching the IntegrityError of a plain INSERT needs a
    savepoint around it: two more round trips on every booking. Every unique constraint of the table counts as
    taken, as the IntegrityError did.

    `then`: statements run right after it in the same round trip (`run_together`), such as the rows that refer to
    it (`insert_referring`), which find it by its unique values and so write nothing when it was not written."""
    model = type(instance)
    meta = model._meta
    if meta.parents or not meta.auto_field or getattr(instance, meta.pk.attname) is not None:
        raise ValueError("insert_unless_taken writes a new row of a model with its own table and an automatic key")
    db = _current()
    signals.pre_save.send(sender=model, instance=instance, raw=False, using=db.alias, update_fields=None)
    sql, fields = _insert(db, model)
    values = [f.get_db_prep_save(f.pre_save(instance, True), db) for f in fields]
    inserted = run_together([(sql, values), *then])[0]
    if not inserted:
        return False
    setattr(instance, meta.pk.attname, inserted[0][0])
    instance._state.adding = False
    instance._state.db = db.alias
    signals.post_save.send(sender=model, instance=instance, created=True, update_fields=None, raw=False, using=db.alias)
    return True


_referring: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}


def _insert_select(db: Any, model: type[Model], field: str, where: str) -> tuple[str, list[Any]]:
    """The INSERT ... SELECT of insert_referring for this model, key field, `where` and vendor, and the fields whose
    values it takes (every one but the key, which the SELECT gives)."""
    key = (db.vendor, model, field, where)
    found = _referring.get(key)
    if found is None:
        meta = model._meta
        key_field = meta.get_field(field)
        target = key_field.related_model._meta  # type: ignore[union-attr]
        quote = db.ops.quote_name
        fields = _written_fields(model)
        selected, valued = [], []
        for f in fields:
            if f is key_field:
                selected.append(f"r.{quote(target.pk.column or target.pk.attname)}")
                continue
            valued.append(f)
            # PostgreSQL reads a bare NULL or string in a SELECT list as text, which an integer column refuses.
            selected.append(f"CAST(%s AS {f.db_type(db)})" if db.vendor == "postgresql" else "%s")
        columns = ", ".join(quote(f.column or f.attname) for f in fields)
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns})"
            f" SELECT {', '.join(selected)} FROM {quote(target.db_table)} r WHERE {where}"
        )
        found = _referring[key] = (sql, valued)
    return found


def insert_referring(instance: Model, field: str, where: str, params: list[Any]) -> Statement:
    """An INSERT of a new instance (no signals) whose foreign key `field` takes the key of the row that `where`
    selects in the table it refers to (aliased `r`): nothing is inserted when `where` selects no row. For
    `insert_unless_taken(then=...)`, with `where` naming the new row by its unique values."""
    db = _current()
    sql, valued = _insert_select(db, type(instance), field, where)
    return sql, [*(f.get_db_prep_save(f.pre_save(instance, True), db) for f in valued), *params]


Statement = tuple[str, list[Any]]


def run_together(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run the statements in their order and return each one's rows (none for a statement that returns none).

    On PostgreSQL they go in one round trip: Django's psycopg cursor binds the values on the client side, so one
    execute may hold several statements; the server runs them one after the other, each with its own snapshot (as
    separate executes would have), and stops at the first that fails. Elsewhere, and with server-side binding (the
    database option `server_side_binding`, which allows one statement an execute), they run one by one."""
    if not statements:
        return []
    db = _current()
    together = (
        db.vendor == "postgresql"
        and not db.settings_dict.get("OPTIONS", {}).get("server_side_binding")
        and len(statements) > 1
    )
    results: list[list[tuple[Any, ...]]] = []
    with db.cursor() as cursor:
        if together:
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            while True:
                results.append(cursor.fetchall() if cursor.description is not None else [])
                if not cursor.nextset():
                    break
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall() if cursor.description is not None else [])
    if len(results) != len(statements):
        raise RuntimeError(f"{len(statements)} statements gave {len(results)} results")
    return results


def as_date(value: Any) -> date:
    """A date column read by `fetch`: SQLite gives a string where a column is an aggregate's group."""
    return value if isinstance(value, date) else date.fromisoformat(value)
