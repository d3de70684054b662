# sparsezoo_tf build entry points. `make test` is what CI runs (.ci/run).
#
#   make venv        .venv + `pip install -e .[test]` (again only when
#                    pyproject.toml changes)
#   make bazel       install Debian's bazel-bootstrap if bazel is missing
#   make build       build the op library, copy it into sparsezoo_tf/ops/
#   make cuda-check  compile the CUDA kernels with nvcc (skipped without nvcc)
#   make test | demo | bench (writes BENCHMARKS.md) | clean | distclean

PYTHON ?= python3
VENV   ?= .venv
VPY    := $(VENV)/bin/python
BAZEL  ?= bazel
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

OP_SO     := sparsezoo_tf/ops/_sparse_conv_ops.so
BAZEL_ENV := PYTHON_BIN_PATH=$(abspath $(VPY))
# Offline Bazel 4.2.3: local rules_cc/rules_java (absolute paths required).
OVERRIDES := \
  --override_repository=rules_cc=$(CURDIR)/custom_ops/third_party/rules_cc \
  --override_repository=rules_java=$(CURDIR)/custom_ops/third_party/rules_java
BAZEL_BUILD := $(BAZEL_ENV) $(BAZEL) build $(OVERRIDES)
# Touched after @local_config_tf re-read the venv's TensorFlow.
TF_STAMP := build/tf_configure.stamp

.PHONY: venv bazel build cuda-check test demo bench clean distclean

venv: $(VENV)/.installed

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VPY)
	$(VPY) -m pip install -e ".[test]"
	touch $@

bazel:
	@command -v $(BAZEL) >/dev/null || { \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y bazel-bootstrap; }

# After (re)installing the venv, refresh TF's headers/flags seen by Bazel.
$(TF_STAMP): $(VENV)/.installed | bazel
	$(BAZEL_ENV) $(BAZEL) sync --configure $(OVERRIDES)
	@mkdir -p $(dir $@) && touch $@

build: venv bazel $(TF_STAMP)
	$(BAZEL_BUILD) //custom_ops:_sparse_conv_ops.so
	@mkdir -p $(dir $(OP_SO))
	@cmp -s bazel-bin/custom_ops/_sparse_conv_ops.so $(OP_SO) || { \
	  cp -f bazel-bin/custom_ops/_sparse_conv_ops.so $(OP_SO).tmp && \
	  mv -f $(OP_SO).tmp $(OP_SO) && echo "updated $(OP_SO)"; }

cuda-check: venv bazel $(TF_STAMP)
	@if command -v nvcc >/dev/null; then \
	  echo "$(BAZEL_BUILD) //custom_ops:cuda_compile_check"; \
	  $(BAZEL_BUILD) //custom_ops:cuda_compile_check; \
	else \
	  echo "cuda-check: SKIPPED (nvcc not found)"; \
	fi

# The suite runs twice: with the op library, and forced onto the pure-TF
# reference path (what users without the library get), skipping there the
# `single_path` tests: counts and model structure, which do not depend on
# the path (the op and layer tests compare the two paths).
test: build cuda-check
	$(VPY) -m pytest -q tests
	SPARSEZOO_FORCE_REFERENCE=1 $(VPY) -m pytest -q tests \
	  -m "not slow and not single_path"

demo: build
	$(VPY) tools/demo.py

bench: build
	$(VPY) tools/benchmark_ops.py --output BENCHMARKS.md
	$(VPY) tools/benchmark_models.py --output BENCHMARKS.md

clean:
	-command -v $(BAZEL) >/dev/null && $(BAZEL) clean
	rm -f $(OP_SO) $(OP_SO).tmp

distclean: clean
	rm -rf $(VENV) build
