"""Converting a user's tf_keras model to a scheme: `sparsify`.

    import tf_keras as keras
    import sparsezoo_tf

    model = keras.applications.ResNet50(weights=None)
    sparse, report = sparsezoo_tf.sparsify(model, "sc", match="flops")
    print(report)      # one row per convolution: kept / converted, costs

Modules: `graph` (what can be rewritten, the stem), `selection` (which
convolutions, which scheme part), `widths` (channel ties, the width
multiplier search), `rewrite` (the layer-by-layer rebuild and the weight
transfer), `report` (the report and its table), `api` (`sparsify`).
"""

from sparsezoo_tf.conversion.api import sparsify
from sparsezoo_tf.conversion.report import ConversionReport
from sparsezoo_tf.conversion.report import LayerConversion

__all__ = ["ConversionReport", "LayerConversion", "sparsify"]
