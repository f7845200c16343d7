# Detector training pipeline (included by the top-level Makefile). Not run by CI.
#   make train-detector                       # build data, train, export, calibrate, evaluate
#   make train-detector TRAIN_STEPS=2000 TRAIN_MINUTES=30 DETECTOR_THREADS=2
# Needs the optional extra "train" (torch CPU, onnx) and the Debian photo packages below.
# Caches go to DETECTOR_CACHE (outside the repository); only models/trace-npr/ changes.

DETECTOR_CACHE   ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/aigcverify-detector
DETECTOR_THREADS ?= 2
SIM_STEPS        ?= 1200
TRAIN_STEPS      ?= 4000
TRAIN_MINUTES    ?= 55
TRAIN_DEBS       := plasma-workspace-wallpapers mate-backgrounds ukui-wallpapers \
                    lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 opencv-doc python3-skimage
TRAIN_ENV        := DETECTOR_CACHE=$(DETECTOR_CACHE) DETECTOR_THREADS=$(DETECTOR_THREADS)
TRAIN_PY         := cd models/train && $(TRAIN_ENV) nice -n 10 ../../$(BIN)/python

.PHONY: train-detector train-deps detector-data detector-train detector-export detector-eval

train-deps: install
	$(BIN)/pip install --disable-pip-version-check -q -c requirements-lock.txt -e '.[train]'
	@for p in $(TRAIN_DEBS); do dpkg -s $$p >/dev/null 2>&1 || MISSING="$$MISSING $$p"; done; \
	 if [ -n "$$MISSING" ]; then apt-get install -y $$MISSING; fi

detector-data: train-deps
	$(TRAIN_PY) build_data.py --sim-steps $(SIM_STEPS)

detector-train: detector-data
	$(TRAIN_PY) train.py --steps $(TRAIN_STEPS) --max-minutes $(TRAIN_MINUTES)

detector-export: detector-train
	$(TRAIN_PY) export.py
	$(TRAIN_PY) calibrate.py

detector-eval:
	$(TRAIN_ENV) nice -n 10 $(BIN)/python bench/detector_eval.py --write-manifest \
	    --out models/trace-npr/evaluation.txt

train-detector: detector-export
	$(MAKE) detector-eval
