"""The legal basis a complaint cites, as data: which provisions, in which order per complaint type.

Texts are summaries (not quotations) in resources/i18n/<lang>/store.json under
"export.legal.<key>.title" and ".text": the Measures for Labeling AI-Generated Synthetic
Content (CAC and others, 2025, in force 2025-09-01) Art. 4, 5, 6 and 10, and the mandatory
national standard GB 45438-2025.
"""

from ..i18n import tr

__all__ = ["PROVISIONS", "BASIS_BY_TYPE", "legal_basis"]

PROVISIONS = ("measures-art4", "measures-art5", "measures-art6", "measures-art10", "gb45438")

# complaint type -> provisions, most relevant first (every provision is always listed)
BASIS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "unlabeled-ai": ("measures-art4", "measures-art5", "measures-art6", "gb45438",
                     "measures-art10"),
    "label-tampered": ("measures-art10", "measures-art5", "gb45438", "measures-art6",
                       "measures-art4"),
    "misleading-deepfake": ("measures-art4", "measures-art6", "measures-art10", "gb45438",
                            "measures-art5"),
    "other": PROVISIONS,
}


def legal_basis(complaint_type: str, lang: str) -> list[tuple[str, str]]:
    """[(title, text)] for the complaint type, most relevant first."""
    keys = BASIS_BY_TYPE.get(complaint_type, PROVISIONS)
    return [(tr(f"export.legal.{k}.title", lang), tr(f"export.legal.{k}.text", lang)) for k in keys]
