// libFuzzer target: the engine's stdout/stderr stream demultiplexer. Fed whole or in
// pieces of any size, it must give the same streams and the same verdict.
#include <cstdlib>
#include <string>

#include "engine/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace varan::engine;
  if (size == 0) return 0;
  std::size_t piece = data[0] % 16 + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string a_out, a_err, b_out, b_err;
  Demuxer whole([&](StreamType t, std::string_view s) {
    (t == StreamType::kStderr ? a_err : a_out).append(s);
  });
  Demuxer parts([&](StreamType t, std::string_view s) {
    (t == StreamType::kStderr ? b_err : b_out).append(s);
  });
  bool ok_whole = whole.feed(in);
  bool ok_parts = true;
  for (std::size_t i = 0; i < in.size() && ok_parts; i += piece)
    ok_parts = parts.feed(in.substr(i, piece));
  if (ok_whole != ok_parts || a_out != b_out || a_err != b_err) std::abort();
  if (ok_whole && whole.complete() != parts.complete()) std::abort();
  return 0;
}
