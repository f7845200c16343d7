"""The one error the explicit-label stage raises: the pipeline reports it as "explicit-failed"."""

from ..errors import VerifyError

__all__ = ["ExplicitError"]


class ExplicitError(VerifyError):
    """Pictures, frames or sound could not be decoded, or the OCR engine failed."""

    code = "explicit-failed"
