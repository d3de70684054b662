"""Files the benchmark tools write: generated sections of Markdown files
(BENCHMARKS.md) and JSON reports, each replaced atomically. No TensorFlow,
so that tools/gpu_check.py can use it on machines without it."""

import json
import os


def write_markdown_section(path: str, key: str, text: str) -> None:
  """Puts `text` between the markers of section `key` in the Markdown file
  `path` (appended when the file has no such section; other sections are
  kept). Written to a temporary file, then renamed."""
  begin, end = f"<!-- {key}: begin -->", f"<!-- {key}: end -->"
  section = f"{begin}\n{text.rstrip()}\n{end}\n"
  content = ""
  if os.path.exists(path):
    with open(path) as stream:
      content = stream.read()
  if begin in content and end in content:
    head, _, rest = content.partition(begin)
    _, _, tail = rest.partition(end)
    content = head + section.rstrip("\n") + tail
  else:
    content = (content.rstrip("\n") + "\n\n" if content else "") + section
  temporary = f"{path}.tmp-{os.getpid()}"
  with open(temporary, "w") as stream:
    stream.write(content)
  os.replace(temporary, path)


def write_json(path: str, data) -> None:
  """Writes `data` as JSON to `path` through a temporary file and a rename
  (a failed write leaves `path` as it was and no temporary file)."""
  temporary = f"{path}.tmp-{os.getpid()}"
  try:
    with open(temporary, "w") as stream:
      json.dump(data, stream, indent=1)
      stream.write("\n")
    os.replace(temporary, path)
  except BaseException:
    if os.path.exists(temporary):
      os.unlink(temporary)
    raise
