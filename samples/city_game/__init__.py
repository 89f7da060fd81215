"""A small capturable city driving game with a deferred renderer, for testing rdc-extract.

Run with ``python -m samples.city_game``; see docs/sample_game.md.
"""
