"""The registered weights (see `weights.py` for the lookup rules).

Digits weights: one small model per scheme, trained on scikit-learn's 8x8
digits by the recipe named in the entry, shipped inside the package, with
the top-1 accuracy the recipe measured on the fixed test split.

Entries with `sha256=None` are names reserved for weights this project's
machines cannot train (ImageNet, CIFAR, Tiny ImageNet): the papers' main
models, each with the paper's recipe in `configs/classification/` (plus
`--params_override model.name=<model>` when the recipe's own model is
another one); asking for them says so instead of loading anything.
"""

from sparsezoo_tf.models.registry import model_info
from sparsezoo_tf.models.weights import register_weights
from sparsezoo_tf.models.weights import WeightsEntry

_DIGITS = (
    # (model, sha256, test top-1: correct / 359)
    ("digits_cnn",
     "e2f11366515d859893cffe95e62c574455accc46fc2e7648c3748e6eac53a1eb",
     356 / 359),
    ("digits_cnn_sc",
     "35e16c259b5dd064b9e4b188a34611df87f74131a0541ca493a376ace19ad448",
     355 / 359),
    ("digits_cnn_sc_comb",
     "08e90acd81dbd24d24472765796a5dd1b247eeea098a6ae0bfeea0c7ec6430f1",
     354 / 359),
    ("digits_cnn_psc4",
     "68bd7ed0ce32fc1de9100a657134c811fb472f960640d86ed8d067986df248e1",
     353 / 359),
    ("digits_cnn_scfusion2",
     "0a169908297b5e3e7ebeac89e02fa34786b274d45f37935e45265bb3e8d788b2",
     353 / 359),
    ("digits_cnn_igcv2",
     "b9def53e9407775e81b7cda836c7528a1f8fbcf40a7e586d82c941ba5f86b01f",
     352 / 359),
    ("digits_cnn_pwgconv_dw_pwgconv",
     "f528caad0223e4c4b4565a3602fdf2c659955b1cbf4747c20fdb7e77a5e5b9a7",
     354 / 359),
)

for _model, _sha256, _top1 in _DIGITS:
  register_weights(WeightsEntry(
      model=_model, name="digits", file_name=f"{_model}-digits.h5",
      sha256=_sha256, dataset="digits", classes=10, input_shape=(8, 8, 1),
      recipe=f"configs/classification/{_model}.yaml",
      metrics={"top1": _top1}))

# Reserved: (recipe, the recipe's own model.name, weights name = dataset,
# the models it names). Input shapes are the models' own (`model_info`).
_CLASSES = {"imagenet": 1000, "cifar10": 10, "cifar100": 100,
            "tiny_imagenet": 200}
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

for _recipe, _recipe_model, _dataset, _models in _RESERVED:
  for _model in _models:
    _command = f"configs/classification/{_recipe}.yaml"
    if _model != _recipe_model:
      _command += f" --params_override model.name={_model}"
    register_weights(WeightsEntry(
        model=_model, name=_dataset, file_name=f"{_model}-{_dataset}.h5",
        sha256=None, dataset=_dataset, classes=_CLASSES[_dataset],
        input_shape=model_info(_model).input_shape,
        recipe=_command))
