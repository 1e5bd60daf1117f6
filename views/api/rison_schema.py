"""FAB's ``@rison(schema)`` check of the ``q`` argument without re-checking the schema on every request (issue 15).

``flask_appbuilder.api.rison`` calls ``jsonschema.validate(instance, schema)``, which first validates the *schema*
against the JSON Schema meta-schema — on every list request, about 40 % of a REST list's Python time in the
benchmark (bench/lists.py, cProfile of ``/api/v1/change_request/``). FAB's schemas are constants, so their
validators are built once here and reused; the errors raised are jsonschema's own (the same best match), so FAB's
400 answers do not change. ``install()`` points the module FAB calls at this object (done once at import of
``views.api.common``).
"""
from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for


class CachedSchemaValidation:
    """The two names FAB's rison decorator uses from ``jsonschema``: ``validate`` and ``ValidationError``."""

    ValidationError = jsonschema.ValidationError

    def __init__(self) -> None:
        self._validators: dict[int, tuple[Any, Any]] = {}

    def validate(self, instance: Any, schema: dict, *args: Any, **kwargs: Any) -> None:
        """``jsonschema.validate`` with the schema checked and its validator built once per schema object."""
        cached = self._validators.get(id(schema))
        if cached is None or cached[0] is not schema:
            cls = validator_for(schema)
            cls.check_schema(schema)
            cached = (schema, cls(schema))
            self._validators[id(schema)] = cached
        error = best_match(cached[1].iter_errors(instance))
        if error is not None:
            raise error


def install() -> None:
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, CachedSchemaValidation):
        fab_api.jsonschema = CachedSchemaValidation()
