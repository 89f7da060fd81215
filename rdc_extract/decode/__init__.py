"""Pure decoding of RenderDoc texture readbacks: no ``renderdoc`` import in this package.

- ``formats``: ``TextureFormat`` / ``TextureDesc``, plain copies of RenderDoc's format data.
- ``textures``: raw ``GetTextureData`` bytes → colour, integer, depth and stencil arrays.
- ``depth``: window depth → metric z distance / range, intrinsics, KITTI encoding.
- ``normals``: G-buffer normal encodings → unit normals in the OpenCV camera frame.
"""

from rdc_extract.decode.formats import TextureDesc, TextureFormat

__all__ = ["TextureDesc", "TextureFormat"]
