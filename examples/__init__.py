"""Runnable examples of fastjson namespaces (``python -m examples.hello_rest``)."""
