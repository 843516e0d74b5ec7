"""Training jobs, run away from the serving path.

A job is a row (:class:`~parley.core.ports.JobStore`); a queue only carries its id to a
worker. The worker claims the row, starts a training process of its own and beats for it
(:mod:`parley.worker.supervisor`); the process trains and registers the model
(:mod:`parley.worker.training_job`). The queue is a thread of the server
(:mod:`parley.worker.embedded`) or Redis with ``parley worker`` processes
(:mod:`parley.worker.rq_worker`). See ``docs/training.md``.
"""
