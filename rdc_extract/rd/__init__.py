"""The only package area that talks to RenderDoc: module loading, version differences, replay and readback,
the replay-and-dump child, the in-app capture API and target control."""
