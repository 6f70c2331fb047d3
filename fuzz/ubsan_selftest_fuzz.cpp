// Not a fuzz target: a deliberate signed overflow that UBSan must turn into a failed run
// (ctest expects this one to fail; see fuzz/CMakeLists.txt). If it ever passes, UBSan
// findings in the real targets would pass unnoticed too.
#include <climits>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t size) {
  volatile int big = INT_MAX;
  volatile int sum = big + static_cast<int>(size % 2 + 1);  // always overflows
  (void)sum;
  return 0;
}
