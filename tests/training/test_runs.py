"""`runs`: a training run that fails before its first backup leaves its
model_dir as it found it; one with a backup is kept, to be resumed."""

import pytest

from sparsezoo_tf.training import runs

pytestmark = pytest.mark.single_path


def _tree(folder):
  """{relative path: file text or None for a folder} under `folder`."""
  return {str(path.relative_to(folder)):
          path.read_text() if path.is_file() else None
          for path in sorted(folder.rglob("*"))}


def _fail_after(model_dir, backup: bool):
  """What a run does before it fails: a recipe, logs, maybe a backup."""
  model_dir.mkdir(exist_ok=True)
  (model_dir / runs.RECIPE).write_text("this run")
  (model_dir / runs.LOGS / "train").mkdir(parents=True, exist_ok=True)
  (model_dir / runs.LOGS / "train" / "events.new").write_text("x")
  (model_dir / runs.BACKUP / "chief").mkdir(parents=True, exist_ok=True)
  if backup:
    (model_dir / runs.BACKUP / "chief" / "checkpoint").write_text("x")
  raise KeyboardInterrupt


def test_new_model_dir_is_removed(tmp_path):
  model_dir = tmp_path / "run"
  with pytest.raises(KeyboardInterrupt):
    with runs.removed_on_early_failure(str(model_dir)):
      _fail_after(model_dir, backup=False)
  assert not model_dir.exists()


def test_existing_model_dir_is_left_as_it_was(tmp_path):
  model_dir = tmp_path / "run"
  (model_dir / runs.LOGS / "train").mkdir(parents=True)
  (model_dir / runs.LOGS / "train" / "events.old").write_text("old")
  (model_dir / runs.RECIPE).write_text("an earlier run")
  (model_dir / "notes.txt").write_text("mine")
  before = _tree(model_dir)
  with pytest.raises(KeyboardInterrupt):
    with runs.removed_on_early_failure(str(model_dir)):
      _fail_after(model_dir, backup=False)
  assert _tree(model_dir) == before


def test_run_with_a_backup_is_kept(tmp_path):
  model_dir = tmp_path / "run"
  with pytest.raises(KeyboardInterrupt):
    with runs.removed_on_early_failure(str(model_dir)):
      _fail_after(model_dir, backup=True)
  assert runs.has_backup(str(model_dir))
  assert (model_dir / runs.RECIPE).read_text() == "this run"


def test_success_keeps_everything(tmp_path):
  model_dir = tmp_path / "run"
  with runs.removed_on_early_failure(str(model_dir)):
    model_dir.mkdir()
    (model_dir / runs.WEIGHTS).write_text("w")
  assert (model_dir / runs.WEIGHTS).read_text() == "w"


def test_model_dir_that_is_a_file(tmp_path):
  path = tmp_path / "run"
  path.write_text("")
  with pytest.raises(NotADirectoryError, match=f"model_dir {path} is a file"):
    runs.check_model_dir(str(path))
  runs.check_model_dir(str(tmp_path))
  runs.check_model_dir(str(tmp_path / "missing"))


def test_read_metrics_of_a_file_says_it_is_one(tmp_path):
  path = tmp_path / runs.WEIGHTS
  path.write_text("")
  with pytest.raises(NotADirectoryError,
                     match=f"{path} is a file, not the folder of a training "
                     f"run"):
    runs.read_metrics(str(path))


def test_a_finished_run_is_not_replaced(tmp_path):
  model_dir = tmp_path / "run"
  runs.check_not_finished(str(model_dir))  # missing: a new run
  model_dir.mkdir()
  (model_dir / runs.LOGS).mkdir()
  runs.check_not_finished(str(model_dir))  # no outputs
  (model_dir / runs.WEIGHTS).write_text("w")
  (model_dir / runs.METRICS).write_text(
      '{"top1": 0.95, "dataset": "digits", "split": "test", '
      '"recipe": {"model": {"name": "digits_cnn_sc"}}}')
  with pytest.raises(FileExistsError) as raised:
    runs.check_not_finished(str(model_dir))
  assert str(raised.value) == (
      f"model_dir {model_dir} holds a finished training run of "
      f"digits_cnn_sc (top-1 0.9500 on digits test), which this run would "
      f"replace; train into another model_dir, or pass --overwrite "
      f"(overwrite=True in Python) to replace it")
  (model_dir / runs.METRICS).write_text("{")  # unreadable: its files named
  with pytest.raises(FileExistsError,
                     match=r"holds a finished training run \(weights.h5, "
                     r"metrics.json\), which"):
    runs.check_not_finished(str(model_dir))
  # An unfinished run (a backup): resumed, whatever outputs are there.
  (model_dir / runs.BACKUP / "chief").mkdir(parents=True)
  (model_dir / runs.BACKUP / "chief" / "checkpoint").write_text("x")
  runs.check_not_finished(str(model_dir))
