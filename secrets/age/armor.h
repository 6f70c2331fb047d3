/// age's ASCII armor: a strict reader (the C2SP rules: 64-column padded base64, CRLF
/// tolerated, at most 1024 bytes of surrounding whitespace) and an exact writer.
#pragma once

#include <memory>
#include <string_view>

#include "common/io.h"

namespace varan::age {

inline constexpr std::string_view kArmorHeader = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorFooter = "-----END AGE ENCRYPTED FILE-----";

/// True when the input, after leading whitespace, starts with the armor header. Only peeks.
bool looks_armored(BufferedReader& in);

/// Decodes armored input into the binary age file. Throws Error(kArmor).
class ArmorReader final : public Source {
 public:
  explicit ArmorReader(BufferedReader& in) : in_(in) {}
  std::size_t read(std::uint8_t* buf, std::size_t n) override;

 private:
  std::string line();
  void drain_trailing();
  bool next_line();  // decodes the next line into pending_; false at the footer

  BufferedReader& in_;
  bool started_ = false, done_ = false;
  std::uint8_t pending_[51];  // room for what base64::decode_into may write
  std::size_t pending_len_ = 0, pending_pos_ = 0;
};

/// Armors what is written to it; finish() writes the last line and the footer.
class ArmorWriter final : public Sink {
 public:
  explicit ArmorWriter(Sink& out);
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  void finish() override;

 private:
  void flush_lines(bool final);
  Sink& out_;
  Bytes in_;
  std::string text_;
  bool finished_ = false;
};

}  // namespace varan::age
