"""The schema, as SQLAlchemy Core tables. Alembic revisions in ``migrations/versions`` create
it; a test checks that the migrated database matches these tables exactly, so a change here
needs a new revision (``alembic revision --autogenerate`` drafts one, see docs/storage.md).

Timestamps are seconds since the epoch (``DOUBLE PRECISION``), as the events carry them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
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
