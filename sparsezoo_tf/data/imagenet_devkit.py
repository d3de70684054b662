"""Labels of the flat ILSVRC-2012 validation folder (`val/*.JPEG`, as
extracted from ILSVRC2012_img_val.tar), from the development kit.

Two ways, tried in this order, each file looked for in `data_dir`, in
`data_dir/val` and in `data_dir/ILSVRC2012_devkit_t12/data`:

1. `val_labels.txt`: one "<file name> <wnid>" line per image.
2. The devkit's `ILSVRC2012_validation_ground_truth.txt` (line i: the
   1-based ILSVRC2012_ID of `ILSVRC2012_val_<i, 8 digits>.JPEG`) and its
   `meta.mat` (the `synsets` struct array: ILSVRC2012_ID -> WNID), read with
   scipy.io.loadmat. Image names without that 8-digit number are matched
   to the lines in file-name order.
"""

import os
import re
from typing import Dict, List, Sequence, Tuple

GROUND_TRUTH = "ILSVRC2012_validation_ground_truth.txt"
META = "meta.mat"
VAL_LABELS = "val_labels.txt"
DEVKIT_DATA = os.path.join("ILSVRC2012_devkit_t12", "data")
_NUMBER = re.compile(r"_(\d{8})\.[A-Za-z]+$")


def _find(data_dir: str, name: str):
  for folder in (data_dir, os.path.join(data_dir, "val"),
                 os.path.join(data_dir, DEVKIT_DATA)):
    path = os.path.join(folder, name)
    if os.path.isfile(path):
      return path
  return None


def expected_files() -> str:
  """What the flat validation folder needs, for error messages."""
  return (f"{VAL_LABELS} ('<file> <wnid>' lines), or the devkit's "
          f"{GROUND_TRUTH} with {META} (needs scipy), in data_dir, "
          f"data_dir/val or data_dir/{DEVKIT_DATA}")


def _read_val_labels(path: str) -> Dict[str, str]:
  labels = {}
  with open(path) as f:
    for number, line in enumerate(f, 1):
      fields = line.split()
      if not fields:
        continue
      if len(fields) != 2:
        raise ValueError(f"{path} line {number}: expected '<file name> "
                         f"<wnid>', got {line.strip()!r}")
      labels[os.path.basename(fields[0])] = fields[1]
  return labels


def _synsets(path: str) -> List[Tuple[int, str, int]]:
  """(ILSVRC2012_ID, WNID, num_children) of each synset in meta.mat."""
  try:
    from scipy import io as scipy_io  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise ValueError(
        f"reading {path} needs scipy, which is not installed; install it or "
        f"provide {VAL_LABELS} with '<file name> <wnid>' lines") from error
  try:
    synsets = scipy_io.loadmat(path, squeeze_me=True)["synsets"]
    ids = [int(i) for i in synsets["ILSVRC2012_ID"].ravel()]
    wnids = [str(w) for w in synsets["WNID"].ravel()]
    if "num_children" in synsets.dtype.names:
      children = [int(c) for c in synsets["num_children"].ravel()]
    else:
      children = [0] * len(ids)
  except (KeyError, ValueError, TypeError, IndexError) as error:
    raise ValueError(f"{path} is not the ILSVRC-2012 devkit's meta.mat "
                     "(a 'synsets' struct array with ILSVRC2012_ID and "
                     f"WNID): {error}") from error
  return list(zip(ids, wnids, children))


def read_meta(path: str) -> Dict[int, str]:
  """ILSVRC2012_ID -> WNID of the devkit's meta.mat."""
  return {class_id: wnid for class_id, wnid, _ in _synsets(path)}


def leaf_wnids(path: str) -> List[str]:
  """The wnids of the classes (synsets without children) in meta.mat."""
  return [wnid for _, wnid, children in _synsets(path) if children == 0]


def _ground_truth_wnids(data_dir: str, names: Sequence[str]) -> List[str]:
  truth_path, meta_path = _find(data_dir, GROUND_TRUTH), _find(data_dir, META)
  if truth_path is None or meta_path is None:
    raise ValueError(f"the flat validation folder {data_dir}/val needs "
                     f"labels: expected {expected_files()}")
  with open(truth_path) as f:
    truth = [int(line) for line in f if line.strip()]
  id_to_wnid = read_meta(meta_path)
  numbers = [_NUMBER.search(name) for name in names]
  if all(numbers):
    positions = [int(match.group(1)) - 1 for match in numbers]
  elif len(names) == len(truth):
    positions = list(range(len(names)))
  else:
    raise ValueError(f"{truth_path} has {len(truth)} labels for "
                     f"{len(names)} validation images whose names lack the "
                     "ILSVRC2012_val_<8 digits> number")
  wnids = []
  for name, position in zip(names, positions):
    if not 0 <= position < len(truth):
      raise ValueError(f"{name}: no line {position + 1} in {truth_path} "
                       f"({len(truth)} lines)")
    class_id = truth[position]
    if class_id not in id_to_wnid:
      raise ValueError(f"{truth_path} line {position + 1}: ILSVRC2012_ID "
                       f"{class_id} is not in {meta_path}")
    wnids.append(id_to_wnid[class_id])
  return wnids


def flat_val_wnids(data_dir: str, names: Sequence[str]) -> List[str]:
  """The wnid of each flat validation image (by file name).

  Args:
    data_dir: the ImageNet folder (holding `val/`).
    names: the image file names in `val/`.

  Returns:
    One wnid per name.

  Raises:
    ValueError: when no label file is found or a name has no label.
  """
  val_labels = _find(data_dir, VAL_LABELS)
  if val_labels is None:
    return _ground_truth_wnids(data_dir, names)
  labels = _read_val_labels(val_labels)
  missing = [name for name in names if name not in labels]
  if missing:
    raise ValueError(f"{val_labels} has no label for {len(missing)} images, "
                     f"e.g. {missing[0]}")
  return [labels[name] for name in names]


def flat_val_classes(data_dir: str) -> List[str]:
  """Sorted class wnids known from the label files alone (when there is no
  train folder to take them from)."""
  val_labels = _find(data_dir, VAL_LABELS)
  if val_labels is not None:
    return sorted(set(_read_val_labels(val_labels).values()))
  meta_path = _find(data_dir, META)
  if meta_path is None:
    raise ValueError(f"no classes for the flat validation folder: expected "
                     f"{expected_files()}")
  return sorted(leaf_wnids(meta_path))
