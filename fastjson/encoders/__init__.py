"""Built-in encoders, one module per family.

``stdlib`` is registered when fastjson is imported; ``numpy`` and ``pandas``
are imported by the registry the first time an object of theirs is seen.
"""
