"""Clients of the outside services Parley talks to over the network; each implements a
protocol of :mod:`parley.core.ports`, and :mod:`parley.bootstrap` picks which one runs."""
