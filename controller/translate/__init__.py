"""Pure translation: Resources -> (IR per Gateway, statuses)."""
from .core import translate
from .options import TranslateOptions, Translation

__all__ = ["TranslateOptions", "Translation", "translate"]
