"""AIGC Label Verifier desktop app (PySide6): a thin client of the `aigcverify` core."""

__all__: list[str] = []
