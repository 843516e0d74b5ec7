"""The dialogue engine: how an assistant decides what to do next (policies), and does it
(actions, forms, responses). Pure engine: outside services come in through
``parley.core.ports``."""
