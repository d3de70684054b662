"""Model families: one module per architecture, each defining its builder
and its registered entry points (`sparsezoo_tf.models` exports them)."""
