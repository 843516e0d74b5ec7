"""Option values shared by several commands."""

from __future__ import annotations

MAX_SEED = 2**32 - 1
"""Seeds go to numpy and scikit-learn, which take 0 … 2³²−1."""
