#include "engine/stream.h"

namespace varan::engine {

bool Demuxer::feed(std::string_view data) {
  if (broken_) return false;
  while (!data.empty()) {
    if (remaining_ == 0) {
      std::size_t take = std::min(data.size(), sizeof header_ - header_len_);
      for (std::size_t i = 0; i < take; ++i)
        header_[header_len_ + i] = static_cast<unsigned char>(data[i]);
      header_len_ += take;
      data.remove_prefix(take);
      if (header_len_ < sizeof header_) return true;
      header_len_ = 0;
      if (header_[0] > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        broken_ = true;
        return false;
      }
      type_ = static_cast<StreamType>(header_[0]);
      remaining_ = (std::uint32_t(header_[4]) << 24) | (std::uint32_t(header_[5]) << 16) |
                   (std::uint32_t(header_[6]) << 8) | header_[7];
      continue;
    }
    std::size_t take = std::min<std::size_t>(data.size(), remaining_);
    sink_(type_, data.substr(0, take));
    remaining_ -= static_cast<std::uint32_t>(take);
    data.remove_prefix(take);
  }
  return true;
}

bool LineSplitter::feed(std::string_view data) {
  while (!data.empty()) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(data);
      return true;
    }
    bool go_on;
    if (partial_.empty()) {
      go_on = on_line_(data.substr(0, nl));
    } else {
      partial_.append(data.substr(0, nl));
      go_on = on_line_(partial_);
      partial_.clear();
    }
    data.remove_prefix(nl + 1);
    if (!go_on) return false;
  }
  return true;
}

bool LineSplitter::finish() {
  if (partial_.empty()) return true;
  bool r = on_line_(partial_);
  partial_.clear();
  return r;
}

}  // namespace varan::engine
