/// The engine test rig: a client for the local engine, the rule that engine tests fail
/// (never skip) under CI=true when the engine can't be reached, and the test images, built
/// through Varan's own client FROM scratch with Debian's static busybox (no registry).
#pragma once

#include <string>

#include "engine/client.h"
#include "tests/support/support.h"

namespace varan::test {

engine::Client& engine_client();
/// Empty when the engine answers, else why not.
std::string engine_problem();

#define VARAN_REQUIRE_ENGINE() \
  VARAN_REQUIRE(::varan::test::engine_problem().empty(), ::varan::test::engine_problem())

/// The images every engine test may use, built once per engine (labelled varan.test=1):
///   varan-test/sleep   sleeps (CMD sleep 3600)
///   varan-test/httpd   serves /www on port 8080 (busybox httpd)
///   varan-test/health  healthy once /tmp/healthy exists (touched after $HEALTHY_AFTER
///                      seconds; never when $NEVER_HEALTHY is set)
///   varan-test/exit    prints "out" and "err" (to stderr), exits with $EXIT_CODE
void ensure_test_images();

/// Removes containers, networks and volumes labelled varan.test.case=<name>.
void remove_labelled(const std::string& test_case);

/// GET http://127.0.0.1:<port><path> with a plain socket; the body, or "" on failure.
std::string http_get(int port, const std::string& path);

}  // namespace varan::test
