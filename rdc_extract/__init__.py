"""rdc-extract: RenderDoc frame captures of games -> labelled computer-vision datasets."""

__version__ = "0.1.0"
