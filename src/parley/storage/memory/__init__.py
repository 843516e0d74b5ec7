"""In-memory twins of the platform's stores, for unit tests and for a library user who
keeps nothing: the same contracts as ``parley.storage.sql``, gone when the process ends."""

from parley.storage.memory.job_store import MemoryJobStore
from parley.storage.memory.model_catalog import MemoryModelCatalog
from parley.storage.memory.model_store import MemoryModelStore
from parley.storage.memory.project_store import MemoryProjectStore

__all__ = ["MemoryJobStore", "MemoryModelCatalog", "MemoryModelStore", "MemoryProjectStore"]
