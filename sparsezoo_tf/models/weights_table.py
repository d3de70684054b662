"""The registered weights, as data (`weights.py` registers them and holds
the lookup rules).

Digits weights: one small model per scheme, trained on scikit-learn's 8x8
digits by the recipe named in the entry, shipped inside the package, with
the top-1 accuracy the recipe measured on the fixed test split.

Digits-canvas weights: the CAM localization models (GAP + dense head) on
the 64x64 canvases of `sparsezoo_tf.data.digits_canvas`, with the top-1
classification accuracy their recipe measured and the localization
accuracy `tools/eval_localization.py` measured on the fixed test split
(top-1 / top-5: right class and IoU >= 0.5; GT-known: the true class's
CAM; threshold 0.2 of the map's maximum, paper 003 / Zhou et al.).

Digits-detection weights: the Faster R-CNN detectors of
`sparsezoo_tf.detection` (entries named by detector, not by zoo model) on
the 96x96 canvases of `sparsezoo_tf.data.digits_detection`, trained by
`tools/train_detector.py --experiment <detector>`, with the COCO metrics
`tools/eval_detector.py` measured on the fixed test split.

Entries with `sha256=None` are names reserved for weights this project's
machines cannot train (ImageNet, CIFAR, Tiny ImageNet): the papers' main
models, each with the paper's recipe in `configs/classification/` (plus
`--params_override model.name=<model>` when the recipe's own model is
another one); asking for them says so instead of loading anything.
"""

from typing import List

from sparsezoo_tf.models.info import WeightsEntry

_DIGITS = (
    # (model, sha256, test top-1: correct / 359)
    ("digits_cnn",
     "60b9df6dbab96f226a012354097fa43ab5f49f8418375251c4328f25940b9f02",
     356 / 359),
    ("digits_cnn_sc",
     "66f5e199dac3432fa97e8d4a6f1095b6c1cbaa45d312455089c495328f0f1615",
     357 / 359),
    ("digits_cnn_sc_comb",
     "45d87d0a815c8940eb266440a871383844615bfb25439aa0ba177d979ef18528",
     353 / 359),
    ("digits_cnn_psc4",
     "8a8683a29054d1c02a7c404a4c084f3e4f3c65b73e4fafe513e1598241bdcd72",
     357 / 359),
    ("digits_cnn_scfusion2",
     "4f46c8139007d4c33b1adf3897181bf2ae883cea42d35d53cfbac6934a91ef6e",
     353 / 359),
    ("digits_cnn_igcv2",
     "3d0f8dda7357df2807be932d9715c0b76ffdc0efbb37a4f8b15fda0bf8823c19",
     353 / 359),
    ("digits_cnn_pwgconv_dw_pwgconv",
     "7844ff61d502527c9381e94737c69c06e13a1b81b5cebe4aa17941fc3feac27b",
     354 / 359),
)


_CANVAS = (
    # (model, sha256, correct of 359: top-1, top-1 loc, top-5 loc, GT-known)
    ("digits_cam_cnn",
     "0927868cf61d787faa8c577b6c3903007f8a5fe32d35a3812f104de8fb4f5520",
     (353, 290, 294, 294)),
    ("digits_cam_cnn_scfusion2",
     "3cd49458e3b9bc80803bf677d981cbe4925070321541f6ca34c647719338c013",
     (354, 302, 306, 306)),
)

_DETECTION = (
    # (detector, sha256, COCO metrics on the test split, 1000 canvases)
    ("fasterrcnn_digits_resnet18",
     "dafe680fad7cd42f736e48c7447947f1c49a37c45c97b5127429e20eafeaa2f8",
     {"AP": 0.830336, "AP50": 0.997858, "AP75": 0.987406, "APs": 0.826964,
      "APm": 0.848516, "ARmax1": 0.781984, "ARmax10": 0.864873,
      "ARmax100": 0.864873, "ARs": 0.861104, "ARm": 0.878451}),
    ("fasterrcnn_digits_resnet18_sc",
     "41ea5494e326a4e1228ef3624290aa021b17f88adfbdcbb832104a0e1ee4c0ca",
     {"AP": 0.826958, "AP50": 0.998808, "AP75": 0.987634, "APs": 0.825415,
      "APm": 0.838084, "ARmax1": 0.777675, "ARmax10": 0.861463,
      "ARmax100": 0.861463, "ARs": 0.859115, "ARm": 0.869979}),
)

# Reserved: (recipe, the recipe's own model.name, weights name = dataset,
# the models it names). Input shapes are the models' own (a test compares
# them with `model_info`).
_CLASSES = {"imagenet": 1000, "cifar10": 10, "cifar100": 100,
            "tiny_imagenet": 200}
_INPUT_SHAPES = {"imagenet": (224, 224, 3), "cifar10": (32, 32, 3),
                 "cifar100": (32, 32, 3), "tiny_imagenet": (64, 64, 3)}
_P000_CIFAR = tuple(f"resnet{depth}_cifar{suffix}" for depth in (32, 110, 164)
                    for suffix in ("", "_sc", "_sc_comb"))
_P002 = ("igcv2_c64_d8", "igcv2_c64_d20", "igcv2_c64_d26", "igcv2_c80_d8",
         "igcv2_c80_d20", "igcv2_c80_d26", "igcv2star_c216_d20",
         "igcv2star_c304_d20", "igcv2star_c416_d20")
_RESERVED = (
    # Paper 000, section 4.2.1 (Table 10, Table 2) and 4.1.1 (Table 8).
    ("paper000_imagenet", "resnet50_sc", "imagenet",
     tuple(f"resnet{depth}{suffix}" for depth in (18, 34, 50, 101, 152)
           for suffix in ("", "_sc")) + ("densenet121", "densenet121_sc")),
    ("paper000_cifar10", "resnet110_cifar_sc", "cifar10", _P000_CIFAR),
    ("paper000_cifar100", "resnet110_cifar_sc", "cifar100", _P000_CIFAR),
    # Paper 003, appendix A.2 (Figures 5 and 6, Table 5).
    ("paper003_imagenet_vgg16", "vgg16_scfusion8", "imagenet",
     ("vgg16", "vgg16_scfusion2", "vgg16_scfusion4", "vgg16_scfusion8")),
    ("paper003_imagenet_resnet34", "resnet34_scfusion8", "imagenet",
     ("resnet34_scfusion2", "resnet34_scfusion4", "resnet34_scfusion8")),
    # Paper 004, section IV.A (Tables II-V).
    ("paper004_cifar10", "resnet18_cifar_psc4", "cifar10",
     tuple(f"{net}_cifar_psc{kss}" for net in ("resnet18", "vgg16")
           for kss in (9, 4, 2))),
    ("paper004_tiny_imagenet", "resnet18_tiny_psc4", "tiny_imagenet",
     tuple(f"{net}_tiny_psc{kss}" for net in ("resnet18", "vgg16")
           for kss in (9, 4, 2))),
    # Paper 002, section 4.1 (Tables 3, 4, 6; Table 7 for CIFAR-10).
    ("paper002_cifar100", "igcv2_c64_d20", "cifar100", _P002),
    # (No Tiny ImageNet names: those networks need stem_strides=2, which
    # an entry cannot impose, and the weights would load into the CIFAR
    # layout without complaint.)
    ("paper002_cifar10", "igcv2star_c416_d20", "cifar10",
     ("igcv2star_c416_d20",)),
    # Paper 001, section 4.1 (Tables 2-4): the designs, not skn_standard_*.
    ("paper001_imagenet", "skn_pwgconv4_dw_pwgconv4_w560", "imagenet",
     ("skn98_pw_gconv1_pw_w128", "skn98_pw_gconv1_pw_w200",
      "skn98_pw_gconv2_pw_w256", "skn98_pw_gconv32_pw_w256",
      "skn98_pw_gconv64_pw_w512", "skn194_pw_gconv1_pw_w128",
      "skn_dw_pw_w72", "skn_dw_pw_w280", "skn_pw_dw_pw_w400",
      "skn_pw_conv_pw_w192", "skn_pw_gconv16_pw_w192",
      "skn_gconv4_pwgconv32_w128", "skn_gconv16_pwgconv16_w256",
      "skn_gconv100_pwgconv2_w200", "skn_pwgconv4_dw_pwgconv4_w560",
      "skn_pwgconv100_dw_pwgconv2_w700")),
)



def _digits() -> List[WeightsEntry]:
  return [WeightsEntry(
      model=model, name="digits", file_name=f"{model}-digits.h5",
      sha256=sha256, dataset="digits", classes=10, input_shape=(8, 8, 1),
      recipe=f"configs/classification/{model}.yaml", metrics={"top1": top1})
          for model, sha256, top1 in _DIGITS]


def _canvas() -> List[WeightsEntry]:
  keys = ("top1", "top1_loc", "top5_loc", "gt_known_loc")
  return [WeightsEntry(
      model=model, name="digits_canvas",
      file_name=f"{model}-digits_canvas.h5", sha256=sha256,
      dataset="digits_canvas", classes=10, input_shape=(64, 64, 1),
      recipe=f"configs/classification/{model}.yaml",
      metrics={key: count / 359 for key, count in zip(keys, counts)})
          for model, sha256, counts in _CANVAS]


def _detection() -> List[WeightsEntry]:
  return [WeightsEntry(
      model=detector, name="digits_detection",
      file_name=f"{detector}-digits_detection.h5", sha256=sha256,
      dataset="digits_detection", classes=11, input_shape=(96, 96, 3),
      recipe=f"tools/train_detector.py --experiment {detector}",
      metrics=dict(metrics))
          for detector, sha256, metrics in _DETECTION]


def _reserved() -> List[WeightsEntry]:
  entries = []
  for recipe, recipe_model, dataset, models in _RESERVED:
    for model in models:
      command = f"configs/classification/{recipe}.yaml"
      if model != recipe_model:
        command += f" --params_override model.name={model}"
      entries.append(WeightsEntry(
          model=model, name=dataset, file_name=f"{model}-{dataset}.h5",
          sha256=None, dataset=dataset, classes=_CLASSES[dataset],
          input_shape=_INPUT_SHAPES[dataset], recipe=command))
  return entries


WEIGHTS = tuple(_digits() + _canvas() + _detection() + _reserved())
