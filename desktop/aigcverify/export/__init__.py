"""Complaint packages: a deterministic, atomically written ZIP (PDF, canonical report.json,
kept originals, SHA-256 and SM3 manifests, a stdlib-only verify.py) and its verification.

build_package lives in export.package (imports fpdf2); verify_package in export.verify_package.
"""

__all__: list[str] = []
