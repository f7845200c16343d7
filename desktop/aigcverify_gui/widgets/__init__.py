"""Widgets of the main window; each renders data, none parses files or blocks."""

__all__: list[str] = []
