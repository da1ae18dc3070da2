# Guildhall — make help lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

ADDR        ?= :8080
ADMIN_ADDR  ?= 127.0.0.1:8081
BROKER      ?= 127.0.0.1:9092
DATA        ?= ./data
LOG_LEVEL   ?= warn
LOG_FILE    ?=
GO_TEST_FLAGS ?= -count=1 -timeout 20m
BENCH_FLAGS ?= -run '^$$' -bench . -benchtime 1x -timeout 30m

.PHONY: help
help: ## Show this help.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: run
run: ## Start the whole city in one process on $(ADDR) (metrics and health on $(ADMIN_ADDR), the Kafka broker on $(BROKER)) with data under $(DATA); JSON logs from LOG_LEVEL (warn) to stderr, or to LOG_FILE under DATA.
	go run ./services/standalone/cmd/guildhall -http.addr=$(ADDR) -admin.addr=$(ADMIN_ADDR) -broker.addr=$(BROKER) -data.dir=$(DATA) \
		-log.level=$(LOG_LEVEL) -log.file=$(LOG_FILE) -demo.when-empty

.PHONY: build
build: ## Build every binary into ./bin.
	go build -o bin/guildhall ./services/standalone/cmd/guildhall
	go build -o bin/membership ./services/membership/cmd/membership
	go build -o bin/meetings ./services/meetings/cmd/meetings
	go build -o bin/patrols ./services/patrols/cmd/patrols
	go build -o bin/messaging ./services/messaging/cmd/messaging
	go build -o bin/compliance ./services/compliance/cmd/compliance
	go build -o bin/hq ./services/hq/cmd/hq
	go build -o bin/devstack ./services/standalone/cmd/devstack
	go build -o bin/console ./services/standalone/cmd/console

FUZZTIME ?= 3s

.PHONY: test
test: ## Run every module's tests (unit, end-to-end, fault and security tests), then a short run of every fuzz target and of every benchmark.
	./scripts/console.sh test
	./scripts/each-module.sh go test $(GO_TEST_FLAGS) ./...
	./scripts/fuzz.sh $(FUZZTIME)
	./scripts/ops-test-rules.sh
	$(MAKE) --no-print-directory bench-smoke

# Packages test-pg runs in every module (all of them by default). Only the
# PostgreSQL suites: make test-pg GO_TEST_FLAGS='-count=1 -run Postgres'.
PG_TEST_PKGS ?= ./...

.PHONY: test-pg
test-pg: ## Start a throwaway PostgreSQL cluster (scripts/pg-start.sh), run every module's tests with GUILDHALL_TEST_PG_DSN naming it (the PostgreSQL suites run instead of skipping; GO_TEST_FLAGS='-count=1 -run Postgres' runs only them), then stop it.
	@dir=$$(mktemp -d /tmp/guildhall-pg.XXXXXX); \
	dsn=$$(PG_DIR=$$dir ./scripts/pg-start.sh) || exit 1; \
	GUILDHALL_TEST_PG_DSN=$$dsn ./scripts/each-module.sh go test $(GO_TEST_FLAGS) $(PG_TEST_PKGS); rc=$$?; \
	./scripts/pg-start.sh -stop $$dir; exit $$rc

.PHONY: fuzz
fuzz: ## Fuzz every target for FUZZTIME (e.g. make fuzz FUZZTIME=5m) and add what it found to the committed corpora.
	./scripts/fuzz.sh -corpus $(FUZZTIME)

.PHONY: test-faults
test-faults: build ## Fault harness: the binaries under load; kill -9, broker/etcd down, full disk, partition (FAULTS_FLAGS).
	go build -o bin/faults ./services/standalone/cmd/faults
	./bin/faults -bin=./bin -report=bin/faults-report.txt $(FAULTS_FLAGS)

SOAK ?= 1h

.PHONY: soak
soak: build ## An hour (SOAK=…) under steady load, sampling memory, goroutines, open files and DB sizes; fails if any keeps growing. Not in CI.
	go build -o bin/soak ./services/standalone/cmd/soak
	./bin/soak -bin=./bin -duration=$(SOAK) -report=bin/soak-report.txt $(SOAK_FLAGS)

.PHONY: bench
bench: ## Run the benchmarks; they print ratios against raw baselines measured in the same run.
	cd services/standalone && go test $(BENCH_FLAGS) ./bench/...
	cd pkg && go test -run '^$$' -bench 'Authenticate|NoAuth' -benchtime 500x ./auth/
	cd pkg && go test -run '^$$' -bench GroupCommit -benchtime 1x ./storage/
	cd pkg && go test -run '^$$' -bench ConsumerBatch -benchtime 1x ./eventbus/

# Every benchmark at a toy size: what make bench runs still runs (its
# setup, its pipeline and the checks it makes on the way), without the
# minutes its full sizes take. In make test, so a benchmark cannot rot.
BENCH_SMOKE_FLAGS ?= -bench.guards=20 -bench.clients=1,4 -bench.import-rows=50 -bench.replay-events=300 \
	-bench.compliance-guards=500 -bench.compliance-events=100 -bench.messaging.districts=2 -bench.messaging.companies=3 \
	-bench.aid.districts=2 -bench.scans=40 -bench.city.districts=2 -bench.city.guards=50 -bench.city.readers=2 -bench.city.read-for=500ms \
	-bench.lag.rates=500

.PHONY: bench-smoke
bench-smoke: ## Run every benchmark once at a toy size (part of make test): they must still run.
	@out=$$(cd services/standalone && go test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 20m ./bench/... $(BENCH_SMOKE_FLAGS) 2>&1) || { echo "$$out"; exit 1; }; echo "bench-smoke: services/standalone/bench ok"
	@out=$$(cd pkg && go test -count=1 -run '^$$' -bench 'Authenticate|NoAuth|GroupCommit' -benchtime 1x ./auth/ ./storage/ 2>&1) || { echo "$$out"; exit 1; }
	@out=$$(cd pkg && go test -count=1 -run '^$$' -bench ConsumerBatch -benchtime 1x ./eventbus/ -bench.batch-events=1001 2>&1) || { echo "$$out"; exit 1; }; echo "bench-smoke: pkg ok"

.PHONY: tools
tools: ## Install the pinned tools into ./bin.
	./scripts/install-tools.sh

.PHONY: lint
lint: tools ## gofmt, go vet and staticcheck over every module.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	./scripts/each-module.sh go vet ./...
	./scripts/each-module.sh $(CURDIR)/bin/staticcheck ./...

.PHONY: proto
proto: tools ## Regenerate the Go code of proto/.
	./scripts/gen-proto.sh

.PHONY: work
work: ## Regenerate go.work from the modules in the tree.
	./scripts/gen-work.sh

# The generated OpenAPI documents, one per service.
OPENAPI_DOCS := services/membership/openapi.json services/meetings/openapi.json services/patrols/openapi.json services/hq/openapi.json services/accounts/openapi.json services/messaging/openapi.json services/compliance/openapi.json

.PHONY: openapi
openapi: ## Regenerate every service's openapi.json from its route table.
	go run ./services/standalone/cmd/openapi

.PHONY: errors-doc
errors-doc: ## Regenerate the README's table of every error id from the pkg/errs registry.
	go run ./services/standalone/cmd/errtable

.PHONY: verify
verify: proto work openapi ## Fail if generated code, OpenAPI documents, the README's error table, go.work or the console's build differ from what is committed.
	@git diff --exit-code -- proto go.work $(OPENAPI_DOCS) || { echo "generated files are stale: run make proto work openapi and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto go.work $(OPENAPI_DOCS))" || { git status --porcelain -- proto go.work $(OPENAPI_DOCS); echo "untracked generated files"; exit 1; }
	@go run ./services/standalone/cmd/errtable -check
	@./scripts/console.sh verify
	@$(MAKE) --no-print-directory mixin dashboards && { git diff --exit-code -- $(OPS_GENERATED) && test -z "$$(git status --porcelain -- $(OPS_GENERATED))"; } || { echo "generated rules or dashboards are stale: run make mixin dashboards and commit"; exit 1; }

.PHONY: console
console: ## Build the web console (npm ci, vite build) into web/console/dist, which every binary embeds: commit the result.
	./scripts/console.sh build

.PHONY: test-console
test-console: ## The web console's unit tests (vitest); its browser tests are Go tests in services/standalone (console_*e2e_test.go, go test -run TestConsole).
	./scripts/console.sh test

.PHONY: images
images: ## One OCI image per binary in dist/images/<binary> (no Docker: static binary, non-root, no shell), then a test of each image's config.
	./scripts/k8s-images.sh

.PHONY: test-k8s
test-k8s: tools ## The chart, offline: helm lint --strict, golden renders' drift, kubeconform -strict (Kubernetes and CRD schemas), a real kube-apiserver's server-side dry run.
	./scripts/k8s-test.sh

# Ops (issue 15): the SLO rules, their tests, the dashboards and make observe.
OPS_GENERATED := deploy/mixin/rules.yaml charts/guildhall/files/prometheus-rules.yaml deploy/dashboards

.PHONY: mixin
mixin: tools ## Regenerate the Prometheus rules (deploy/mixin/rules.yaml and the chart's copy) from deploy/mixin/slos.yaml with sloth.
	cd tools/ops && GOWORK=off go run ./cmd/mixin -sloth ../../bin/sloth -spec ../../deploy/mixin/slos.yaml \
		-out ../../deploy/mixin/rules.yaml,../../charts/guildhall/files/prometheus-rules.yaml

.PHONY: dashboards
dashboards: ## Regenerate the Grafana dashboards (deploy/dashboards/*.json) from tools/ops/dashboards.
	cd tools/ops && GOWORK=off go run ./cmd/dashboards -out ../../deploy/dashboards

.PHONY: test-rules
test-rules: ## promtool check rules and test rules on the generated rules (every alert: fires, quiet at target, traffic floor).
	./scripts/ops-test-rules.sh

.PHONY: observe
observe: ## Start the standalone city and Prometheus (random ports, own data dir) with the rules loaded; check every SLO query has data, then keep both running (OBSERVE_FLAGS=-check-only to stop after the check).
	./scripts/ops-observe.sh $(OBSERVE_FLAGS)
