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

/// Empty when a case may act on the whole engine (stop every container, prune), else why not.
/// The suite's private engine (scripts/dockerd.sh) is always fine. The host's engine
/// (VARAN_TEST_HOST_ENGINE=1, the fallback when no private engine can start) is fine only when it
/// holds nothing the suite did not make (no containers, volumes or user networks; only images
/// labelled varan.test=1), or when VARAN_TEST_ALLOW_HOST_ENGINE=destructive says so.
std::string whole_engine_problem();

/// Fails under CI=true, skips elsewhere, when the case may not act on the whole engine.
/// Asks the engine once: the answer lists every container, volume, network and image.
#define VARAN_REQUIRE_WHOLE_ENGINE()                                                      \
  do {                                                                                    \
    const std::string whole_engine_problem_ = ::varan::test::whole_engine_problem();      \
    VARAN_REQUIRE(whole_engine_problem_.empty(),                                          \
                  "an engine this case may act on as a whole: " + whole_engine_problem_); \
  } while (0)

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
