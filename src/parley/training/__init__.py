"""Training a project into a model artifact, reusing an earlier one when nothing changed."""
