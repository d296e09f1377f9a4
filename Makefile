# Taskmaster build. `make` leaves ./taskmasterd and ./taskmasterctl at the repository root.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
OUT := out
PREFIX ?= /usr/local
DESTDIR ?=
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

SOURCES := $(shell find Taskmaster.Core Taskmaster.Actors Taskmaster.Daemon Taskmaster.Ctl -name '*.cs' -o -name '*.c' -o -name '*.csproj' | grep -v '/obj/' | grep -v '/bin/') Directory.Build.props Directory.Packages.props

.PHONY: all run test bench clean install check

all: taskmasterd taskmasterctl

# The daemon: framework-dependent single file with ReadyToRun (Akka does not run under NativeAOT), and beside it
# libtaskmaster_spawn.so, the spawn stub compiled from Taskmaster.Core/Processes/Native/taskmaster_spawn.c (needs cc).
taskmasterd: $(SOURCES)
	$(DOTNET) publish Taskmaster.Daemon -c $(CONFIG) -r linux-x64 --self-contained false \
		-p:PublishSingleFile=true -p:PublishReadyToRun=true -o $(OUT)/daemon --nologo -v quiet
	cp $(OUT)/daemon/libtaskmaster_spawn.so ./libtaskmaster_spawn.so
	cp $(OUT)/daemon/taskmasterd ./taskmasterd

# The controller: NativeAOT when the toolchain (clang/gcc + zlib) is there, else a single-file JIT build.
taskmasterctl: $(SOURCES)
	@if command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1; then \
		if $(DOTNET) publish Taskmaster.Ctl -c $(CONFIG) -r linux-x64 -p:PublishAot=true -o $(OUT)/ctl --nologo -v quiet; then \
			cp $(OUT)/ctl/taskmasterctl ./taskmasterctl; exit 0; \
		fi; \
	fi; \
	echo "taskmasterctl: NativeAOT toolchain missing or failed; falling back to a JIT single-file build"; \
	$(DOTNET) publish Taskmaster.Ctl -c $(CONFIG) -r linux-x64 --self-contained false \
		-p:PublishSingleFile=true -o $(OUT)/ctl-jit --nologo -v quiet && cp $(OUT)/ctl-jit/taskmasterctl ./taskmasterctl

run: all
	./taskmasterd -n configs/

check: taskmasterd
	./taskmasterd --check configs/

# Every test project; ends with the line `N passed, N failed`. The tests run with a TMPDIR of their own and a
# marker in the environment (TASKMASTER_TEST_RUN) that everything they start inherits; afterwards
# scripts/test-leaks.sh counts each process or temporary directory left behind as a failure, and removes them.
# Built first, so that no build server is started with the marker (the build also uses the run's TMPDIR: MSBuild
# leaves an empty directory in it per build).
test: all
	@rm -rf $(OUT)/test-results
	@set +e; run=$$(mktemp -d /tmp/taskmaster-run.XXXXXX) && chmod 755 $$run; \
	TMPDIR=$$run MSBUILDDISABLENODEREUSE=1 $(DOTNET) build Taskmaster.sln -c $(CONFIG) --nologo -v quiet \
		|| { rm -rf $$run; exit 1; }; \
	TASKMASTER_ROOT=$(CURDIR) TASKMASTER_TEST_RUN=$$run TMPDIR=$$run MSBUILDDISABLENODEREUSE=1 \
		$(DOTNET) test Taskmaster.sln -c $(CONFIG) --no-build --nologo \
		--logger "trx" --results-directory $(OUT)/test-results; status=$$?; \
	scripts/test-leaks.sh $$run $$run; leaks=$$?; \
	LEAKS=$$leaks scripts/test-summary.sh $(OUT)/test-results; summary=$$?; \
	if [ $$status -ne 0 ] || [ $$summary -ne 0 ]; then exit 1; fi

bench: all
	@if [ -x bench/run.sh ]; then bench/run.sh; else echo "no benchmarks yet"; fi

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/taskmaster
	install -m 0755 taskmasterd $(DESTDIR)$(PREFIX)/bin/taskmasterd
	install -m 0644 libtaskmaster_spawn.so $(DESTDIR)$(PREFIX)/lib/taskmaster/libtaskmaster_spawn.so
	install -m 0755 taskmasterctl $(DESTDIR)$(PREFIX)/bin/taskmasterctl

clean:
	rm -rf $(OUT) taskmasterd taskmasterctl libtaskmaster_spawn.so
	find . -name bin -o -name obj | grep -E '/(bin|obj)$$' | xargs rm -rf
