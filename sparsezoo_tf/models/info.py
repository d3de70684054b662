"""What the zoo records about a model: `ModelInfo`, its `PaperRow`s and
its `WeightsEntry`s.

Plain data, imported by the registry, the paper-row tables and the families
alike (so that none of them imports another for its types); only
`ModelInfo.params` builds a model, on first use.
"""

import dataclasses
from typing import Dict, Optional, Tuple

PARAMS_COUNTED = ("all", "convolutions")
FLOAT32_BYTES = 4
# ModelInfo.params, by model name.
_PARAMS: Dict[str, int] = {}


@dataclasses.dataclass(frozen=True)
class PaperRow:
  """One row of a paper's table.

  Attributes:
    paper: the seed file's number ("000" ... "004", see shared/seeds).
    table: e.g. "Table 10".
    row: the row's label as printed.
    params: parameters in the table (absolute count).
    flops: multiply-adds in the table (absolute count), or None when the
      table gives none.
    note: how the row was read, where that needed a decision.
    mismatch: why this row cannot be matched (the table test expects it to
      fail, and fails if it passes); empty when it must match.
    params_counted: what the paper's parameter column counts: "all"
      trainable parameters, or "convolutions" only (no BN, no classifier).
    params_unit: the precision the table prints parameters with (e.g. 1e3
      for "0.056 M"); a count that rounds to the printed value matches.
  """
  paper: str
  table: str
  row: str
  params: Optional[float] = None
  flops: Optional[float] = None
  note: str = ""
  mismatch: str = ""
  params_counted: str = "all"
  params_unit: float = 0.0

  def __post_init__(self):
    if self.params_counted not in PARAMS_COUNTED:
      raise ValueError(f"params_counted must be one of {PARAMS_COUNTED}, "
                       f"got {self.params_counted!r}")
    if self.params_unit < 0:
      raise ValueError(f"params_unit must be >= 0, got {self.params_unit!r}")


@dataclasses.dataclass(frozen=True)
class ModelInfo:
  """What the zoo knows about a model.

  Attributes:
    name: the registered name.
    family: "resnet", "vgg", "densenet", "igc", "sparse_kernel", ...
    scheme: the registered scheme of its convolutions
      (`sparsezoo_tf.schemes`): "dense", "sc", "sc_seq", "sc_comb",
      "scfusion<a>", "psc<k>", "igcv2", "pw_gconv16_pw", ...
    dataset: the dataset its architecture is for ("imagenet", "cifar10",
      "cifar100", "tiny_imagenet", "digits", "digits_canvas").
    input_shape: default input (rows, cols, channels).
    classes: default number of classes.
    preprocessing: name of the preprocessing (`sparsezoo_tf.models.
      preprocess_input` modes).
    rows: the paper rows this model reproduces (params / FLOPs checked by
      the tests).
    baseline: name of the dense model built by the same code, or None for
      a dense model.
    description: one line.

  Properties (counted on first use, by building the model once at its
  default input, weights allocated; cached):
    params: every weight of the model, trainable or not (BatchNorm's
      moving statistics included): what a weights file stores.
    float32_bytes: `params` x 4, the model's size in float32 the way paper
      003 (Table 9, "Model (MB)") states sizes.
  """
  name: str
  family: str
  scheme: str
  dataset: str
  input_shape: Tuple[int, int, int]
  classes: int
  preprocessing: str
  rows: Tuple[PaperRow, ...] = ()
  baseline: Optional[str] = None
  description: str = ""

  @property
  def params(self) -> int:
    """Every weight of the registered model `name` (see the class
    docstring)."""
    if self.name not in _PARAMS:
      # pylint: disable-next=g-import-not-at-top
      from sparsezoo_tf.models import registry
      # Eagerly: a model built in a tf.Graph would invalidate the caller's
      # eager Keras models.
      model = registry.create_model(self.name, weights=None)
      _PARAMS[self.name] = int(model.count_params())
      del model
    return _PARAMS[self.name]

  @property
  def float32_bytes(self) -> int:
    """The model's size in bytes as float32: `params` x 4."""
    return FLOAT32_BYTES * self.params


@dataclasses.dataclass(frozen=True)
class WeightsEntry:
  """One named set of weights.

  Attributes:
    model: the registered model name.
    name: the weights name (`weights=` argument), e.g. "digits".
    file_name: the .h5 file.
    sha256: its hash; None while no file exists.
    dataset: what it was trained on.
    classes: the head's class count.
    input_shape: the input it was trained at.
    recipe: the config in `configs/` that produces it.
    metrics: measured results, e.g. {"top1": 0.97}.
    url: where to download it, or None.
  """
  model: str
  name: str
  file_name: str
  sha256: Optional[str]
  dataset: str
  classes: int
  input_shape: Tuple[int, int, int]
  recipe: str
  metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
  url: Optional[str] = None

  @property
  def available(self) -> bool:
    return self.sha256 is not None
