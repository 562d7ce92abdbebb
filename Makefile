# The two commands: `make run` (spillwayd on its embedded defaults) and `make test` (the whole suite).
# Each first installs the Debian packages it needs (scripts/install-deps.sh).
BAZEL ?= bazel
RUN_ARGS ?=

.PHONY: deps build run test bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(BAZEL) build //...

run: deps
	$(BAZEL) build //server:spillwayd //tools/spillctl //tools/aci-emulator //agent:spillway-agent
	@echo "spillctl: $$($(BAZEL) info bazel-bin 2>/dev/null)/tools/spillctl/spillctl"
	bash scripts/run-local.sh "$$($(BAZEL) info bazel-bin 2>/dev/null)" $(RUN_ARGS)

test: deps
	$(BAZEL) test //...
	@bash scripts/summarize-tests.sh

bench: deps
	$(BAZEL) build -c opt //tests/bench:all
	@bash tests/bench/run_bench.sh "$$($(BAZEL) info -c opt bazel-bin 2>/dev/null)" $(SIM_JOBS)

clean:
	$(BAZEL) clean
