"""The NLU engine: a pipeline of components that turns a text into intent, entities and
retrieval answers. Built from a project's ``config.yml``; persisted into a model artifact."""
