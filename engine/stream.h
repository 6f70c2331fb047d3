/// The engine's streamed bodies: the 8-byte framed stdout/stderr multiplexing of logs,
/// attach and exec (for containers without a TTY), and newline-delimited JSON (events,
/// pull and build progress). Both are fed in arbitrary pieces as they arrive.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace varan::engine {

enum class StreamType { kStdin = 0, kStdout = 1, kStderr = 2, kSystemErr = 3 };

/// Splits [type, 0, 0, 0, size (big-endian u32)] frames; calls `sink` with each payload
/// piece as it arrives (a frame may come in several calls).
class Demuxer {
 public:
  using Sink = std::function<void(StreamType, std::string_view)>;
  explicit Demuxer(Sink sink) : sink_(std::move(sink)) {}
  /// Returns false (and stops) on a malformed header.
  bool feed(std::string_view data);
  /// True when the input ended on a frame boundary.
  bool complete() const { return header_len_ == 0 && remaining_ == 0; }

 private:
  Sink sink_;
  unsigned char header_[8];
  std::size_t header_len_ = 0;
  std::uint32_t remaining_ = 0;
  StreamType type_ = StreamType::kStdout;
  bool broken_ = false;
};

/// Cuts a byte stream into lines (without the '\n').
class LineSplitter {
 public:
  explicit LineSplitter(std::function<bool(std::string_view)> on_line)
      : on_line_(std::move(on_line)) {}
  /// Returns false when on_line asked to stop.
  bool feed(std::string_view data);
  /// Passes on a last line that had no '\n'.
  bool finish();

 private:
  std::function<bool(std::string_view)> on_line_;
  std::string partial_;
};

}  // namespace varan::engine
