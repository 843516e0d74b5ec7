"""Operating Parley: metrics, logging (and, with later issues, the production checklist and
diagnostics)."""
