"""The one error hierarchy of the core.

Exceptions mean "could not read at all"; everything else is a finding (architecture rule 3).
A fuzz test proves that only VerifyError subclasses escape a reader.
"""

__all__ = [
    "VerifyError",
    "CarrierError",
    "TruncatedError",
    "LimitExceeded",
    "LabelDecodeError",
    "C2paError",
    "UnsupportedFormat",
]


class VerifyError(Exception):
    """Root of every error the core raises on purpose."""

    code = "parse-error"


class CarrierError(VerifyError):
    """A container could not be parsed (bad structure, bad magic, impossible sizes)."""


class TruncatedError(CarrierError):
    """The container ends before a structure it announced."""


class LimitExceeded(VerifyError):
    """A bound (size, count, depth, decompressed bytes) was hit: treated as hostile input."""

    code = "resource-limit"


class LabelDecodeError(VerifyError):
    """A label payload could not be decoded at all (not JSON, not XML...)."""


class C2paError(VerifyError):
    """The C2PA library failed in a way that is not a validation result."""


class UnsupportedFormat(VerifyError):
    """The sniffed format has no reader."""

    code = "unsupported-format"
