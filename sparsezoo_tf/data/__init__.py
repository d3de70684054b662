"""Datasets as tf.data pipelines: `make_dataset` for the zoo's datasets
(digits, digits on canvases, ImageNet, CIFAR-10/100, Tiny ImageNet), plus
the embedded digits, their localization canvases and the ILSVRC
localization ground truth."""

from sparsezoo_tf.data.digits import digits_arrays
from sparsezoo_tf.data.digits import digits_dataset
from sparsezoo_tf.data.digits import DIGITS_SPLITS
from sparsezoo_tf.data.digits_canvas import canvas_dataset
from sparsezoo_tf.data.digits_canvas import CANVAS_SPLITS
from sparsezoo_tf.data.digits_canvas import CanvasSet
from sparsezoo_tf.data.digits_canvas import make_canvases
from sparsezoo_tf.data.imagenet_localization import eval_crop_boxes
from sparsezoo_tf.data.imagenet_localization import ImageBoxes
from sparsezoo_tf.data.imagenet_localization import read_bbox_folder
from sparsezoo_tf.data.imagenet_localization import read_bbox_xml
from sparsezoo_tf.data.imagenet_localization import read_ground_truth
from sparsezoo_tf.data.imagenet_localization import read_solution_csv
from sparsezoo_tf.data.pipelines import DATASETS
from sparsezoo_tf.data.pipelines import dataset_info
from sparsezoo_tf.data.pipelines import DatasetInfo
from sparsezoo_tf.data.pipelines import DEFAULT_MAX_CORRUPT
from sparsezoo_tf.data.pipelines import make_dataset
from sparsezoo_tf.data.pipelines import num_examples

__all__ = [
    "CANVAS_SPLITS", "CanvasSet", "DATASETS", "DEFAULT_MAX_CORRUPT",
    "DIGITS_SPLITS", "DatasetInfo", "ImageBoxes", "canvas_dataset",
    "dataset_info", "digits_arrays", "digits_dataset", "eval_crop_boxes",
    "make_canvases", "make_dataset", "num_examples", "read_bbox_folder",
    "read_bbox_xml", "read_ground_truth", "read_solution_csv",
]
