"""Pure translation: Resources -> (IR per Gateway, statuses)."""
from .core import translate
from .incremental import TranslateCache
from .options import TranslateOptions, Translation

__all__ = ["TranslateCache", "TranslateOptions", "Translation", "translate"]
