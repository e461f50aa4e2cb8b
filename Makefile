# Thin wrappers over scripts/ (see README.md).
.PHONY: run check build bench fmt clean

run:
	scripts/run.sh

check:
	scripts/check.sh

build:
	scripts/bootstrap.sh

bench:
	scripts/bootstrap.sh --bench
	bench/run.sh
	bench/viewer/run.sh

fmt:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build
