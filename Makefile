# sparsezoo_tf build entry points. `make test` is what CI runs (.ci/run).
#
#   make venv        .venv + `pip install -e .[test]` (again only when
#                    pyproject.toml changes)
#   make bazel       install Debian's bazel-bootstrap if bazel is missing
#   make build       build the op library, copy it into sparsezoo_tf/ops/
#   make build-gpu   the same with the CUDA kernels (CUDA 12, sm_70/80/90 +
#                    PTX); provides the toolkit in build/cuda12 and the CUDA
#                    runtime in the venv (.[gpu]) first
#   make gpu-build-check  build-gpu's library built and checked by
#                    tests/ops/test_gpu_build.py, without installing it
#   make cuda-check  compile the CUDA kernels with the nvcc on PATH (skipped
#                    without nvcc)
#   make test | demo | bench (writes BENCHMARKS.md) | clean | distclean

PYTHON ?= python3
VENV   ?= .venv
VPY    := $(VENV)/bin/python
BAZEL  ?= bazel
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

OP_SO     := sparsezoo_tf/ops/_sparse_conv_ops.so
BAZEL_SO  := bazel-bin/custom_ops/_sparse_conv_ops.so

# The CUDA 12 toolkit of `make build-gpu` (CUDA12_HOME=/path/to/cuda-12.x
# uses an installed one instead). PyPI's nvidia-cuda-nvcc-cu12 wheels hold
# only ptxas (no nvcc, cicc, cudafe++, fatbinary), and CUDA 13's nvcc cannot
# target sm_70, so the compiler is Debian's non-free nvidia-cuda-toolkit from
# trixie (CUDA 12.4.1; unpacked into build/cuda12, not installed), and the
# headers are PyPI's wheels of the same release. Code built with 12.4 runs on
# the newer 12.x runtime that TensorFlow 2.20 uses (12.5+).
CUDA12_DEFAULT := $(CURDIR)/build/cuda12
CUDA12_HOME    ?= $(CUDA12_DEFAULT)
CUDA12_SUITE   := trixie
CUDA12_RELEASE := 12.4
CUDA12_WHEELS  := nvidia-cuda-nvcc-cu12==12.4.131 \
                  nvidia-cuda-runtime-cu12==12.4.127 \
                  nvidia-cuda-cccl-cu12==12.4.127.post1
# The Debian mirror this machine's apt already uses.
DEBIAN_MIRROR ?= $(shell { sed -n 's/^URIs:[[:space:]]*//p' \
  /etc/apt/sources.list.d/debian.sources; sed -n \
  's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}[a-z]*[[:space:]].*/\2/p' \
  /etc/apt/sources.list; } 2>/dev/null | grep -v security | head -n 1)
DEBIAN_KEYRING := /usr/share/keyrings/debian-archive-keyring.gpg
CUDA12_TMP := $(CUDA12_DEFAULT).tmp
# apt on a private source list and state in $(CUDA12_TMP) (the system's apt
# configuration and package database are left alone).
CUDA12_APT := apt-get -q -o Dir::Etc::SourceList=$(CUDA12_TMP)/apt/sources.list \
  -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$(CUDA12_TMP)/apt/lists \
  -o Dir::Cache=$(CUDA12_TMP)/apt/cache -o Dir::State::status=/dev/null \
  -o Debug::NoLocking=1 $(if $(SUDO),,-o APT::Sandbox::User=root)

BAZEL_ENV := PYTHON_BIN_PATH=$(abspath $(VPY)) CUDA12_HOME=$(CUDA12_HOME)
# Offline Bazel 4.2.3: local rules_cc/rules_java (absolute paths required).
OVERRIDES := \
  --override_repository=rules_cc=$(CURDIR)/custom_ops/third_party/rules_cc \
  --override_repository=rules_java=$(CURDIR)/custom_ops/third_party/rules_java
BAZEL_BUILD := $(BAZEL_ENV) $(BAZEL) build $(OVERRIDES)
# Touched after @local_config_tf re-read the venv's TensorFlow.
TF_STAMP := build/tf_configure.stamp

.PHONY: venv venv-gpu bazel build cuda12 gpu-lib build-gpu gpu-build-check \
  cuda-check test demo bench clean distclean

venv: $(VENV)/.installed
venv-gpu: $(VENV)/.installed-gpu

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VPY)
	$(VPY) -m pip install -e ".[test]"
	touch $@

# + the CUDA 12 runtime that GPU builds load (pyproject's gpu extra).
$(VENV)/.installed-gpu: $(VENV)/.installed
	$(VPY) -m pip install -e ".[test,gpu]"
	touch $@

bazel:
	@command -v $(BAZEL) >/dev/null || { \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y bazel-bootstrap; }

# After (re)installing the venv, refresh TF's headers/flags seen by Bazel.
$(TF_STAMP): $(VENV)/.installed | bazel
	$(BAZEL_ENV) $(BAZEL) sync --configure $(OVERRIDES)
	@mkdir -p $(dir $@) && touch $@

# Copies the library Bazel built into the package (when it changed).
define install_op_so
	@mkdir -p $(dir $(OP_SO))
	@cmp -s $(BAZEL_SO) $(OP_SO) || { \
	  cp -f $(BAZEL_SO) $(OP_SO).tmp && \
	  mv -f $(OP_SO).tmp $(OP_SO) && echo "updated $(OP_SO)"; }
endef

build: venv bazel $(TF_STAMP)
	$(BAZEL_BUILD) //custom_ops:_sparse_conv_ops.so
	$(install_op_so)

cuda12: $(CUDA12_HOME)/bin/nvcc

# Assembles the CUDA 12 toolkit: Debian's compiler binaries (nvcc, cudafe++,
# cicc, ptxas, fatbinary, nvlink, cuobjdump, libdevice) in NVIDIA's layout,
# PyPI's headers of the same release, and an nvcc.profile relative to
# itself. ~110 MB downloaded, 148 MB unpacked; remove build/cuda12 to redo it.
$(CUDA12_DEFAULT)/bin/nvcc: | venv
	@[ -n "$(DEBIAN_MIRROR)" ] && [ -r $(DEBIAN_KEYRING) ] && \
	  command -v apt-get >/dev/null && command -v dpkg >/dev/null || { \
	  echo "build-gpu: no Debian apt here to fetch the CUDA 12 compiler;" \
	    "set CUDA12_HOME to a CUDA 12 toolkit" >&2; exit 1; }
	rm -rf $(CUDA12_TMP)
	mkdir -p $(CUDA12_TMP)/apt/lists/partial $(CUDA12_TMP)/apt/cache/archives/partial
	echo "deb [signed-by=$(DEBIAN_KEYRING)] $(DEBIAN_MIRROR) $(CUDA12_SUITE) non-free" \
	  > $(CUDA12_TMP)/apt/sources.list
	$(CUDA12_APT) update
	cd $(CUDA12_TMP)/apt && $(CUDA12_APT) download nvidia-cuda-toolkit/$(CUDA12_SUITE)
	dpkg -x $(CUDA12_TMP)/apt/nvidia-cuda-toolkit_*.deb $(CUDA12_TMP)/deb
	$(VPY) -m pip install -q --no-deps --target $(CUDA12_TMP)/wheels $(CUDA12_WHEELS)
	cd $(CUDA12_TMP) && D=deb/usr && T=$$D/lib/nvidia-cuda-toolkit && \
	  mkdir -p bin/crt nvvm/bin nvvm/libdevice include lib64 && \
	  cp $$T/bin/nvcc $$D/bin/cudafe++ $$D/bin/fatbinary $$D/bin/ptxas \
	    $$D/bin/nvlink $$D/bin/bin2c $$D/bin/cuobjdump bin/ && \
	  cp $$T/bin/crt/* bin/crt/ && cp $$T/bin/cicc nvvm/bin/ && \
	  cp $$T/libdevice/libdevice.10.bc nvvm/libdevice/ && \
	  for w in cuda_runtime cuda_nvcc cuda_cccl; do \
	    cp -R wheels/nvidia/$$w/include/. include/; done && \
	  cp -P wheels/nvidia/cuda_runtime/lib/libcudart.so.12 lib64/ && \
	  find include -name '__init__.py' -delete && rm -rf include/__pycache__ && \
	  printf '%s\n' 'TOP = $$(_HERE_)/..' \
	    'NVVMIR_LIBRARY_DIR = $$(TOP)/nvvm/libdevice' \
	    'PATH += $$(TOP)/nvvm/bin:$$(_HERE_):' \
	    'INCLUDES += "-I$$(TOP)/include" $$(_SPACE_)' \
	    'LIBRARIES =+ $$(_SPACE_) "-L$$(TOP)/lib64"' > bin/nvcc.profile && \
	  { dpkg-deb -f apt/nvidia-cuda-toolkit_*.deb Package Version; \
	    echo "PyPI: $(CUDA12_WHEELS)"; } > VERSIONS && \
	  rm -rf apt deb wheels
	$(CUDA12_TMP)/bin/nvcc --version | grep 'release $(CUDA12_RELEASE),'
	rm -rf $(CUDA12_DEFAULT) && mv $(CUDA12_TMP) $(CUDA12_DEFAULT)

# The GPU-enabled library in bazel-bin (not installed). The sync re-reads
# the toolkit and the venv's CUDA runtime (cheap).
gpu-lib: venv-gpu bazel $(TF_STAMP) cuda12
	$(BAZEL_ENV) $(BAZEL) sync --only=local_config_cuda $(OVERRIDES)
	$(BAZEL_BUILD) --config=cuda //custom_ops:_sparse_conv_ops.so
	@readelf -d $(BAZEL_SO) | grep NEEDED | grep -q '\[libcudart\.so\.12\]' || { \
	  echo "build-gpu: $(BAZEL_SO) does not link libcudart.so.12" >&2; exit 1; }

# Installs it into the package (a later `make build` puts the CPU-only one
# back) and checks that TensorFlow loads it.
build-gpu: gpu-lib
	$(install_op_so)
	$(VPY) -c "import sys, sparsezoo_tf.ops as o; r = o.unavailable_reason(); \
	  cuda = o.built_with_cuda(); \
	  print('$(OP_SO):', r or ('loads, with the CUDA kernels' if cuda else \
	    'loads, but has no CUDA kernels')); sys.exit(r is not None or not cuda)"

# What CI can run: builds the GPU library and checks its linking, code and
# loading (tests/ops/test_gpu_build.py, marked slow) without installing it.
gpu-build-check: venv
	$(VPY) -m pytest -q -m slow tests/ops/test_gpu_build.py

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

# Quiet: Bazel reports only warnings and errors, and the demo hides
# TensorFlow's INFO / WARNING logs (SPARSEZOO_VERBOSE=1 shows them).
demo: BAZEL_BUILD += --noshow_progress --ui_event_filters=-info \
  --show_result=0
demo: build
	$(VPY) tools/demo.py

bench: build
	$(VPY) tools/benchmark_ops.py --output BENCHMARKS.md
	$(VPY) tools/benchmark_models.py --output BENCHMARKS.md
	$(VPY) tools/benchmark_detectors.py --output BENCHMARKS.md

clean:
	-command -v $(BAZEL) >/dev/null && $(BAZEL) clean
	rm -f $(OP_SO) $(OP_SO).tmp

distclean: clean
	rm -rf $(VENV) build  # build/: stamps and the CUDA 12 toolkit
