"""What the fake server keeps between requests: uploaded files and batches."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Store", "StoredFile"]


@dataclass
class StoredFile:
    """An uploaded (or generated) file: its object as the API shows it, and its bytes."""

    info: dict[str, Any]
    content: bytes


@dataclass
class Store:
    """Files and batches by id, in creation order; safe to use from the server's threads."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
