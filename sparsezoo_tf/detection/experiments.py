"""The zoo's detectors as TF Model Garden experiments (`exp_factory`) and
the task that builds them.

Importing this module registers, with `official.core.exp_factory`:

  fasterrcnn_vgg16[_scfusion{2,4,8}][_sp2_fc512]_voc
      paper 003 on PASCAL VOC 07+12 trainval, validated on VOC2007 test
      (21 classes).
  fasterrcnn_vgg16[_scfusion{2,4,8}][_sp2_fc512]_coco
      the same on COCO 2017 train / val (91 class ids: Model Garden's COCO
      convention); paper 003 trains on 2014 train + val35k, the same images.
  fasterrcnn_fpn_<resnet>_coco
      Model Garden's ResNet-FPN recipe on any ImageNet ResNet of the zoo.
  fasterrcnn_digits_resnet18[_sc]
      the embedded digits_detection set (`records.prepare_digits_detection`;
      `tools/train_detector.py` writes it on first use).

and the task config `FasterRCNNTask` with `task_factory`: Model Garden's
`MaskRCNNTask` (its inputs, losses, COCO evaluator, train and validation
steps), whose model is built by `detectors.build_detector`, so that zoo
backbones, paper 003's single level, sp2 and the sparse RPN convolution
work in any experiment:

    python tools/train_detector.py --experiment fasterrcnn_vgg16_scfusion8_voc \
        --model_dir runs/voc --mode train_and_eval \
        --params_override task.train_data.input_path=/data/voc/tfrecords/trainval0712*

Where the settings come from is said next to each value: paper 003
(section 4.3), py-faster-rcnn's end-to-end VGG-16 solvers and config (the
defaults the paper kept), Model Garden's `fasterrcnn_resnetfpn_coco`, or
this project (the digits set).
"""

import dataclasses
import os

import tf_keras as keras

from official.core import config_definitions as cfg
from official.core import exp_factory
from official.core import task_factory
from official.modeling import optimization
from official.vision.configs import maskrcnn as maskrcnn_cfg
from official.vision.tasks import maskrcnn as maskrcnn_task

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.detection import detectors
from sparsezoo_tf.detection import records

VOC_TRAIN_IMAGES = 16551  # VOC 07+12 trainval
VOC_TEST_IMAGES = 4952  # VOC2007 test
COCO_VAL_IMAGES = 5000
COCO_CLASSES = 91  # Model Garden's COCO: the original category ids 1..90


@dataclasses.dataclass
class FasterRCNNTask(maskrcnn_cfg.MaskRCNNTask):
  """Model Garden's `MaskRCNNTask` config whose model is a `detectors.
  FasterRCNN` (zoo backbones, sp2, a sparse RPN convolution).

  Attributes:
    detector: the registered detector the model config came from ('' when
      it is hand-made); informational.
  """
  model: detectors.FasterRCNN = dataclasses.field(
      default_factory=detectors.FasterRCNN)
  detector: str = ""


class FasterRCNNDetectionTask(maskrcnn_task.MaskRCNNTask):
  """Model Garden's Mask R-CNN task (without masks) building the model with
  `detectors.build_detector`."""

  def build_model(self) -> keras.Model:
    """The detector of `task_config.model`, weights created."""
    weight_decay = self.task_config.losses.l2_weight_decay
    # Halved as Model Garden does, to match tf.nn.l2_loss.
    regularizer = (keras.regularizers.l2(weight_decay / 2.0)
                   if weight_decay else None)
    model = detectors.build_detector(self.task_config.model, regularizer)
    if self.task_config.freeze_backbone:
      model.backbone.trainable = False
    return model


def _register_task() -> None:
  # pylint: disable=protected-access
  if FasterRCNNTask not in task_factory._REGISTERED_TASK_CLS:
    task_factory.register_task_cls(FasterRCNNTask)(FasterRCNNDetectionTask)


def _sgd(learning_rate: dict, momentum: float = 0.9,
         warmup_steps: int = 0, warmup_rate: float = 0.0
         ) -> optimization.OptimizationConfig:
  config = {"optimizer": {"type": "sgd", "sgd": {"momentum": momentum}},
            "learning_rate": learning_rate}
  if warmup_steps:
    config["warmup"] = {"type": "linear", "linear": {
        "warmup_steps": warmup_steps, "warmup_learning_rate": warmup_rate}}
  return optimization.OptimizationConfig(config)


def _stepwise(boundaries, values) -> dict:
  return {"type": "stepwise",
          "stepwise": {"boundaries": list(boundaries),
                       "values": list(values)}}


def _data(input_path: str, training: bool, batch: int,
          parser: maskrcnn_cfg.Parser = None) -> maskrcnn_cfg.DataConfig:
  # float32 images (Model Garden's default, bfloat16, is TPU's): what
  # `inference.detect` feeds.
  return maskrcnn_cfg.DataConfig(
      input_path=input_path, is_training=training, global_batch_size=batch,
      drop_remainder=training, dtype="float32",
      parser=parser or maskrcnn_cfg.Parser())


def _experiment(task: FasterRCNNTask,
                trainer: cfg.TrainerConfig) -> cfg.ExperimentConfig:
  return cfg.ExperimentConfig(
      task=task, trainer=trainer,
      restrictions=["task.train_data.is_training != None",
                    "task.validation_data.is_training != None"])


def _vgg_task(detector: str, dataset: str) -> FasterRCNNTask:
  """Paper 003's detector on VOC or COCO, py-faster-rcnn's settings."""
  compact = detectors.detector_spec(detector).sp2
  num_classes = detectors.VOC_CLASSES if dataset == "voc" else COCO_CLASSES
  if compact:
    # Paper 003: square multi-scale training at 256 / 512 / 768, testing at
    # 512. Model Garden's parser scales by a random factor in [min, max] of
    # the output size: 0.5-1.5 of 512 spans the same 256-768, continuously.
    size, scale = (512, 512), (0.5, 1.5)
  else:
    # py-faster-rcnn: shorter side 600, longer at most 1000; Model Garden
    # pads to a fixed size, multiples of 32 here: the image is scaled to
    # fit 608 x 1024.
    size, scale = (608, 1024), (1.0, 1.0)
  model = detectors.detector_config(detector, num_classes=num_classes,
                                    input_size=size)
  root = os.path.join(records.data_home(), dataset)
  if dataset == "voc":
    train_path = os.path.join(root, "tfrecords", "trainval0712*")
    val_path = os.path.join(root, "tfrecords", "test2007*")
    annotations = os.path.join(root, "test2007.json")
  else:
    train_path = os.path.join(root, "tfrecords", "train2017*")
    val_path = os.path.join(root, "tfrecords", "val2017*")
    annotations = os.path.join(root, "instances_val2017.json")
  return FasterRCNNTask(
      detector=detector, model=model,
      # py-faster-rcnn: weight decay 0.0005 (Caffe's: Model Garden's
      # l2_weight_decay has the same gradient).
      losses=maskrcnn_cfg.Losses(l2_weight_decay=0.0005),
      annotation_file=annotations,
      # py-faster-rcnn: one image per step, horizontal flips.
      train_data=_data(train_path, True, 1, maskrcnn_cfg.Parser(
          aug_rand_hflip=True, aug_scale_min=scale[0],
          aug_scale_max=scale[1])),
      validation_data=_data(val_path, False, 1))


def _vgg_trainer(dataset: str) -> cfg.TrainerConfig:
  # py-faster-rcnn's end-to-end VGG-16 solvers, learning rate 0.001 with
  # momentum 0.9: VOC 70k iterations, x 0.1 at 50k; COCO 490k, x 0.1 at
  # 350k.
  steps, boundary = (70_000, 50_000) if dataset == "voc" else (
      490_000, 350_000)
  interval = 10_000
  return cfg.TrainerConfig(
      train_steps=steps,
      validation_steps=(VOC_TEST_IMAGES if dataset == "voc"
                        else COCO_VAL_IMAGES),
      validation_interval=interval, steps_per_loop=interval // 10,
      summary_interval=interval // 10, checkpoint_interval=interval // 10,
      optimizer_config=_sgd(_stepwise([boundary], [0.001, 0.0001])))


def _fpn_experiment(detector: str) -> cfg.ExperimentConfig:
  """Model Garden's `fasterrcnn_resnetfpn_coco` on a zoo ResNet."""
  experiment = exp_factory.get_exp_config("fasterrcnn_resnetfpn_coco")
  mg_task = experiment.task
  model = detectors.detector_config(detector, num_classes=COCO_CLASSES,
                                    input_size=mg_task.model.input_size[:2])
  # Model Garden's init_checkpoint is its own ResNet's: not the zoo's.
  task = FasterRCNNTask(detector=detector, model=model,
                        losses=mg_task.losses,
                        train_data=mg_task.train_data,
                        validation_data=mg_task.validation_data)
  root = os.path.join(records.data_home(), "coco")
  task.train_data.input_path = os.path.join(root, "tfrecords", "train2017*")
  task.validation_data.input_path = os.path.join(root, "tfrecords",
                                                 "val2017*")
  task.annotation_file = os.path.join(root, "instances_val2017.json")
  task.train_data.dtype = task.validation_data.dtype = "float32"
  experiment.runtime.mixed_precision_dtype = None  # bfloat16 is TPU's
  return _experiment(task, experiment.trainer)


def _digits_experiment(detector: str) -> cfg.ExperimentConfig:
  """This project's recipe for the 96x96 digits_detection set: batch 16,
  SGD with momentum and a cosine schedule from scratch, no flips (digits
  are not mirror-symmetric), mild scale jitter."""
  paths = records.digits_detection_paths()
  batch, steps, interval = 16, 4000, 1000
  val_images = digits_detection.NUM_IMAGES["val"]
  task = FasterRCNNTask(
      detector=detector, model=detectors.detector_config(detector),
      losses=maskrcnn_cfg.Losses(l2_weight_decay=0.0001),
      annotation_file=paths.annotations["val"],
      train_data=_data(paths.records["train"], True, batch,
                       maskrcnn_cfg.Parser(aug_rand_hflip=False,
                                           aug_scale_min=0.8,
                                           aug_scale_max=1.25)),
      validation_data=_data(paths.records["val"], False, batch))
  trainer = cfg.TrainerConfig(
      train_steps=steps, validation_steps=-(-val_images // batch),
      validation_interval=interval, steps_per_loop=100,
      summary_interval=100, checkpoint_interval=500, max_to_keep=2,
      optimizer_config=_sgd(
          {"type": "cosine", "cosine": {"initial_learning_rate": 0.04,
                                        "decay_steps": steps}},
          warmup_steps=200, warmup_rate=0.004))
  return _experiment(task, trainer)


def experiment_names():
  """{experiment name: factory} of the experiments this module registers."""
  factories = {}
  for detector in detectors.list_detectors("fasterrcnn_vgg16*"):
    for dataset in ("voc", "coco"):
      factories[f"{detector}_{dataset}"] = (
          lambda d=detector, s=dataset: _experiment(_vgg_task(d, s),
                                                    _vgg_trainer(s)))
  for detector in detectors.list_detectors("fasterrcnn_fpn_*"):
    factories[f"{detector}_coco"] = (
        lambda d=detector: _fpn_experiment(d))
  for detector in detectors.list_detectors("fasterrcnn_digits_*"):
    factories[detector] = lambda d=detector: _digits_experiment(d)
  return factories


def list_experiments(pattern: str = "*"):
  """The names of the zoo's registered experiments matching a pattern."""
  import fnmatch  # pylint: disable=g-import-not-at-top
  return sorted(name for name in experiment_names()
                if fnmatch.fnmatchcase(name, pattern))


def _register_experiments() -> None:
  # pylint: disable=protected-access
  for name, factory in experiment_names().items():
    if name not in exp_factory._REGISTERED_CONFIGS:
      exp_factory.register_config_factory(name)(factory)


_register_task()
_register_experiments()
