"""The scheme registry: every pre-defined sparse scheme in one place.

    from sparsezoo_tf import schemes
    schemes.list_schemes()            # ['cw_sc', 'dense', ..., 'sc', ...]
    scheme = schemes.get_scheme("sc")
    scheme.for_conv(1).name           # 'cw_sc': CW-SC on 1x1 convolutions
    plan = schemes.plan_from_name("psc4", 3, 64, 64, seed=1)

`sparsezoo_tf.models.ConvPolicy`, the layers' modes, the zoo's families,
the benchmarks and the tools look schemes up here; README ("Schemes, and
adding one") shows how to register one. NumPy-only: importing it does not
import TensorFlow.
"""

from sparsezoo_tf.schemes.builtin import register_builtin_schemes
from sparsezoo_tf.schemes.registry import describe_schemes
from sparsezoo_tf.schemes.registry import get_scheme
from sparsezoo_tf.schemes.registry import is_pointwise
from sparsezoo_tf.schemes.registry import list_schemes
from sparsezoo_tf.schemes.registry import plan_from_name
from sparsezoo_tf.schemes.registry import register_scheme
from sparsezoo_tf.schemes.registry import Scheme
from sparsezoo_tf.schemes.registry import SchemeFamily
from sparsezoo_tf.schemes.registry import unregister_scheme

register_builtin_schemes()

__all__ = ["Scheme", "SchemeFamily", "describe_schemes", "get_scheme",
           "is_pointwise", "list_schemes", "plan_from_name", "register_scheme",
           "unregister_scheme"]
