r"""PASCAL VOC detection sets (the VOCdevkit layout) as one COCO-format JSON
file, ready for Model Garden's COCO TFRecord converter and COCOEvaluator.

    # 07+12 trainval (paper 003's training set) and the VOC2007 test set:
    python tools/voc_to_coco.py --voc_root /data/VOCdevkit \
        --sets 2007:trainval,2012:trainval --output /data/voc/trainval0712.json
    python tools/voc_to_coco.py --voc_root /data/VOCdevkit \
        --sets 2007:test --output /data/voc/test2007.json

--voc_root is the folder the VOC tar files extract into (VOCdevkit/, with
VOC2007/ and VOC2012/ in it); --sets lists year:split pairs, each the ids of
VOC<year>/ImageSets/Main/<split>.txt; the sets must not overlap. Each
image's `file_name` in the JSON is its path relative to --voc_root
(VOC2007/JPEGImages/000005.jpg), so images of several years live in one
file and need no copying, and the TFRecords are made with Model Garden's
own converter, its --image_dir being --voc_root:

    python -m official.vision.data.create_coco_tf_record \
        --image_dir=/data/VOCdevkit \
        --object_annotations_file=/data/voc/trainval0712.json \
        --output_file_prefix=/data/voc/tfrecords/trainval0712 \
        --num_shards=32

(--num_processes=0 writes in one process.) The same JSON is the
COCOEvaluator's `annotation_file`.

Boxes: COCO [x, y, w, h] from VOC's 1-based inclusive corners, x = xmin - 1,
w = xmax - xmin + 1; a box sticking out of its image is clipped to it and
counted (--noclip: a bad image instead). Difficult objects (--difficult):
"ignore" (the default) writes them with iscrowd 1, so that Model Garden's
Mask R-CNN input skips them as training targets and COCOeval counts a
detection on one neither right nor wrong, and missing one no miss; they
also carry "difficult": 1 for the VOC metric. "train" keeps them as
ordinary targets, "drop" leaves them out. See `sparsezoo_tf.data.voc`.

Bad input: a missing folder or split file is an error; a bad image (a
missing or malformed Annotations XML, an unknown class, a box with no
pixel in the image, a missing image file; with --verify_images an image
PIL cannot open or whose size is not the XML's) is an error naming the
file and field, unless --max_skipped allows leaving it out: each skipped
image is then a warning on stderr and is counted in the summary.

Prints one summary line: images, objects, difficult, clipped, skipped.
The JSON is written atomically; an existing --output is replaced only
with --overwrite.
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # quiet logs; the repository on sys.path

FLAGS = flags.FLAGS
flags.DEFINE_string("voc_root", None, "The VOCdevkit folder (holding "
                    "VOC2007/, VOC2012/).")
flags.DEFINE_string("sets", None, "Comma-separated year:split pairs, e.g. "
                    "2007:trainval,2012:trainval.")
flags.DEFINE_string("output", None, "The COCO-format JSON file to write.")
flags.DEFINE_bool("overwrite", False, "Replace an existing --output.")
flags.DEFINE_enum("difficult", "ignore", ["ignore", "train", "drop"],
                  "Difficult objects: ignore (iscrowd 1), train (ordinary "
                  "targets) or drop (left out).")
flags.DEFINE_bool("clip", True, "Clip boxes that stick out of their image "
                  "(else such an image is bad).")
flags.DEFINE_bool("verify_images", False, "Read each image's header and "
                  "check its size against the XML's.")
flags.DEFINE_integer("max_skipped", 0, "How many bad images may be left "
                     "out (each with a warning) before one is an error.",
                     lower_bound=0)
flags.mark_flags_as_required(["voc_root", "sets", "output"])

# Skipped images named one by one on stderr; the rest only counted.
MAX_WARNINGS = 20


def _check_cheap_flags() -> None:
  """What can be refused before the package (and TensorFlow) loads."""
  if not os.path.isdir(FLAGS.voc_root):
    raise ValueError(f"--voc_root {FLAGS.voc_root} is not a folder; give "
                     f"the VOCdevkit folder (holding VOC2007/, VOC2012/)")
  output = FLAGS.output
  folder = os.path.dirname(os.path.abspath(output))
  if not os.path.isdir(folder):
    raise ValueError(f"--output {output}: the folder {folder} does not "
                     f"exist")
  if os.path.isdir(output):
    raise ValueError(f"--output {output} is a folder; give a .json file")
  if os.path.exists(output) and not FLAGS.overwrite:
    raise ValueError(f"--output {output} exists; give --overwrite to "
                     f"replace it")


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()  # the package imports TensorFlow
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.data import files
  from sparsezoo_tf.data import voc
  sets = voc.parse_sets(FLAGS.sets)
  result = voc.voc_to_coco(
      FLAGS.voc_root, sets, difficult=FLAGS.difficult, clip=FLAGS.clip,
      verify_images=FLAGS.verify_images, max_skipped=FLAGS.max_skipped)
  for message in result.skipped[:MAX_WARNINGS]:
    _cli.warn(f"skipped: {message}")
  if len(result.skipped) > MAX_WARNINGS:
    _cli.warn(f"... and {len(result.skipped) - MAX_WARNINGS} more skipped "
              f"images")
  files.write_json_compact(FLAGS.output, result.coco)
  names = ",".join(f"{year}:{split}" for year, split in sets)
  print(f"VOC {names} -> {FLAGS.output}: {result.num_images} images, "
        f"{result.num_objects} objects, {result.num_difficult} difficult "
        f"({FLAGS.difficult}), {result.num_clipped} clipped, "
        f"{len(result.skipped)} skipped")


if __name__ == "__main__":
  _cli.run(main)
