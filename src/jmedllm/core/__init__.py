"""Shared foundations: records, the plugin registry, settings, errors, Japanese text
utilities and model references. No torch, fastapi or spacy at import time."""
