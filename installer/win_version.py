"""The Windows version resource of both executables (Explorer > Properties > Details).

PyInstaller reads a text file holding a `VSVersionInfo(...)` expression; this writes one from
the package version, so the number shown in Windows is the number the app reports
(`aigcverify --version`). Used by installer/aigcverify.spec on Windows only.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FIELDS", "version_tuple", "write_version_file"]

# StringFileInfo entries; ProductVersion/FileVersion are added from the package version.
FIELDS = {
    "CompanyName": "AIGCVerify",
    "FileDescription": "AIGC 标识核验 AIGC Label Verifier",
    "InternalName": "aigcverify",
    "LegalCopyright": "Apache-2.0",
    "ProductName": "AIGCVerify",
}
LANG_CODEPAGE = "080404B0"  # zh-CN, Unicode (the app speaks Chinese first)

_TEMPLATE = """# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(filevers={v}, prodvers={v}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('{lang}', [{strings}])]),
    VarFileInfo([VarStruct('Translation', [0x0804, 1200, 0x0409, 1200])])
  ]
)
"""


def _digits_prefix(part: str) -> str:
    digits = ""
    for c in part:
        if not c.isdigit():
            break
        digits += c
    return digits


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'0.1.0' -> (0, 1, 0, 0); '1.2.0rc1' -> (1, 2, 0, 0): Windows wants four numbers."""
    parts = (version.split(".") + ["0"] * 4)[:4]
    a, b, c, d = (int(_digits_prefix(p) or 0) for p in parts)
    return a, b, c, d


def write_version_file(path: Path, original_filename: str, version: str | None = None) -> str:
    """Write the version resource text of one executable (default version: the package's)."""
    if version is None:
        from aigcverify import __version__ as version
    numbers = version_tuple(version)
    fields = {**FIELDS, "FileVersion": version, "ProductVersion": version,
              "OriginalFilename": original_filename}
    strings = ", ".join(f"StringStruct({k!r}, {v!r})" for k, v in fields.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_TEMPLATE.format(v=numbers, lang=LANG_CODEPAGE, strings=strings),
                    encoding="utf-8")
    return str(path)
