"""The console adapter: a ChatPort that prints, and ``socialbot demo``."""
