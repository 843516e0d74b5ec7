"""What several Parley processes share through Redis: the training queue (and, later,
locks, pub/sub and socket.io's manager). Every key starts with ``redis.scope``."""
