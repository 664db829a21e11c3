"""Built-in rails (plugins of ``guard.rail``)."""
