"""Placeholder: screens and APIs of this module are registered by `register(appbuilder)` (filled in by its issue)."""
from __future__ import annotations


def register(appbuilder) -> None:
    """Add this module's views, menus and APIs to the app."""
    return None
