# SPDX-License-Identifier: GPL-2.0
#
# vi915: build, boot and test. Everything downloaded or built is cached in
# $(VI915_CACHE) (default /var/cache/vi915); results go to out/.
#
#   make            build the debug kernel, the module and the selftests
#   make CLIPPY=1   the same, with the driver linted by clippy (warnings fail)
#   make run        build, boot the guest with vi915 and run the demo
#   make check      build, boot the guest and run every test
#   make conformance  build, boot the guest and run the surveyed IGT list
#                   (igt/expectations.txt and igt/conformance.txt)
#   make survey TESTS="BINARY..."  run those IGT binaries whole in that guest and
#                   print their subtests as list lines, to extend the lists
#   make guest CMD="..."  run CMD as root in the guest with vi915 loaded
#   make bench      build the perf kernel and run the benchmarks in one guest
#   make stress     build, boot the guest and run the long stress tests
#   make oldest     build the kernel crate and the driver, with clippy, on the
#                   oldest Rust toolchain in range (trixie's own)
#   make bisect     build the kernel crate after every patch of the series, and
#                   the driver after the last
#   make guard      check that a fresh machine could build: the archive still
#                   serves the toolchain and the series applies to its source
#   make fmt        check rustfmt on the driver and the kernel-crate additions
#   make docs       build Documentation/vi915 (warnings fail)

.PHONY: all build run check conformance survey guest bench stress oldest bisect guard fmt docs clean

all: build

build:
	@scripts/build.sh $(if $(CLIPPY),--clippy)

run: build
	@scripts/run.sh

check: build
	@scripts/check.sh

conformance: build
	@scripts/check.sh conformance

survey: build
	@scripts/check.sh survey $(TESTS)

# CMD is passed on literally ($(value ...), single-quoted), not expanded by make.
guest: build
	@scripts/guest.sh out/guest '$(subst ','\'',$(value CMD))'

bench:
	@scripts/bench.sh

stress: build
	@scripts/stress.sh

oldest:
	@scripts/oldest.sh

bisect:
	@scripts/bisect-check.sh

guard:
	@scripts/guard.sh

fmt:
	@scripts/kernel.sh debug rustfmtcheck

docs:
	@scripts/docs.sh

clean:
	rm -rf out
