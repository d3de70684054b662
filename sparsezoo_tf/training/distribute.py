"""`tf.distribute` strategies by name, for the training tools.

    default                 one device (TensorFlow's default strategy)
    mirrored                all local GPUs (or the CPU), synchronous
    multi_worker_mirrored   synchronous over the workers named in TF_CONFIG
                            (one worker, the local devices, without it)
    tpu                     a Cloud TPU (`--tpu` address or name, "local" on
                            a TPU VM)

A multi-worker strategy must be created before TensorFlow runs anything
(collective ops are configured at program start), so the tools create it
first.
"""

import socket
from typing import Optional
from urllib import parse

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker_mirrored", "tpu")
_PROBE_SECONDS = 10.0


def make_strategy(name: str, tpu: str = "") -> tf.distribute.Strategy:
  """The strategy called `name` (one of STRATEGIES).

  Args:
    name: the strategy.
    tpu: for "tpu": a gRPC address ("grpc://10.0.0.2:8470"), a Cloud TPU
      name, or "local" on a TPU VM.

  Raises:
    ValueError: unknown name, or `tpu` given to another strategy.
    RuntimeError: "tpu" and no TPU is reachable, saying where it looked.
  """
  if name not in STRATEGIES:
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")
  if tpu and name != "tpu":
    raise ValueError(f"a TPU address ({tpu!r}) is only used with the 'tpu' "
                     f"strategy, not {name!r}")
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker_mirrored":
    return tf.distribute.MultiWorkerMirroredStrategy()
  return _tpu_strategy(tpu)


def _tpu_strategy(address: str) -> tf.distribute.Strategy:
  where = f"--tpu={address!r}" if address else "no --tpu given"
  if address.startswith("grpc://"):
    _probe(address, where)
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  except (ValueError, RuntimeError, tf.errors.OpError) as error:
    first_line = str(error).strip().splitlines()[0] if str(error) else ""
    raise RuntimeError(
        f"strategy 'tpu': no TPU reachable ({where}): "
        f"{type(error).__name__}: {first_line}. Give --tpu a Cloud TPU name, "
        f"a grpc://host:port address, or 'local' on a TPU VM") from None


def _probe(address: str, where: str) -> None:
  """Fails fast when nothing listens at a grpc:// address (TensorFlow
  would wait for it forever)."""
  url = parse.urlparse(address)
  try:
    with socket.create_connection((url.hostname, url.port or 8470),
                                  timeout=_PROBE_SECONDS):
      pass
  except OSError as error:
    raise RuntimeError(f"strategy 'tpu': no TPU reachable ({where}): "
                       f"cannot connect to {url.hostname}:"
                       f"{url.port or 8470} ({error})") from None


def strategy_name(strategy: Optional[tf.distribute.Strategy] = None) -> str:
  """The STRATEGIES name of a strategy (its class name for others)."""
  strategy = strategy or tf.distribute.get_strategy()
  for cls, name in ((tf.distribute.TPUStrategy, "tpu"),
                    (tf.distribute.MultiWorkerMirroredStrategy,
                     "multi_worker_mirrored"),
                    (tf.distribute.MirroredStrategy, "mirrored")):
    if isinstance(strategy, cls):
      return name
  name = type(strategy).__name__
  return "default" if name == "_DefaultDistributionStrategy" else name


def is_chief(strategy: Optional[tf.distribute.Strategy] = None) -> bool:
  """Whether this process writes the run's outputs: always, except for
  the workers of a multi-worker run other than the chief (or worker 0 when
  the cluster has no chief)."""
  task_type, task_id, cluster = _task(strategy)
  if task_type is None or task_type == "chief":
    return True
  return task_type == "worker" and task_id == 0 and "chief" not in cluster


def worker_name(strategy: Optional[tf.distribute.Strategy] = None) -> str:
  """"chief" for the chief, else "<task type>_<task id>" ("worker_1")."""
  if is_chief(strategy):
    return "chief"
  task_type, task_id, _ = _task(strategy)
  return f"{task_type}_{task_id}"


def _task(strategy):
  strategy = strategy or tf.distribute.get_strategy()
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not getattr(resolver, "task_type", None):
    return None, None, {}
  if isinstance(strategy, tf.distribute.TPUStrategy):
    return None, None, {}
  return (resolver.task_type, resolver.task_id,
          resolver.cluster_spec().as_dict())
