"""Paper 001's design-space reduction: from 4^1 + ... + 4^6 sequences of
basic sparse kernels to the four final designs.

    python tools/design_space.py [--max_length 6] [--channels 64]

Prints how many candidates each filter removed and the surviving designs
with their parameter efficiency (see sparsezoo_tf/analysis/design_space.py
for the filters and why each is there).
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

from sparsezoo_tf.analysis import design_space

FLAGS = flags.FLAGS
flags.DEFINE_integer("max_length", design_space.MAX_LENGTH,
                     "Longest kernel sequence (the paper: 6).", lower_bound=1,
                     upper_bound=8)
flags.DEFINE_integer("channels", design_space.DEFAULT_CHANNELS,
                     "Channel count C whose divisors are tried as group "
                     "numbers.", lower_bound=8)
flags.DEFINE_integer("efficiency_width", 256,
                     "C = F at which the parameter ratios are printed.",
                     lower_bound=8)


def main(argv):
  del argv
  reduction = design_space.reduce_design_space(FLAGS.max_length,
                                               FLAGS.channels)
  print(design_space.format_reduction(reduction, FLAGS.efficiency_width))


if __name__ == "__main__":
  _cli.run(main)
