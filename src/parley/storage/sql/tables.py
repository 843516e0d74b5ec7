"""The schema, as SQLAlchemy Core tables. Alembic revisions in ``migrations/versions`` create
it; a test checks that the migrated database matches these tables exactly, so a change here
needs a new revision (``alembic revision --autogenerate`` drafts one, see docs/storage.md).

Timestamps are seconds since the epoch (``DOUBLE PRECISION``), as the events carry them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

# Fixed names for constraints and indexes, so revisions can name what they alter on every
# database alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", Text, nullable=False, server_default="production"),
    Column("sender_id", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    # The seq of the newest event: appends bump it under the row's lock, which hands every
    # writer (even in another process) a block of seq numbers of its own.
    Column("last_seq", Integer, nullable=False, server_default="0"),
    # The seq of the latest `action_session_start`, 0 before the first: a tracker load reads
    # from there on without scanning for it.
    Column("session_start_seq", Integer, nullable=False, server_default="0"),
    UniqueConstraint("environment", "sender_id"),
    # The conversation list of an environment, newest first.
    Index(None, "environment", "updated_at"),
)

events = Table(
    "events",
    metadata,
    # A global insertion order, for readers that follow every conversation (exports,
    # analytics). SQLite only auto-increments an INTEGER primary key.
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column(
        "conversation_id",
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("seq", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("timestamp", Double, nullable=False),
    Column("model_id", Text, nullable=True),
    # The event's Rasa JSON, as text: written and read whole, never queried inside.
    Column("data", Text, nullable=False),
    # Also the index of a tracker load: one range scan over (conversation_id, seq).
    UniqueConstraint("conversation_id", "seq"),
)

# -- the platform: projects, their models and training jobs --------------------------------
#
# Everything of a project hangs off its row (ON DELETE CASCADE): deleting the project
# deletes its files, models, tags, stored artifacts and jobs with it.

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    UniqueConstraint("name"),
)


def _project_id() -> Column[int]:
    return Column(
        "project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )


project_files = Table(
    "project_files",
    metadata,
    _project_id(),
    # Relative POSIX path, as in the project folder.
    Column("path", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
    PrimaryKeyConstraint("project_id", "path"),
)

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_id(),
    Column("name", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("registered", Double, nullable=False),
    Column("trained_by", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("parley_version", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    # The manifest's metrics as JSON text: shown, never queried inside.
    Column("metrics", Text, nullable=False),
    UniqueConstraint("project_id", "name"),
)

# The primary key is what makes a tag sit on one model of its project at most.
model_tags = Table(
    "model_tags",
    metadata,
    _project_id(),
    Column("tag", Text, nullable=False),
    Column("model_id", Integer, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("project_id", "tag"),
    Index(None, "model_id"),
)

# Artifacts of `models.storage: database`; each row is written once and never changed, so
# its id names a cached copy on disk for as long as the row lives.
model_artifacts = Table(
    "model_artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_id(),
    Column("name", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("project_id", "name"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_id(),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("progress", Double, nullable=False),
    Column("message", Text, nullable=False),
    # The newest part of the job's log (the store keeps a bounded tail).
    Column("log", Text, nullable=False),
    # What the job was asked, as JSON text.
    Column("params", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("started_at", Double, nullable=True),
    Column("finished_at", Double, nullable=True),
    Column("heartbeat_at", Double, nullable=True),
    Column("worker", Text, nullable=True),
    Column("model_name", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False),
    # The queue's view (queued / running jobs) and a project's jobs, newest first.
    Index(None, "status"),
    Index(None, "project_id", "id"),
)
