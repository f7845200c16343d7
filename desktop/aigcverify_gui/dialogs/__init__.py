"""Dialogs. Features that arrive later (report_*.py, history*.py) live here too and plug into
the main window through `install(window)` (see app.PLUGIN_MODULES)."""

__all__: list[str] = []
