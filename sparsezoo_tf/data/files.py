"""Listing image files on disk."""

import os
from typing import List

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".gif")


def is_image(name: str) -> bool:
  """Whether a file name has an image extension (any case)."""
  return name.lower().endswith(IMAGE_EXTENSIONS)


def list_images(folder: str) -> List[str]:
  """Sorted paths of the image files directly in `folder`."""
  with os.scandir(folder) as entries:
    names = sorted(entry.name for entry in entries
                   if is_image(entry.name) and entry.is_file())
  return [os.path.join(folder, name) for name in names]


def list_subfolders(folder: str) -> List[str]:
  """Sorted names of the subfolders of `folder`."""
  with os.scandir(folder) as entries:
    return sorted(entry.name for entry in entries if entry.is_dir())
