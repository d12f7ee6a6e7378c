"""How each byte format refuses input: one exception class per format, the message says exactly why."""
from __future__ import annotations


class VerifyError(ValueError):
    """A bytecode program refused by the verifier."""


class RegexFormatError(ValueError):
    """A binary regex program that fails verification; ``reason`` says exactly what is wrong."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BundleError(ValueError):
    """A plugin configuration the filter would refuse."""
