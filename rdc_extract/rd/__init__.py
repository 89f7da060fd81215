"""The only package area that talks to RenderDoc: module loading, version differences, replay."""
