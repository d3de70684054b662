"""Pixel statistics of the zoo's datasets: per-channel mean and std, and
the raw pixel scale. Plain constants (no NumPy, no TensorFlow), shared by
the data pipelines and the models' `preprocess_input`."""

# Per-channel mean and std of the datasets (RGB, on 0..1 pixels).
STATISTICS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "tiny_imagenet": ((0.4802, 0.4481, 0.3975), (0.2770, 0.2691, 0.2821)),
    "digits": ((0.3053,), (0.3760,)),
    # The digits' own statistics on 0..255 canvas pixels: a canvas pixel
    # normalizes as the 8x8 pixel it was scaled from.
    "digits_canvas": ((0.3053,), (0.3760,)),
}
MODES = tuple(STATISTICS)
# Largest raw pixel value of the datasets whose pixels are not 0..255.
MAX_VALUE = {"digits": 16.0}
