r"""Writes the digits_detection dataset (COCO JSON + PNG images).

    python tools/make_digits_detection.py --output_dir /data/digits_detection

writes, atomically (a temporary sibling folder renamed at the end: a failed
run leaves nothing; an existing non-empty --output_dir is refused unless
--overwrite, which replaces it):

    <output_dir>/images/<image_id>.png
    <output_dir>/annotations/<split>.json

the same bytes for the same flags (`sparsezoo_tf.data.digits_detection`
defines the dataset: scikit-learn's 8x8 digits, 1-4 per 96x96 canvas, tight
boxes, categories "0".."9" with COCO ids 1..10, 6000 / 1000 / 1000 images
in train / val / test). It prints, for each split, its images and digits.

Model Garden's converter takes the output as it is:

    python -m official.vision.data.create_coco_tf_record \
      --image_dir=<output_dir>/images \
      --object_annotations_file=<output_dir>/annotations/train.json \
      --output_file_prefix=<records>/train --num_shards=8
"""

import os
import time

import _cli  # quiet logs; puts the repository on sys.path
from absl import flags

SPLITS = ("train", "val", "test")

flags.DEFINE_string("output_dir", None, "Folder to write the dataset to "
                    "(its parent must exist).")
flags.DEFINE_list("splits", list(SPLITS), "Splits to write, some of "
                  f"{', '.join(SPLITS)}.")
flags.DEFINE_integer("seed", 0, "Seed of the canvases (the split of the "
                     "digits into train / val / test does not depend on "
                     "it).", lower_bound=0)
flags.DEFINE_integer("canvas_size", 96, "Side of the square canvases.",
                     lower_bound=1)
flags.DEFINE_integer("limit", None, "At most this many images per split "
                     "(the first ones of the full split), for quick "
                     "checks.", lower_bound=1)
flags.DEFINE_boolean("overwrite", False, "Replace an existing non-empty "
                     "--output_dir.")
flags.mark_flag_as_required("output_dir")
FLAGS = flags.FLAGS


def _check_cheap_flags() -> None:
  """Errors found before TensorFlow is imported (it takes seconds)."""
  if not FLAGS.splits:
    raise ValueError(f"--splits is empty: give some of {', '.join(SPLITS)}")
  unknown = [split for split in FLAGS.splits if split not in SPLITS]
  if unknown:
    raise ValueError(f"--splits {','.join(FLAGS.splits)}: give some of "
                     f"{', '.join(SPLITS)}")
  if len(set(FLAGS.splits)) != len(FLAGS.splits):
    raise ValueError(f"--splits {','.join(FLAGS.splits)}: a split is "
                     f"repeated")
  _cli.check_output_folder("output_dir", FLAGS.output_dir, FLAGS.overwrite)


def _size_mb(folder: str) -> float:
  total = 0
  for directory, _, files in os.walk(folder):
    total += sum(os.path.getsize(os.path.join(directory, name))
                 for name in files)
  return total / 2**20


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()
  # pylint: disable-next=g-import-not-at-top
  from sparsezoo_tf.data import digits_detection
  start = time.perf_counter()
  counts = digits_detection.write_coco(
      FLAGS.output_dir, FLAGS.splits, limit=FLAGS.limit,
      overwrite=FLAGS.overwrite, canvas_size=FLAGS.canvas_size,
      seed=FLAGS.seed)
  seconds = time.perf_counter() - start
  for split, count in counts.items():
    print(f"{split}: {count.images} images, {count.objects} digits "
          f"(annotations/{split}.json)")
  total = sum(count.images for count in counts.values())
  print(f"wrote {FLAGS.output_dir}: {total} images, "
        f"{_size_mb(FLAGS.output_dir):.2f} MB, in {seconds:.1f} s")


if __name__ == "__main__":
  _cli.run(main)
