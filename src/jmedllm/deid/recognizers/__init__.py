"""Built-in recognizers, one module per family of categories. They register themselves
in :data:`jmedllm.deid.base.RECOGNIZERS` when imported (the registry imports them lazily)."""
