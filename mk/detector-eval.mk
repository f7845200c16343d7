# Detector quality on video (included by the top-level Makefile; see bench/README.md). Not run
# by `make test` or CI: a full run encodes ~800 short H.264 videos (~20-25 min on 2 cores).
#   make detector-video-eval                                  # every source, report in build/
#   make detector-video-eval VIDEO_EVAL_ARGS="--limit 3"      # a quick look (a few minutes)
#   make detector-video-eval VIDEO_EVAL_ARGS="--workdir $HOME/.cache/aigcverify-bench/video"
# Needs the held-back photo sources (the Debian packages of `make train-deps`) and
# /work/shared/data/detector (or DETECTOR_DATA); only the report file is written.

VIDEO_EVAL_OUT  ?= build/detector-video-eval.txt
VIDEO_EVAL_ARGS ?=

.PHONY: detector-video-eval

detector-video-eval: install
	nice -n 10 $(BIN)/python bench/detector_video_eval.py --out $(VIDEO_EVAL_OUT) $(VIDEO_EVAL_ARGS)
