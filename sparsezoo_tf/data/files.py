"""Files on disk: listing image files, writing a JSON file and publishing
a finished output folder, each in one step."""

import json
import os
import shutil
import tempfile
from typing import Any, List

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


def publish_folder(temporary: str, output: str) -> None:
  """Renames the finished folder `temporary` to `output`, replacing an
  existing `output` (the caller has allowed that), so that one of the two
  is always whole; `temporary` gets the permissions a new folder would
  have (`tempfile.mkdtemp` makes it private)."""
  umask = os.umask(0)
  os.umask(umask)
  os.chmod(temporary, 0o777 & ~umask)
  if not os.path.isdir(output):
    os.rename(temporary, output)
    return
  if not os.listdir(output):
    os.rmdir(output)
    os.rename(temporary, output)
    return
  parent, base = os.path.split(os.path.abspath(output))
  old = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
  os.rmdir(old)
  os.rename(output, old)
  try:
    os.rename(temporary, output)
  except BaseException:
    os.rename(old, output)
    raise
  shutil.rmtree(old, ignore_errors=True)


def write_json_compact(path: str, value: Any) -> None:
  """Writes `value` as compact JSON (large COCO files) to a temporary file
  beside `path`, renamed into place: `path` is whole or untouched."""
  temporary = f"{path}.tmp-{os.getpid()}"
  try:
    with open(temporary, "w", encoding="utf-8") as stream:
      json.dump(value, stream, separators=(",", ":"))
    os.replace(temporary, path)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)
