"""README.md runs as written, and its generated tables are what their tools
write.

Every ```python block runs in a fresh interpreter in an empty folder, every
```sh block in bash (`-e`: every command must succeed) from the repository
root, both with the venv's interpreter first on PATH as `python`. ```text
blocks (templates, output) are never run; any other fence is an error, so a
new README block cannot go untested. Blocks are picked out of the CI run by
a line they contain (`NOT_RUN`, `SLOW`), each with its reason.

The zoo, latency and digits weights tables sit between
`<!-- key: begin/end -->` markers and are written by
`python tools/model_table.py --readme key` (`zoo_table.README_TABLES`). CI
recomputes the weights table and a fixed set of cheap zoo rows; the whole
zoo table is under `-m slow`. Latencies vary from run to run, so the latency
table's header, models and FLOP / parameter ratios are checked, not its
timings.
"""

import os
import shutil
import subprocess
import sys

import markdown_it
import pytest

from sparsezoo_tf.benchmarks import zoo_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")

# A block whose text contains the key is not run here.
NOT_RUN = {
    "make test": "the block is `make demo` and `make test`: `make test` is "
                 "CI's own command (.ci/run), which runs this test, so "
                 "running it here would recurse; `make demo` (8 epochs of "
                 "two models, then the zoo) takes minutes and is run by "
                 "hand, not by CI",
}
# A block whose text contains the key runs with `-m slow` only.
SLOW = {
    "configs/classification/digits_cnn_sc.yaml":
        "trains, evaluates and exports a digits model (about 30 s on 2 "
        "cores)",
    "--model_dir /tmp/digits_detector":
        "trains the digits detector (about 15 minutes on 2 cores; "
        "tests/tools/test_train_detector.py trains, resumes and evaluates "
        "a small one in CI)",
    "digits_cnn_sc_qat.yaml":
        "trains a pruning and a QAT run and exports one (about 40 s on 2 "
        "cores; tests/training/test_optimization_recipes.py runs the two "
        "recipes and the export in CI)",
}
RUN = {"python": [sys.executable, "-c"], "sh": ["bash", "-e", "-c"]}
NEVER_RUN = ("text",)
TIMEOUT_S = 600

# Zoo rows recomputed in CI (the whole zoo takes minutes): cheap models
# with and without a baseline and a paper row (papers 000, 002, 004),
# including two whose paper columns once drifted.
CI_ZOO_ROWS = (
    "digits_cnn", "digits_cnn_igcv2", "digits_cnn_sc", "resnet32_cifar",
    "resnet32_cifar_sc_w1", "igcv2_c64_d8", "xception_c35_d8",
    "resnet18_hc_cifar",
)
# The latency table's columns that do not depend on timing.
LATENCY_FIXED_COLUMNS = 5


def readme_blocks():
  """(info string, text, first line) of every code block of README.md."""
  with open(README) as stream:
    tokens = markdown_it.MarkdownIt().parse(stream.read())
  return [(t.info.strip() if t.type == "fence" else "(indented)", t.content,
           t.map[0] + 1)
          for t in tokens if t.type in ("fence", "code_block")]


def _listed(text, listing):
  return [key for key in listing if key in text]


def _runnable_blocks():
  params = []
  for language, text, line in readme_blocks():
    if language not in RUN or _listed(text, NOT_RUN):
      continue
    marks = [pytest.mark.slow] if _listed(text, SLOW) else []
    params.append(pytest.param(language, text, id=f"{language}-line{line}",
                               marks=marks))
  return params


def test_every_block_is_run_or_listed_with_a_reason():
  blocks = readme_blocks()
  unknown = [(line, language) for language, _, line in blocks
             if language not in RUN and language not in NEVER_RUN]
  assert not unknown, (
      f"README.md blocks at (line, fence) {unknown}: fence code as ```python "
      f"or ```sh (run by this test) or ```text (never run)")
  for listing in (NOT_RUN, SLOW):
    for key in listing:
      matches = [line for language, text, line in blocks
                 if language in RUN and key in text]
      assert len(matches) == 1, (
          f"{key!r} should pick exactly one README block, picks the blocks "
          f"at lines {matches}")
  both = [line for language, text, line in blocks
          if _listed(text, NOT_RUN) and _listed(text, SLOW)]
  assert not both, f"blocks at lines {both} are both skipped and slow"


@pytest.mark.parametrize("language,text", _runnable_blocks())
def test_block_runs_as_written(language, text, tmp_path):
  env = dict(os.environ)
  env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
  cwd = ROOT if language == "sh" else str(tmp_path)
  result = subprocess.run(RUN[language] + [text], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False)
  output = (result.stdout + result.stderr)[-6000:]
  assert result.returncode == 0, (
      f"README.md ```{language} block failed (exit {result.returncode}) in "
      f"{cwd}:\n{text}\n--- output (last 6000 characters) ---\n{output}")


def readme_section(key):
  """The table between README.md's markers of `key`, markers excluded."""
  with open(README) as stream:
    content = stream.read()
  begin, end = f"<!-- {key}: begin -->\n", f"\n<!-- {key}: end -->"
  assert begin in content and end in content, (
      f"README.md lost the markers of its generated table {key!r}")
  return content.split(begin, 1)[1].split(end, 1)[0]


def _lines_by_model(table):
  """{model name: its line} of a Markdown table (header lines left out)."""
  lines = table.splitlines()[2:]
  return {line.split("|")[1].strip(): line for line in lines}


def _regenerate_command(key):
  return f"python tools/model_table.py --readme {key}"


def test_every_generated_table_is_in_readme():
  for key in zoo_table.README_TABLES:
    readme_section(key)


@pytest.mark.parametrize("key", sorted(
    key for key, spec in zoo_table.README_TABLES.items()
    if spec.kind == "weights"))
def test_weights_table_is_what_the_tool_writes(key):
  assert readme_section(key) == zoo_table.readme_table(key), (
      f"regenerate it: {_regenerate_command(key)}")


def _check_zoo_table(names):
  table = readme_section("zoo_table")
  fix = f"regenerate it: {_regenerate_command('zoo_table')}"
  expected_header = zoo_table.readme_table("zoo_table", names=[])
  assert table.splitlines()[:2] == expected_header.splitlines(), fix
  lines = _lines_by_model(table)
  assert list(lines) == zoo_table.readme_models("zoo_table"), fix
  expected = _lines_by_model(zoo_table.readme_table("zoo_table", names=names))
  drifted = {name: (lines[name], line) for name, line in expected.items()
             if lines[name] != line}
  assert not drifted, f"README rows differ from the tool's: {drifted}; {fix}"


def test_zoo_table_header_models_and_cheap_rows_are_the_tools():
  _check_zoo_table(CI_ZOO_ROWS)


@pytest.mark.slow
def test_zoo_table_is_what_the_tool_writes():
  _check_zoo_table(zoo_table.readme_models("zoo_table"))


def _check_latency_table(names):
  table = readme_section("zoo_latency")
  fix = f"regenerate it: {_regenerate_command('zoo_latency')} (minutes)"
  untimed = zoo_table.readme_table("zoo_latency", names=names, measure=False)
  assert table.splitlines()[:2] == untimed.splitlines()[:2], fix
  lines = _lines_by_model(table)
  assert list(lines) == zoo_table.readme_models("zoo_latency"), fix
  for name, line in _lines_by_model(untimed).items():
    fixed = slice(0, LATENCY_FIXED_COLUMNS + 1)  # "| a |" splits to "", " a "
    assert lines[name].split("|")[fixed] == line.split("|")[fixed], (
        f"README row {lines[name]!r} differs from the tool's {line!r}; {fix}")
    timings = lines[name].split("|")[LATENCY_FIXED_COLUMNS + 1:-1]
    assert all(float(cell) > 0 for cell in timings), (
        f"README row {lines[name]!r} lacks a latency; {fix}")


def test_latency_table_header_models_and_cheap_ratios_are_the_tools():
  _check_latency_table([n for n in CI_ZOO_ROWS
                        if n in zoo_table.readme_models("zoo_latency")])


@pytest.mark.slow
def test_latency_table_ratios_are_the_tools():
  _check_latency_table(zoo_table.readme_models("zoo_latency"))


def test_tool_rewrites_only_its_section(tmp_path):
  path = tmp_path / "README.md"
  shutil.copy(README, path)
  key = "digits_weights"
  section = readme_section(key)
  stale = section.replace("| dense |", "| stale |")
  assert stale != section
  path.write_text(path.read_text().replace(section, stale))
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, "tools", "model_table.py"),
       "--readme", key, "--output", str(path)],
      capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(README) as stream:
    assert path.read_text() == stream.read()
  assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
