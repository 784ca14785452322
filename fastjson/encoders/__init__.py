"""Built-in encoders, one module per family.

``stdlib`` is registered when fastjson is imported; ``numpy``, ``pandas`` and
``_decimal`` are imported by the registry the first time an object of theirs
is seen.
"""
