"""FAB's SQLAInterface with eager loading of the relationships a list shows (DESIGN §9: no N+1 queries)."""
from __future__ import annotations

from typing import Any, Iterable

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import selectinload


class AppInterface(SQLAInterface):
    """SQLAInterface whose boolean columns are never required in forms and API schemas: a NOT NULL boolean has a
    default, and an unticked checkbox (是否工作日, 启用) is a valid False, not a missing value."""

    def is_nullable(self, col_name: str) -> bool:
        if self.is_boolean(col_name):
            return True
        return super().is_nullable(col_name)


class EagerInterface(AppInterface):
    """Loads ``eager`` relationships of the listed rows in one extra statement each (selectinload)."""

    def __init__(self, obj: type, session: Any = None, eager: Iterable[str] = ()):
        super().__init__(obj, session)
        self.eager = tuple(eager)

    def apply_all(self, query, *args: Any, **kwargs: Any):
        query = super().apply_all(query, *args, **kwargs)
        if self.eager:
            query = query.options(*[selectinload(getattr(self.obj, name)) for name in self.eager])
        return query
