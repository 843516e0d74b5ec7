"""The ``parley`` command line: a thin layer over plain functions in the rest of the package.

``app.py`` builds the Typer app from one module per command group; each module's
``register`` adds its commands.
"""
