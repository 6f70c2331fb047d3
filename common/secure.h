/// Memory for secrets: containers that wipe their bytes when they release them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <vector>

namespace varan {

/// Overwrites memory in a way the optimiser cannot remove (OPENSSL_cleanse).
void wipe(void* p, std::size_t n) noexcept;
inline void wipe(std::string& s) noexcept { wipe(s.data(), s.capacity()); }

/// An allocator that wipes every block before giving it back, so a vector that grows
/// never leaves a copy of its old contents behind.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept {
    wipe(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using Bytes = std::vector<std::uint8_t>;
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

/// A string for secrets (passphrases, plaintext values). Short strings live inside the
/// object itself (small-string optimisation), so the destructor wipes that too.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = default;
  SecretString& operator=(const SecretString&) = default;
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { wipe(o.s_); }
  SecretString& operator=(SecretString&& o) noexcept {
    wipe(s_);
    s_ = std::move(o.s_);
    wipe(o.s_);
    return *this;
  }
  ~SecretString() { wipe(s_); }

  const std::string& str() const noexcept { return s_; }
  std::string& str() noexcept { return s_; }
  bool empty() const noexcept { return s_.empty(); }
  std::span<const std::uint8_t> bytes() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s_.data()), s_.size()};
  }

 private:
  std::string s_;
};

inline std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string(std::span<const std::uint8_t> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace varan
