"""Turning one capture into one labelled training frame (plan → replay → decode → write)."""
