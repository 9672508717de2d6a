"""Helpers and model definitions for scripts/make-onnx-fixtures.py (see its docstring)."""
