"""sparsezoo_tf.detection.experiments: every registered experiment parses
and validates through Model Garden's exp_factory, carries the settings its
source states (paper 003, py-faster-rcnn, Model Garden, this project), and
its task builds the zoo's detector."""

import json

import pytest

from official.core import exp_factory
from official.core import task_factory

from sparsezoo_tf.detection import detectors
from sparsezoo_tf.detection import experiments

pytestmark = pytest.mark.single_path  # configs and plumbing


def test_the_issues_experiments_are_registered():
  names = experiments.list_experiments()
  for name in ("fasterrcnn_vgg16_voc", "fasterrcnn_vgg16_scfusion8_voc",
               "fasterrcnn_vgg16_scfusion8_sp2_fc512_voc",
               "fasterrcnn_vgg16_coco", "fasterrcnn_vgg16_scfusion8_coco",
               "fasterrcnn_vgg16_scfusion8_sp2_fc512_coco",
               "fasterrcnn_fpn_resnet50_sc_coco",
               "fasterrcnn_digits_resnet18",
               "fasterrcnn_digits_resnet18_sc"):
    assert name in names
  assert len(names) == len(set(names))


@pytest.mark.parametrize("name", experiments.list_experiments())
def test_every_experiment_validates_and_names_its_detector(name):
  config = exp_factory.get_exp_config(name)
  config.validate()
  task = config.task
  assert isinstance(task, experiments.FasterRCNNTask)
  spec = detectors.detector_spec(task.detector)
  assert name.startswith(spec.name)
  assert task.model.backbone.sparsezoo.model_name == spec.backbone
  assert (task.model.sp2, task.model.rpn_conv) == (spec.sp2, spec.rpn_conv)
  assert task.model.detection_head.fc_dims == spec.fc_dims
  assert not task.model.include_mask
  assert task.train_data.is_training and not task.validation_data.is_training


def test_voc_experiments_are_py_faster_rcnns_solver():
  config = exp_factory.get_exp_config("fasterrcnn_vgg16_scfusion8_voc")
  task, trainer = config.task, config.trainer
  assert task.model.num_classes == 21
  assert task.model.input_size == [608, 1024, 3]  # 600 / 1000, to 32s
  assert (task.model.min_level, task.model.max_level) == (4, 4)
  assert task.train_data.global_batch_size == 1
  assert task.train_data.parser.aug_rand_hflip
  assert task.losses.l2_weight_decay == 0.0005
  assert trainer.train_steps == 70_000
  schedule = trainer.optimizer_config.learning_rate.stepwise
  assert schedule.boundaries == [50_000]
  assert schedule.values == [0.001, 0.0001]
  assert trainer.optimizer_config.optimizer.sgd.momentum == 0.9
  coco = exp_factory.get_exp_config("fasterrcnn_vgg16_coco")
  assert coco.task.model.num_classes == 91
  assert coco.trainer.train_steps == 490_000


def test_compact_experiment_trains_multi_scale_at_512():
  config = exp_factory.get_exp_config(
      "fasterrcnn_vgg16_scfusion8_sp2_fc512_voc")
  parser = config.task.train_data.parser
  size = config.task.model.input_size[0]
  assert config.task.model.input_size == [512, 512, 3]
  # Paper 003's 256 / 512 / 768 are the ends and middle of the jitter.
  assert (size * parser.aug_scale_min, size * parser.aug_scale_max) == (
      256, 768)
  assert config.task.model.sp2


def test_fpn_experiment_keeps_model_gardens_recipe_but_not_its_checkpoint():
  ours = exp_factory.get_exp_config("fasterrcnn_fpn_resnet50_sc_coco")
  theirs = exp_factory.get_exp_config("fasterrcnn_resnetfpn_coco")
  assert ours.trainer.train_steps == theirs.trainer.train_steps
  assert (ours.trainer.optimizer_config.as_dict()
          == theirs.trainer.optimizer_config.as_dict())
  assert ours.task.train_data.global_batch_size == (
      theirs.task.train_data.global_batch_size)
  assert not ours.task.init_checkpoint
  assert ours.task.model.backbone.type == "sparsezoo"


def test_digits_experiment_does_not_flip_digits():
  config = exp_factory.get_exp_config("fasterrcnn_digits_resnet18_sc")
  assert not config.task.train_data.parser.aug_rand_hflip
  assert config.task.model.input_size == [96, 96, 3]
  assert config.task.model.num_classes == 11
  assert config.task.train_data.input_path.endswith("train-*-of-00004.tfrecord")
  assert config.task.annotation_file.endswith("val.json")


def test_the_task_builds_the_zoos_detector():
  config = exp_factory.get_exp_config(
      "fasterrcnn_vgg16_scfusion8_sp2_fc512_voc")
  model_config = config.task.model
  model_config.input_size = [64, 64, 3]
  model_config.backbone.sparsezoo.model_kwargs = json.dumps({"width": 0.125})
  model_config.detection_head.fc_dims = 8
  model_config.rpn_head.num_filters = 16
  config.task.losses.l2_weight_decay = 0.0001
  task = task_factory.get_task(config.task)
  assert isinstance(task, experiments.FasterRCNNDetectionTask)
  model = task.build_model()
  assert isinstance(model.rpn_head, detectors.SparseRPNHead)
  assert isinstance(model.detection_head[0],
                    detectors.EvenChannelDetectionHead)
  assert model.backbone.model_name == "vgg16_scfusion8"
  assert model.losses  # the L2 penalty of the backbone's kernels
