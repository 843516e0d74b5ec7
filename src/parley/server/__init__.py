"""The HTTP server: an ASGI app built by :func:`parley.server.app.create_app` around a
:class:`parley.server.bot.Bot` (the served assistant), with one route module per resource
and the channels mounted beside them."""
