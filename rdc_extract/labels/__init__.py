"""Labels: class mappings (raw stencil values → ids, trainIds, colours) and rebuilding a dataset's labels."""
