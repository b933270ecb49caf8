# user-provisioning: see README.md.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
DEMO    := bin/demo

# Go 1.27.3: go.mod requires it (the Go 1.26 standard library has vulnerabilities that the client
# reaches; see "Vulnerability check" in README.md). A machine with an older Go fetches go1.27.3
# through the module proxy: every target runs with GOTOOLCHAIN=go1.27.3, whatever the environment
# says (Go's own default, in $GOROOT/go.env, is "local", which would refuse to build). Where Go
# 1.27.3 or later is installed, `make GOTOOLCHAIN=local ...` uses it instead.
export GOTOOLCHAIN := go1.27.3

.PHONY: build test demo lint fmt clean fuzz bench smoke vuln

## build: bin/user-provisioning and bin/gcsim
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

## test: vet, gofmt check and every test under the race detector
test:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) test -race -count=1 ./...

## demo: start the simulator, provision testdata/userdata.csv, show the report, stop
demo: build
	@rm -rf $(DEMO) && mkdir -p $(DEMO) && cp testdata/userdata.csv $(DEMO)/userdata.csv
	@bin/gcsim -org testdata/org.json -url-file $(DEMO)/gcsim.url -station-delay 1s > $(DEMO)/gcsim.log 2>&1 & \
	  pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT; \
	  for i in $$(seq 50); do [ -s $(DEMO)/gcsim.url ] && break; sleep 0.1; done; \
	  [ -s $(DEMO)/gcsim.url ] || { echo "gcsim did not start:"; cat $(DEMO)/gcsim.log; exit 1; }; \
	  echo "simulator at $$(cat $(DEMO)/gcsim.url)"; \
	  GENESYS_API_URL=$$(cat $(DEMO)/gcsim.url) GENESYS_CLIENT_ID=demo-client GENESYS_CLIENT_SECRET=demo-secret-not-real \
	    bin/user-provisioning --env-file /dev/null --log-format console $(DEMO)/userdata.csv; code=$$?; \
	  echo; echo "--- $(DEMO)/userdata.results.csv"; column -s, -t < $(DEMO)/userdata.results.csv 2>/dev/null || cat $(DEMO)/userdata.results.csv; \
	  echo; echo "exit code $$code"; exit $$code

## lint: vet, gofmt and staticcheck
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...

STATICCHECK ?= v0.8.2

## vuln: govulncheck on every package. VULNDB=online (the default) asks vuln.go.dev; VULNDB=offline
## reads the OSV files of the pinned golang.org/x/vulndb module, fetched through the module proxy
## (as of its date, VULNDB_MODULE); any other value is passed to -db (file:///dir, https://mirror).
GOVULNCHECK   ?= v1.9.0
VULNDB        ?= online
VULNDB_MODULE ?= golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
vuln:
	@set -e; db='$(VULNDB)'; \
	case "$$db" in \
	  online) db=https://vuln.go.dev ;; \
	  offline) $(GO) mod download $(VULNDB_MODULE); \
	    db=file://$$($(GO) list -m -f '{{.Dir}}' $(VULNDB_MODULE))/data/osv; \
	    echo "offline vulnerability database: $(VULNDB_MODULE)" ;; \
	esac; \
	$(GO) version; \
	$(GO) run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK) -db "$$db" ./...

## fuzz: run each fuzz target (the CSV parsers, the report reader of --resume, the .env loader, the swagger.json cutter) for FUZZTIME (default 60s), one after another
FUZZTIME ?= 60s
fuzz:
	@set -e; for t in FuzzCSVReader FuzzHeader FuzzSplitList FuzzRoleSpec FuzzProficiency FuzzDate FuzzPhone FuzzEmail FuzzReportReader; do \
	  echo "--- $$t ($(FUZZTIME))"; \
	  $(GO) test ./provision -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s; \
	done; \
	echo "--- FuzzObjectMembers ($(FUZZTIME))"; \
	$(GO) test ./proxies/gcsim/spec -run '^$$' -fuzz '^FuzzObjectMembers$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s; \
	echo "--- FuzzLoadEnv ($(FUZZTIME))"; \
	$(GO) test ./cmd/internal/envconfig -run '^$$' -fuzz '^FuzzLoadEnv$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

## bench: the benchmarks of BENCHMARKS.md: the offline pipeline (Go benchmark), a 1,000,000-row
## --validate, and six end-to-end runs against the simulator, at once (about 22 minutes in all:
## the longest is 3,000 users on one token at 300 a minute); the sixth exports 3,000 users and
## imports the export again
BENCH       := bin/bench
BENCH_USERS ?= 3000
BENCH_ROUTE_USERS ?= 500
BENCH_POOL_USERS ?= 3000
bench: build
	@mkdir -p $(BENCH)
	GOMAXPROCS=1 $(GO) test ./provision -run '^$$' -bench OfflinePipeline -benchmem -benchtime 5x -count 3
	@command -v /usr/bin/time >/dev/null || { echo "bench needs /usr/bin/time (Debian package time)"; exit 1; }
	@for n in 10000 1000000; do \
	  bin/gencsv -rows $$n > $(BENCH)/validate-$$n.csv; \
	  /usr/bin/time -v bin/user-provisioning --validate --log-format json --report $(BENCH)/validate-$$n.report.csv $(BENCH)/validate-$$n.csv \
	    2> $(BENCH)/validate-$$n.time >/dev/null; \
	  echo "--validate $$n rows: $$(grep -E 'Elapsed' $(BENCH)/validate-$$n.time | sed 's/.*: //') wall, peak RSS $$(grep 'Maximum resident' $(BENCH)/validate-$$n.time | sed 's/.*: //') KB"; \
	done
	@echo "end to end: $(BENCH_USERS) users against the simulator at 1,200 and at 600 requests a minute, --rate 1,200; $(BENCH_ROUTE_USERS) users against one whose user creation alone allows 60 a minute; $(BENCH_POOL_USERS) users at 300 a minute a token with 150 ms of latency, on --tokens 4 and on one token; an export of $(BENCH_POOL_USERS) users with locations and employer fields at 300 a minute, then its re-import (all at once)"
	@bin/e2ebench -users $(BENCH_USERS) -server-rate 1200 -rate 1200 -dir $(BENCH) > $(BENCH)/e2e-1200.out & a=$$!; \
	  bin/e2ebench -users $(BENCH_USERS) -server-rate 600 -rate 1200 -dir $(BENCH) > $(BENCH)/e2e-600.out & b=$$!; \
	  bin/e2ebench -users $(BENCH_ROUTE_USERS) -server-rate 1200 -rate 1200 -route-limit 'POST /api/v2/users=60' -dir $(BENCH) > $(BENCH)/e2e-route.out & c=$$!; \
	  bin/e2ebench -users $(BENCH_POOL_USERS) -server-rate 300 -rate 300 -tokens 4 -latency 150ms -dir $(BENCH) > $(BENCH)/e2e-tokens4.out & d=$$!; \
	  bin/e2ebench -users $(BENCH_POOL_USERS) -server-rate 300 -rate 300 -latency 150ms -dir $(BENCH) > $(BENCH)/e2e-tokens1.out & e=$$!; \
	  bin/e2ebench -users $(BENCH_POOL_USERS) -profile placed -server-rate 300 -rate 300 -tokens 10 -export -dir $(BENCH) > $(BENCH)/e2e-export.out & f=$$!; \
	  wait $$a; ca=$$?; wait $$b; cb=$$?; wait $$c; cc=$$?; wait $$d; cd=$$?; wait $$e; ce=$$?; wait $$f; cf=$$?; \
	  cat $(BENCH)/e2e-1200.out $(BENCH)/e2e-600.out $(BENCH)/e2e-route.out $(BENCH)/e2e-tokens4.out $(BENCH)/e2e-tokens1.out $(BENCH)/e2e-export.out; \
	  [ $$ca -eq 0 ] && [ $$cb -eq 0 ] && [ $$cc -eq 0 ] && [ $$cd -eq 0 ] && [ $$ce -eq 0 ] && [ $$cf -eq 0 ]

## smoke: opt-in checks against the sandbox org in .env: provision 3 users under a unique prefix,
## re-run (no write), dry run (one change), deactivate them. SMOKE_FLAGS=--phone adds a phone.
## Against the simulator it runs in make test (cmd/smoke).
SMOKE_FLAGS ?=
smoke:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/smoke ./cmd/smoke
	bin/smoke $(SMOKE_FLAGS)

fmt:
	gofmt -w .

clean:
	rm -rf bin
