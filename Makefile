# drctl — build, test and local control plane.
# `make test` is the one test command (README and .ci/run call it).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

BIN := $(abspath bin)
KUBE_VERSION := v1.37.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X github.com/drctl/drctl/internal/version.Version=$(VERSION) \
           -X github.com/drctl/drctl/internal/version.Commit=$(COMMIT) \
           -X github.com/drctl/drctl/internal/version.Date=$(DATE)
K8S_VERSION_PKG := k8s.io/component-base/version
KUBE_LDFLAGS := -s -w -X $(K8S_VERSION_PKG).gitVersion=$(KUBE_VERSION) -X $(K8S_VERSION_PKG).gitMajor=1 \
                -X $(K8S_VERSION_PKG).gitMinor=37 -X $(K8S_VERSION_PKG).gitTreeState=clean \
                -X $(K8S_VERSION_PKG).buildDate=2026-01-01T00:00:00Z
TEST_TOOLS := $(BIN)/kube-apiserver $(BIN)/etcd $(BIN)/kubectl $(BIN)/controller-gen $(BIN)/goreleaser

.PHONY: build
build: ## Build bin/drctl
	go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/drctl ./cmd/drctl

# The packages that hold the run's concurrency (engine, controller, lease) run under the race detector. The
# fault trials of cmd/drctl (t.Parallel) wait mostly on client-go's rate limiter, not the CPU:
# four at a time.
RACE_PKGS := ./pkg/engine/... ./pkg/controller/... ./internal/lease/... ./internal/faultproxy/...

.PHONY: test
test: test-tools ## Unit, compatibility, integration and fault tests against a real kube-apiserver + etcd
	KUBEBUILDER_ASSETS=$(BIN) go test -count=1 -race $(RACE_PKGS)
	KUBEBUILDER_ASSETS=$(BIN) go test -count=1 -parallel 4 $$(go list ./... | grep -v -e /pkg/engine -e /pkg/controller -e /internal/lease -e /internal/faultproxy)
	cd hack/tools/image && go test -count=1 ./...
	$(MAKE) fuzz

# `make fuzz` runs each fuzz target for FUZZ_TIME with its seed corpus (the examples and
# testdata/hostile). A crasher fails the run; Go writes it to the package's testdata/fuzz/, and
# committed there it stays a failing test until fixed. Minimizing a new input is held to 3 s (Go's
# default, 60 s, would spend the whole budget on one input of the slower validator).
FUZZ_TIME ?= 15s
FUZZ_TARGETS = ./pkg/template:FuzzRender ./pkg/engine:FuzzRenderDocument ./pkg/validate:FuzzValidate

# Go's fuzzer can stop at -fuzztime while it minimizes a new input and then reports "context
# deadline exceeded" with no failing input: that run found nothing and passes. Any other failure,
# and every crasher ("Failing input written to ..."), fails.
.PHONY: fuzz
fuzz: ## Fuzz the template parser, the document renderer and the loader+validator (FUZZ_TIME each)
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "go test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZ_TIME) -fuzzminimizetime 3s $$pkg"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_TIME) -fuzzminimizetime 3s $$pkg 2>&1 | tee $$log; \
		status=$${PIPESTATUS[0]}; \
		if [ $$status -ne 0 ]; then \
			if grep -q 'Failing input written' $$log || ! grep -q 'context deadline exceeded' $$log; then exit 1; fi; \
			echo "$$name: stopped at its deadline while minimizing, no failing input: passed"; \
		fi; \
	done

# `make bench` runs the in-process Go benchmarks (their own API server, output printed), then
# hack/bench: the real bin/drctl from the command line against the local control plane, which
# writes docs/benchmarks.md. `make bench-binary` runs only the latter. Pass flags with
# BENCH_FLAGS (e.g. BENCH_FLAGS="--scenarios 400-50ms --runs 1"; each scenario runs 3 times by
# default and the report shows medians); BENCH_DRCTL_ARGS is added to every drctl invocation
# (hack/bench reads it from the environment). docs/performance.md explains the figures.
BENCH_FLAGS ?=
BENCH_RUN = go build -o $(BIN)/bench ./hack/bench && \
	$(BIN)/bench --kubeconfig .local/kubeconfig --drctl $(BIN)/drctl --out docs/benchmarks.md $(BENCH_FLAGS)

.PHONY: bench
bench: test-tools cluster-up ## Benchmarks: in-process Go benchmarks, then the real binary (writes docs/benchmarks.md)
	KUBEBUILDER_ASSETS=$(BIN) go test -run '^$$' -bench . -benchmem ./...
	$(BENCH_RUN)

.PHONY: bench-binary
bench-binary: cluster-up ## Only the real-binary benchmarks (hack/bench) against the local control plane
	$(BENCH_RUN)

.PHONY: lint
lint: $(BIN)/staticcheck ## gofmt check, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(BIN)/staticcheck ./...

.PHONY: generate
generate: $(BIN)/controller-gen ## Regenerate deepcopy functions and CRDs from pkg/crd
	CONTROLLER_GEN=$(BIN)/controller-gen hack/generate.sh

.PHONY: test-tools
test-tools: $(TEST_TOOLS) ## Build kube-apiserver, etcd, kubectl, controller-gen and goreleaser into bin/ (once)

# The tools build from their own modules under hack/tools, pinned there; each is rebuilt only when
# its module changes. kube-apiserver takes several minutes on 2 cores the first time.
$(BIN)/kube-apiserver: hack/tools/kube-apiserver/go.mod hack/tools/kube-apiserver/go.sum
	cd hack/tools/kube-apiserver && go build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/etcd: hack/tools/etcd/go.mod hack/tools/etcd/go.sum
	cd hack/tools/etcd && go build -trimpath -ldflags "-s -w" -o $@ go.etcd.io/etcd/server/v3

$(BIN)/kubectl: hack/tools/kube-apiserver/go.mod hack/tools/kube-apiserver/go.sum
	cd hack/tools/kube-apiserver && go build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kubectl

$(BIN)/controller-gen: hack/tools/go.mod hack/tools/go.sum
	cd hack/tools && go build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(BIN)/staticcheck: hack/tools/go.mod hack/tools/go.sum
	cd hack/tools && go build -o $@ honnef.co/go/tools/cmd/staticcheck

.PHONY: cluster-up
cluster-up: $(BIN)/kube-apiserver $(BIN)/etcd $(BIN)/kubectl build ## Start a local control plane on loopback; writes .local/kubeconfig
	BIN=$(BIN) hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane
	BIN=$(BIN) hack/cluster.sh down

.PHONY: demo
demo: cluster-up $(BIN)/kubectl ## Local control plane, CRDs installed, examples validated and applied
	BIN=$(BIN) hack/demo.sh

.PHONY: release-snapshot
release-snapshot: $(BIN)/goreleaser ## Build every release archive, checksums and the krew manifest into dist/ (offline)
	$(BIN)/goreleaser release --snapshot --clean --skip=ko

$(BIN)/goreleaser: hack/tools/goreleaser/go.mod hack/tools/goreleaser/go.sum
	cd hack/tools/goreleaser && go build -o $@ github.com/goreleaser/goreleaser/v2

# `make image` builds drctl's container image with no container daemon (hack/tools/image, with
# go-containerregistry): dist/drctl-image.tar for `docker load -i`, `podman load -i` or `kind load
# image-archive`, and the OCI layout dist/oci for `crane push` or `skopeo copy`.
IMAGE ?= ghcr.io/drctl/drctl:$(VERSION)
IMAGE_ARCH ?= amd64

.PHONY: image
image: $(BIN)/image ## Build the container image into dist/drctl-image.tar and dist/oci (no Docker daemon)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) go build -trimpath -ldflags "-s -w $(LDFLAGS)" -o dist/image/drctl ./cmd/drctl
	rm -rf dist/oci
	$(BIN)/image --binary dist/image/drctl --tag $(IMAGE) --arch $(IMAGE_ARCH) --version $(VERSION) --tarball dist/drctl-image.tar --oci dist/oci
	@echo "built $(IMAGE): dist/drctl-image.tar, dist/oci"

$(BIN)/image: hack/tools/image/go.mod hack/tools/image/go.sum hack/tools/image/main.go
	cd hack/tools/image && go build -o $@ .

.PHONY: completions
completions: build ## Regenerate the committed shell completions in completions/
	for shell in bash zsh fish powershell; do $(BIN)/drctl completion $$shell > completions/drctl.$$shell; done

.PHONY: plugin
plugin: build ## Make bin/kubectl-dr, so that `kubectl dr` works with bin/ on the PATH
	ln -sf drctl $(BIN)/kubectl-dr
	cp completions/kubectl_complete-dr $(BIN)/kubectl_complete-dr

.PHONY: clean
clean: ## Remove drctl's build output (keeps the slow-to-build test tools)
	rm -f $(BIN)/drctl
	rm -rf dist

.PHONY: help
help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
