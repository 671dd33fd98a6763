# Two commands on a fresh machine: `make app` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.medlens-installed
PORT   ?= 8501

.PHONY: setup app test test-fast bench e2e clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# No file watcher: a classroom server does not edit its own code, and watching .venv's
# ~100k files overflows inotify ("Inotify queue overflowed", thousands of log lines).
# MEDLENS_VERBOSE=1 make app shows TensorFlow's own logs again.
# Two malloc arenas and a pinned mmap threshold: Streamlit's per-session threads otherwise keep
# ~145 MB more of freed memory (models/native_memory.py, benchmarks/bench_native_memory.py).
app: setup
	@echo "medlens: open http://localhost:$(PORT) in your browser"
	MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=262144 $(PY) -m streamlit run streamlit_app.py \
		--server.port $(PORT) --server.headless true --browser.gatherUsageStats false \
		--server.fileWatcherType none

# Unit, AppTest and (when Debian's chromium is installed) end-to-end browser tests.
test: setup
	$(PY) -m pytest -n 2 --dist loadfile

test-fast: setup
	$(PY) -m pytest -n 2 --dist loadfile -m "not slow and not e2e"

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
