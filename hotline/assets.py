"""Subresource Integrity for what the pages load, and the hashes an organisation compares.

Every script and style tag carries `integrity="sha384-..."` of the exact file served, so a
file swapped on the server or in a cache is refused by the browser. The bundle builds
byte for byte from the lockfile (tests/unit/test_reproducible_build.py), so an
organisation can rebuild a release and compare `flask web asset-hashes` with it.

Hashes are cached per file with its size and modification time as the key: a rebuilt file
is hashed again on the next page; an unchanged one is not re-read on every request.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

SERVED_PATTERNS = ("build/*.js", "css/*.css")


@dataclass(frozen=True)
class AssetHash:
    path: str  # relative to the static folder
    size: int
    sha256_hex: str
    sri: str  # "sha384-<base64>"
    resolved: Path = field(compare=False, repr=False)


class AssetHashes:
    def __init__(self, static_folder: Path) -> None:
        self.root = static_folder.resolve()
        self._cache: dict[str, tuple[tuple[int, int], AssetHash]] = {}
        self._lock = threading.Lock()

    def get(self, relative: str) -> AssetHash:
        with self._lock:
            cached = self._cache.get(relative)
        # A name checked once stays inside the folder; resolving it again on every page
        # (a stat per path component, eight assets a page) is the larger part of the cost.
        path = cached[1].resolved if cached is not None else (self.root / relative).resolve()
        if self.root not in path.parents:
            raise ValueError("asset outside the static folder")
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = path.read_bytes()
        found = AssetHash(
            relative,
            len(data),
            hashlib.sha256(data).hexdigest(),
            "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii"),
            path,
        )
        with self._lock:
            self._cache[relative] = (stamp, found)
        return found

    def integrity(self, relative: str) -> str:
        return self.get(relative).sri

    def served(self) -> list[AssetHash]:
        names = sorted(
            {
                str(p.relative_to(self.root))
                for pattern in SERVED_PATTERNS
                for p in self.root.glob(pattern)
            }
        )
        return [self.get(name) for name in names]
