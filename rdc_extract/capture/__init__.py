"""Capture side: talking to RenderDoc inside (in-app API) and around (launcher) a game."""
