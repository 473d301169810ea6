"""Entry points: load, models, export, demo, and the `bankconnect` CLI over them."""
