"""A content-keyed directory cache for built models, shared by every builder in this package.

A model directory is built in a private temporary directory beside its final place and renamed into
place only when complete, so a crash or a concurrent builder never leaves a half-written model where
a reader would pick it up. The key is a hash of everything the content depends on; a changed recipe
gets a new directory instead of silently reusing an old one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "cache_root", "cached_build", "content_key"]

logger = logging.getLogger(__name__)

# Overrides the cache location (CI runners, read-only homes).
CACHE_ENV = "AZR_VERL_CACHE"

# Written last into a finished directory; its presence is what "built" means.
_DONE_MARKER = "azr_build.json"


def cache_root() -> Path:
    """The root of azr-verl's cache: $AZR_VERL_CACHE, else ~/.cache/azr-verl."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "azr-verl"


def content_key(recipe: Mapping[str, Any], length: int = 16) -> str:
    """A short stable hash of a JSON-serializable recipe."""
    blob = json.dumps(recipe, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def cached_build(
    name: str,
    recipe: Mapping[str, Any],
    build: Callable[[Path], None],
    root: Path | None = None,
) -> Path:
    """Return `<root>/models/<name>-<key>`, building it with `build(tmp_dir)` if it is missing.

    Args:
        name: Human-readable prefix of the directory name.
        recipe: Everything the content depends on; hashed into the directory name.
        build: Writes the model into the (empty, temporary) directory it is given.
        root: Cache root; defaults to `cache_root()`.

    Returns:
        The finished directory.
    """
    models_dir = (root or cache_root()) / "models"
    final = models_dir / f"{name}-{content_key(recipe)}"
    if (final / _DONE_MARKER).is_file():
        return final
    models_dir.mkdir(parents=True, exist_ok=True)
    if final.exists():
        # A leftover without the marker is from an interrupted older layout: never trust it.
        shutil.rmtree(final, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=models_dir))
    try:
        build(tmp)
        (tmp / _DONE_MARKER).write_text(json.dumps(dict(recipe), sort_keys=True, default=str, indent=1))
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process finished first (the target exists and is not empty): use its copy.
            if not (final / _DONE_MARKER).is_file():
                raise
            logger.info("model cache: %s was built concurrently; using the existing copy", final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("model cache: built %s", final)
    return final
