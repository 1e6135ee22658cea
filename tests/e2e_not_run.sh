#!/bin/sh
# Registered by tests/CMakeLists.txt instead of the end-to-end tests when they are configured
# out, so ctest lists them as skipped, with the reason, rather than reporting 100 % passed.
echo "SKIPPED: the end-to-end tests (go tool pprof, the Go oracles, perf, chromium) are not"
echo "registered: this build was configured with -DGCSPIKE_E2E=OFF. Run scripts/setup-deps and"
echo "configure with -DGCSPIKE_E2E=ON (the default) to run them."
exit 77
