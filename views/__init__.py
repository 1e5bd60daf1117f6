"""Thin FAB views and REST APIs: they call actions/ through views/glue.py and render the result."""
