"""Parley's shared vocabulary: the types every other part speaks. Imports nothing else of Parley."""
