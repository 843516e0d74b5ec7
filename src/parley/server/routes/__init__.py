"""One module per resource; :mod:`parley.server.app` includes their routers."""
