#include "secrets/age/stream.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "secrets/age/errors.h"
#include "secrets/primitives.h"

namespace varan::age {

namespace {

using Nonce = std::array<std::uint8_t, 12>;

// Chunks are independent, so a batch of them is sealed or opened on several cores at once;
// everything that decides what is released stays sequential.
constexpr std::size_t kBatch = 8;

Nonce nonce_for(std::uint64_t counter, bool last) {
  Nonce n{};
  for (int i = 0; i < 8; ++i)
    n[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = last ? 1 : 0;
  return n;
}

[[noreturn]] void fail(const std::string& why) {
  throw Error(Failure::kPayload, "invalid age payload: " + why);
}

[[noreturn]] void fail_auth(std::uint64_t chunk) {
  fail("chunk " + std::to_string(chunk) +
       " failed authentication; the file is corrupted or was tampered with");
}

// One ChaCha20-Poly1305 context per core, and worker threads that run a batch together
// with the calling thread. Threads start only when a batch has more than one chunk.
class ChunkCipher {
 public:
  explicit ChunkCipher(std::span<const std::uint8_t, 32> key) {
    std::copy(key.begin(), key.end(), key_.begin());
    aeads_.push_back(std::make_unique<crypto::ChaChaPoly>(key));
  }
  ~ChunkCipher() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_)
      t.join();
    wipe(key_.data(), key_.size());
  }

  crypto::ChaChaPoly& main() { return *aeads_[0]; }

  /// Calls f(aead, i) for every i in [0, n), spread over the cores.
  void for_each(std::size_t n, const std::function<void(crypto::ChaChaPoly&, std::size_t)>& f) {
    if (n > 1) start_threads();
    std::size_t parts = threads_.size() + 1;
    if (n <= 1 || parts == 1) {
      for (std::size_t i = 0; i < n; ++i)
        f(main(), i);
      return;
    }
    auto job = [&](std::size_t part) {
      for (std::size_t i = part * n / parts; i < (part + 1) * n / parts; ++i)
        f(*aeads_[part], i);
    };
    {
      std::lock_guard lock(m_);
      job_ = job;
      pending_ = threads_.size();
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    std::exception_ptr mine;
    try {
      job(0);
    } catch (...) {
      mine = std::current_exception();
    }
    // Batches take a fraction of a millisecond: waiting briefly before sleeping saves the
    // wake-up latency that would otherwise dominate.
    for (int spin = 0; spin < kSpins && pending_.load(std::memory_order_acquire) != 0; ++spin)
      pause();
    std::unique_lock lock(m_);
    done_.wait(lock, [&] { return pending_.load() == 0; });
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start_threads() {
    if (started_) return;
    started_ = true;
    unsigned cores = std::thread::hardware_concurrency();
    std::size_t workers = cores > 1 ? std::min<unsigned>(cores, 4) - 1 : 0;
    for (std::size_t w = 1; w <= workers; ++w) {
      aeads_.push_back(std::make_unique<crypto::ChaChaPoly>(key_));
      threads_.emplace_back([this, w] { worker(w); });
    }
  }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void worker(std::size_t part) {
    std::uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < kSpins && generation_.load(std::memory_order_acquire) == seen;
           ++spin)
        pause();
      std::function<void(std::size_t)> job;
      {
        std::unique_lock lock(m_);
        start_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
        if (stop_) return;
        seen = generation_.load();
        job = job_;
      }
      std::exception_ptr err;
      try {
        job(part);
      } catch (...) {
        err = std::current_exception();
      }
      std::lock_guard lock(m_);
      if (err) error_ = err;
      if (pending_.fetch_sub(1) == 1) done_.notify_one();
    }
  }

  std::array<std::uint8_t, 32> key_;
  std::vector<std::unique_ptr<crypto::ChaChaPoly>> aeads_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  std::mutex m_;
  std::condition_variable start_, done_;
  std::function<void(std::size_t)> job_;
  static constexpr int kSpins = 20000;
  std::atomic<std::uint64_t> generation_ = 0;
  std::atomic<std::size_t> pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace

void decrypt_payload(std::span<const std::uint8_t, 32> key, BufferedReader& in, Sink& out) {
  ChunkCipher cipher(key);
  SecureBytes plain;  // grows to what the input needs, at most a batch
  std::uint64_t counter = 0;
  for (;;) {
    // One byte of look-ahead tells a chunk at the end of the file from one followed by more.
    // A batch is read only when there is more than one chunk: small files stay small.
    std::size_t avail = in.fill(kEncChunkSize + 1);
    if (avail > kEncChunkSize) avail = in.fill(kBatch * kEncChunkSize + 1);
    if (avail == 0) fail("the file is truncated (the final chunk is missing)");
    auto data = in.available();
    std::size_t need = std::min(avail, kBatch * kEncChunkSize) / kEncChunkSize * kChunkSize;
    need = std::max(need, std::min(avail, kEncChunkSize));
    if (plain.size() < need) plain = SecureBytes(need);

    // Chunks followed by more data are not the final one: open them all at once.
    std::size_t interior = std::min((avail - 1) / kEncChunkSize, kBatch);
    if (interior > 0) {
      std::vector<char> ok(interior);
      cipher.for_each(interior, [&](crypto::ChaChaPoly& aead, std::size_t i) {
        ok[i] =
            aead.open(nonce_for(counter + i, false), data.subspan(i * kEncChunkSize, kEncChunkSize),
                      plain.data() + i * kChunkSize);
      });
      for (std::size_t i = 0; i < interior; ++i) {
        if (ok[i]) continue;
        // Release what came before, in order, then see whether this was a final chunk.
        out.write(plain.data(), i * kChunkSize);
        if (!cipher.main().open(nonce_for(counter + i, true),
                                data.subspan(i * kEncChunkSize, kEncChunkSize), plain.data()))
          fail_auth(counter + i);
        out.write(plain.data(), kChunkSize);
        fail("trailing data after the final chunk");
      }
      out.write(plain.data(), interior * kChunkSize);
      in.consume(interior * kEncChunkSize);
      counter += interior;
      continue;
    }

    // The input ends within the next chunk.
    auto& aead = cipher.main();
    if (avail < kEncChunkSize) {
      // A short chunk can only be the last one; it is empty only when the whole file is.
      if (counter != 0 && avail == kTagSize) fail("the last chunk is empty");
      if (avail < kTagSize || !aead.open(nonce_for(counter, true), data.first(avail), plain.data()))
        fail_auth(counter);
      out.write(plain.data(), avail - kTagSize);
      in.consume(avail);
      return;
    }
    // A full-size chunk at the end of the input: normally the final one, flagged as such.
    // If it opens as a non-final chunk, the final chunk is missing.
    if (aead.open(nonce_for(counter, false), data.first(kEncChunkSize), plain.data())) {
      out.write(plain.data(), kChunkSize);
      in.consume(kEncChunkSize);
      fail("the file is truncated (the final chunk is missing)");
    }
    if (!aead.open(nonce_for(counter, true), data.first(kEncChunkSize), plain.data()))
      fail_auth(counter);
    out.write(plain.data(), kChunkSize);
    in.consume(kEncChunkSize);
    return;
  }
}

struct PayloadEncryptor::Impl {
  explicit Impl(std::span<const std::uint8_t, 32> key, Sink& o)
      : cipher(key), out(o), plain(kChunkSize) {}

  // Seals the `used` bytes buffered as consecutive chunks; only the very last chunk of the
  // file carries the final flag.
  void seal(bool final) {
    std::size_t chunks = used == 0 ? 1 : (used + kChunkSize - 1) / kChunkSize;
    if (sealed.size() < used + chunks * kTagSize) sealed.resize(used + chunks * kTagSize);
    cipher.for_each(chunks, [&](crypto::ChaChaPoly& aead, std::size_t i) {
      std::size_t len = std::min(kChunkSize, used - i * kChunkSize);
      aead.seal(nonce_for(counter + i, final && i + 1 == chunks),
                std::span(plain).subspan(i * kChunkSize, len), sealed.data() + i * kEncChunkSize);
    });
    out.write(sealed.data(), used + chunks * kTagSize);
    counter += chunks;
    used = 0;
  }

  ChunkCipher cipher;
  Sink& out;
  SecureBytes plain;  // one chunk at first, a batch once more than a chunk arrives
  std::size_t used = 0;
  Bytes sealed;
  std::uint64_t counter = 0;
  bool finished = false;
};

PayloadEncryptor::PayloadEncryptor(std::span<const std::uint8_t, 32> key, Sink& out)
    : impl_(std::make_unique<Impl>(key, out)) {}

PayloadEncryptor::~PayloadEncryptor() = default;

void PayloadEncryptor::write(const std::uint8_t* buf, std::size_t n) {
  auto& s = *impl_;
  while (n > 0) {
    if (s.used == s.plain.size()) {
      if (s.plain.size() < kBatch * kChunkSize) {
        SecureBytes bigger(kBatch * kChunkSize);
        std::memcpy(bigger.data(), s.plain.data(), s.used);
        s.plain = std::move(bigger);
      } else {
        // A full batch is sealed only once more data arrives: until then its last chunk
        // may be the final one.
        s.seal(false);
      }
    }
    std::size_t k = std::min(n, s.plain.size() - s.used);
    std::memcpy(s.plain.data() + s.used, buf, k);
    s.used += k;
    buf += k;
    n -= k;
  }
}

void PayloadEncryptor::finish() {
  auto& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  s.seal(true);
}

}  // namespace varan::age
