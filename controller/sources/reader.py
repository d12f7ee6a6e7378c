"""Incremental reading of a manifest directory: on a change, re-read and re-parse only the files that changed.

`load_directory` reads and parses everything, which at 1,000 routes costs most of a second; a live source
calls `DirectoryReader.load(changed)` instead. The result is the same as `load_directory(root)` would give at
that moment: the tree is listed again every time (so added, deleted and moved files and folders are seen
whatever the watcher reported), but a file's text is re-read only when it was named as changed or its
(mtime, size) moved, and re-parsed only when its text differs (FileCache).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..resources import Resources, SourceError
from .files import FileCache, manifest_paths


class DirectoryReader:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.cache = FileCache()
        self._texts: dict[str, tuple[int, int, str]] = {}  # path -> (mtime_ns, size, text)
        self.read = 0  # files read from disk by the last load (tests and logs read it)

    def files(self, changed: Iterable[str] = ()) -> dict[str, str]:
        # Named paths are re-read even when (mtime, size) match: a same-size rewrite within the filesystem's
        # timestamp granularity would otherwise go unnoticed.
        named = {os.path.abspath(p) for p in changed}
        texts: dict[str, tuple[int, int, str]] = {}
        self.read = 0
        for path in manifest_paths(self.root):
            key = str(path)
            try:
                st = path.stat()  # before reading: a write after it changes the stat we keep, so it is seen
                prev = self._texts.get(key)
                if prev is None or prev[:2] != (st.st_mtime_ns, st.st_size) or os.path.abspath(key) in named:
                    prev = (st.st_mtime_ns, st.st_size, path.read_text(encoding="utf-8", errors="replace"))
                    self.read += 1
            except FileNotFoundError:
                continue  # deleted between listing and reading: it is not part of the desired state
            texts[key] = prev
        self._texts = texts
        return {k: v[2] for k, v in texts.items()}

    def load(self, changed: Iterable[str] = ()) -> tuple[Resources, list[SourceError]]:
        return self.cache.parse(self.files(changed))

    @property
    def parsed(self) -> int:
        """Documents decoded and validated by the last load."""
        return self.cache.parsed
