#include "secrets/age/armor.h"

#include <algorithm>
#include <cctype>

#include "common/base64.h"
#include "secrets/age/errors.h"

namespace varan::age {

namespace {

constexpr std::size_t kColumns = 64;
constexpr std::size_t kBytesPerLine = 48;
constexpr std::size_t kMaxWhitespace = 1024;

[[noreturn]] void fail(const std::string& why) {
  throw Error(Failure::kArmor, "invalid armor: " + why);
}

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_space(static_cast<unsigned char>(c)); });
}

}  // namespace

bool looks_armored(BufferedReader& in) {
  std::size_t n = in.fill(kMaxWhitespace + kArmorHeader.size());
  auto av = as_string(in.available().first(n));
  std::size_t i = 0;
  while (i < av.size() && is_space(static_cast<unsigned char>(av[i])))
    ++i;
  return av.substr(i).starts_with(kArmorHeader);
}

std::string ArmorReader::line() {
  // Lines longer than a few columns over the limit are refused without reading them whole.
  auto l = in_.read_line(kMaxWhitespace + 2);
  if (!l) fail("unexpected end of file");
  if (!l->empty() && l->back() == '\n') l->pop_back();
  if (!l->empty() && l->back() == '\r') l->pop_back();
  return std::move(*l);
}

void ArmorReader::drain_trailing() {
  std::size_t n = std::min(in_.fill(kMaxWhitespace), kMaxWhitespace);
  auto rest = as_string(in_.available().first(n));
  if (!all_space(rest)) fail("trailing data after the armored file");
  if (n >= kMaxWhitespace) fail("too much trailing whitespace");
  in_.consume(n);
  done_ = true;
}

bool ArmorReader::next_line() {
  if (!started_) {
    std::size_t removed = 0;
    for (;;) {
      std::string l = line();
      if (all_space(l)) {
        removed += l.size() + 1;
        if (removed > kMaxWhitespace) fail("too much leading whitespace");
        continue;
      }
      if (l != kArmorHeader) fail("invalid first line");
      break;
    }
    started_ = true;
  }
  std::string l = line();
  if (l == kArmorFooter) {
    drain_trailing();
    return false;
  }
  if (l.empty()) fail("empty line in armored data");
  if (l.size() > kColumns) fail("line longer than 64 columns");
  long n = base64::decode_into(l, true, pending_);
  if (n < 0) fail("invalid base64 line");
  pending_len_ = static_cast<std::size_t>(n);
  pending_pos_ = 0;
  if (pending_len_ < kBytesPerLine) {
    if (line() != kArmorFooter) fail("invalid closing line");
    drain_trailing();
  }
  return true;
}

std::size_t ArmorReader::read(std::uint8_t* buf, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (pending_pos_ == pending_len_) {
      if (done_ || !next_line()) break;
      continue;
    }
    std::size_t k = std::min(n - done, pending_len_ - pending_pos_);
    std::copy_n(pending_ + pending_pos_, k, buf + done);
    pending_pos_ += k;
    done += k;
  }
  return done;
}

ArmorWriter::ArmorWriter(Sink& out) : out_(out) {
  text_ += kArmorHeader;
  text_ += '\n';
}

// Lines are encoded as the bytes arrive and the text goes out in blocks of about 64 KiB, so
// memory stays small whatever size the writes come in.
void ArmorWriter::flush_lines(bool final) {
  if (final && !in_.empty()) {
    text_ += base64::encode(in_);
    text_ += '\n';
    in_.clear();
  }
  out_.write(text_);
  text_.clear();
}

void ArmorWriter::write(const std::uint8_t* buf, std::size_t n) {
  while (n > 0) {
    std::size_t k = std::min(n, kBytesPerLine - in_.size());
    in_.insert(in_.end(), buf, buf + k);
    buf += k;
    n -= k;
    if (in_.size() == kBytesPerLine) {
      text_ += base64::encode(in_);
      text_ += '\n';
      in_.clear();
      if (text_.size() >= 64 * 1024) flush_lines(false);
    }
  }
}

void ArmorWriter::finish() {
  if (finished_) return;
  finished_ = true;
  flush_lines(true);
  std::string footer(kArmorFooter);
  footer += '\n';
  out_.write(footer);
}

}  // namespace varan::age
